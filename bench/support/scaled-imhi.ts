/**
 * A copy of an IMHI folder at N times its size, for the scale benchmarks (`--scale N`).
 *
 * Every CSV keeps its path (so it maps to the same dataset and split) and holds each row N times:
 * copy 0 as released, copies 1..N-1 with " (copy k)" appended to the row's first text cell, so
 * that every row is distinct and de-duplication keeps them all. Files other than CSV (README,
 * LICENSE) are not copied. The folder is made once per source and factor under the OS temp folder
 * and reused by later runs (delete it to rebuild).
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { basename, dirname, join, relative } from 'node:path'
import { createHash } from 'node:crypto'
import Papa from 'papaparse'

/** Every .csv file under a folder, in a stable (sorted) order. */
export function csvFiles(dir: string): string[] {
  const out: string[] = []
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name)
    if (statSync(p).isDirectory()) out.push(...csvFiles(p))
    else if (name.toLowerCase().endsWith('.csv')) out.push(p)
  }
  return out
}

/** Returns the folder holding `source` at `factor` times its rows (factor 1: `source` itself). */
export function scaledImhi(source: string, factor: number): string {
  if (!Number.isInteger(factor) || factor < 1) throw new Error(`--scale must be a whole number >= 1 (got ${factor})`)
  if (factor === 1) return source
  const tag = createHash('sha256').update(source).digest('hex').slice(0, 10)
  const target = join(tmpdir(), `imhi-scaled-${basename(source)}-${tag}-x${factor}`)
  if (existsSync(join(target, '.complete'))) return target
  const building = `${target}.building-${process.pid}`
  let rows = 0
  for (const file of csvFiles(source)) {
    let text = readFileSync(file, 'utf8')
    const bom = text.charCodeAt(0) === 0xfeff
    if (bom) text = text.slice(1)
    const parsed = Papa.parse<string[]>(text, { skipEmptyLines: false })
    const [header, ...body] = parsed.data
    const data = body.filter((r) => !(r.length === 1 && r[0] === ''))
    // The first cell that holds text (an unnamed index column holds numbers).
    const textCol = Math.max(0, header.findIndex((h, i) => data.some((r) => /[a-z]/i.test(r[i] ?? ''))))
    const out: string[][] = [header]
    for (let k = 0; k < factor; k++) {
      for (const r of data) {
        if (k === 0) { out.push(r); continue }
        const copy = r.slice()
        copy[textCol] = `${copy[textCol] ?? ''} (copy ${k})`
        out.push(copy)
      }
    }
    rows += out.length - 1
    const dest = join(building, relative(source, file))
    mkdirSync(dirname(dest), { recursive: true })
    writeFileSync(dest, (bom ? '\ufeff' : '') + Papa.unparse(out, { newline: '\r\n' }) + '\r\n')
  }
  writeFileSync(join(building, '.complete'), `${rows}\n`)
  renameSync(building, target)
  return target
}

/** Rows in a folder made by scaledImhi (null for the source itself). */
export function scaledRows(folder: string): number | null {
  const f = join(folder, '.complete')
  return existsSync(f) ? Number(readFileSync(f, 'utf8').trim()) : null
}
