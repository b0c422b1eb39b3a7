import { describe, expect, it } from 'vitest'
import { spawnSync } from 'node:child_process'
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { tempDir } from '../support/tmp'
import { imhiCli, runIsolated } from './isolated'

// Defect 1 (and 10: a FIFO or a folder named DR.csv skipped silently): every file the app reads is
// checked to be a regular file, after resolving links, before it is opened.

const H = 'query,gpt-3.5-turbo\n'
const row = (post: string) => `"Consider this post: ""${post}"" Question: Does the poster suffer from depression?","yes. Reasoning: invented."\n`
const hasMkfifo = process.platform !== 'win32' && spawnSync('mkfifo', ['--version']).status === 0

function mkfifo(path: string): void {
  const r = spawnSync('mkfifo', [path])
  if (r.status !== 0) throw new Error(`mkfifo failed: ${r.stderr}`)
}

describe.skipIf(!hasMkfifo)('files that are not regular files never block the app', () => {
  const dir = tempDir()

  it('imhi import: DR.csv a symlink to a FIFO, SAD.csv a FIFO, dreaddit.csv a folder: each reported, the rest imported, no hang', () => {
    const root = join(dir, 'imhi')
    const folder = join(root, 'test_data', 'test_instruction')
    mkdirSync(folder, { recursive: true })
    writeFileSync(join(folder, 'loneliness.csv'), H + row('a good post'))
    mkfifo(join(dir, 'pipe'))
    symlinkSync(join(dir, 'pipe'), join(folder, 'DR.csv'))
    mkfifo(join(folder, 'SAD.csv'))
    mkdirSync(join(folder, 'dreaddit.csv'))
    const r = imhiCli(['import', root, '--db', join(dir, 'a.db'), '--json'], 30_000)
    expect(r.timedOut, 'imhi import hung on a FIFO').toBe(false)
    expect(r.code).toBe(1)
    const report = JSON.parse(r.stdout)
    const byFile = new Map<string, { error: string | null; added: number }>(report.files.map((f: { file: string }) => [f.file, f]))
    expect(byFile.get('test_data/test_instruction/loneliness.csv')).toMatchObject({ error: null, added: 1 })
    expect(byFile.get('test_data/test_instruction/DR.csv')?.error).toMatch(/DR\.csv: a named pipe \(FIFO\), not a regular file/)
    expect(byFile.get('test_data/test_instruction/SAD.csv')?.error).toMatch(/SAD\.csv: a named pipe \(FIFO\), not a regular file/)
    expect(byFile.get('test_data/test_instruction/dreaddit.csv')?.error).toMatch(/dreaddit\.csv: a folder, not a regular file/)
  })

  it('every other reader: annotation CSV, annotator package, model outputs, GGUF header and hash, a model load', () => {
    const fifo = join(dir, 'other.csv')
    mkfifo(fifo)
    const r = runIsolated(
      dir,
      `
const { readCsvFile } = await import(src + '/main/annotation/io.ts')
const { readOutputCsv } = await import(src + '/main/evaluation/outputs.ts')
const { readGgufHeader, sha256File } = await import(src + '/main/inference/gguf.ts')
const { readCsvFile: readImhiCsv } = await import(src + '/main/imhi/csv.ts')
const { findDataset } = await import(src + '/shared/imhi/datasets.ts')
const fifo = ${JSON.stringify(fifo)}
const out = {}
const attempt = async (name, f) => { try { await f(); out[name] = 'read' } catch (e) { out[name] = e.message } }
await attempt('annotation', () => readCsvFile(fifo))
await attempt('outputs', () => readOutputCsv(fifo, findDataset('DR'), { requireGoldens: false }))
await attempt('gguf', () => readGgufHeader(fifo))
await attempt('sha', () => sha256File(fifo))
await attempt('imhiCsv', () => readImhiCsv(fifo, 'x.csv'))
console.log(JSON.stringify(out))
`
    )
    expect(r.timedOut, `a reader hung on a FIFO: ${r.stderr}`).toBe(false)
    const out = JSON.parse(r.stdout.trim().split('\n').pop()!)
    for (const [name, message] of Object.entries(out)) expect(message, name).toMatch(/a named pipe \(FIFO\), not a regular file/)
  })

  it('a FIFO as the annotator package under the real CLI', () => {
    const fifo = join(dir, 'package.json')
    mkfifo(fifo)
    const r = runIsolated(
      dir,
      `
const { openDatabase } = await import(src + '/main/db/open.ts')
const { createServices } = await import(src + '/main/services.ts')
const s = createServices({ db: openDatabase(${JSON.stringify(join(dir, 'p.db'))}), dataDir: ${JSON.stringify(dir)}, platform: { transport: 'test', version: 'x', dbFile: 'p.db' } })
try { await s.annotation.mergePackage({ path: ${JSON.stringify(fifo)} }) } catch (e) { console.log(e.message) }
await s.close()
`
    )
    expect(r.timedOut, 'merging a FIFO package hung').toBe(false)
    expect(r.stdout).toMatch(/a named pipe \(FIFO\), not a regular file/)
  })
})

describe('mixed row ends (defect 10)', () => {
  const dir = tempDir()
  it('a file mixing CR, CRLF and LF row ends imports whole instead of "truncated"; quoted line breaks kept', async () => {
    const { readCsvFile } = await import('../../src/main/imhi/csv')
    const file = join(dir, 'mixed.csv')
    const q = (post: string) => `"Consider this post: ""${post}"" Question: Does the poster suffer from depression?","yes. Reasoning: r."`
    writeFileSync(file, `query,gpt-3.5-turbo\r\n${q('one')}\r${q('two\r\nlines')}\n${q('three')}\r\n${q('four')}\r`)
    const t = readCsvFile(file, 'test_data/test_instruction/DR.csv')
    expect(t.rows.map((r) => r[0].match(/""?(.*?)""? Question/s)?.[1])).toEqual(['one', 'two\r\nlines', 'three', 'four'])
  })
})
