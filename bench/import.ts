/**
 * npm run bench:import [-- PATH]
 *
 * 1. Imports all of ../shared/imhi (or PATH) into a new database: wall seconds, CSV rows/s, peak
 *    RSS. Beside it, for scale, Python's csv module only reading the same files (no database).
 * 2. 100 varied searches over everything imported (words, phrases, prefixes, OR, exclusions,
 *    filters, deep pages): p50 / p95 / max latency, each the full service call (count + page +
 *    snippets).
 */
import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { cpus, loadavg, tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { openDatabase } from '../src/main/db/open'
import { createServices } from '../src/main/services'
import { APP_VERSION } from '../src/main/version'
import type { SearchFilters } from '../src/main/imhi/search'
import { SHARED_IMHI } from '../test/support/shared'

const source = resolve(process.argv[2] ?? SHARED_IMHI)
if (!existsSync(source)) {
  console.error(`bench:import: ${source} not found (pass a folder in the IMHI layout)`)
  process.exit(1)
}

const dir = mkdtempSync(join(tmpdir(), 'imhi-bench-'))
const dbFile = join(dir, 'bench.db')

function pythonCsvSeconds(): number | null {
  const code = `
import csv, glob, os, sys, time
csv.field_size_limit(10**9)
t = time.perf_counter(); n = 0
for f in glob.glob(os.path.join(sys.argv[1], '**', '*.csv'), recursive=True):
    with open(f, encoding='utf-8-sig', newline='') as fh:
        n += sum(1 for _ in csv.reader(fh)) - 1
print(time.perf_counter() - t, n)`
  const r = spawnSync('python3', ['-c', code, source], { encoding: 'utf8' })
  if (r.status !== 0) return null
  return Number(r.stdout.trim().split(/\s+/)[0])
}

async function main() {
  console.log(`IMHI import benchmark: ${source}`)
  console.log(`node ${process.version}, ${process.platform}/${process.arch}, ${cpus().length} CPU(s)\n`)

  const rssBefore = process.memoryUsage().rss / 1048576
  const s = createServices({ db: openDatabase(dbFile), dataDir: dir, platform: { transport: 'cli', version: APP_VERSION, dbFile } })
  const cpu0 = process.cpuUsage()
  const t0 = performance.now()
  const report = await s.imhi.importPath(source)
  const wall = (performance.now() - t0) / 1000
  const cpu = process.cpuUsage(cpu0)
  const csvRows = report.files.reduce((a, f) => a + f.rows, 0)
  const skippedOutputs = report.files.filter((f) => f.kind === 'outputs').length
  const peakMb = process.resourceUsage().maxRSS / 1024
  if (report.errors > 0) console.log(`WARNING: ${report.errors} file error(s):\n${report.files.filter((f) => f.error).map((f) => '  ' + f.error).join('\n')}`)
  console.log('import (new database, one transaction per file, then the new posts indexed in one FTS5 statement)')
  console.log(`  files             ${report.files.length} (${skippedOutputs} model-output files skipped)`)
  console.log(`  rows imported     ${report.added} of ${csvRows} CSV rows read (the rest: model outputs, not items)`)
  console.log(`  wall              ${wall.toFixed(2)} s   (target < 3 s)`)
  console.log(`  CPU time          ${((cpu.user + cpu.system) / 1e6).toFixed(2)} s (user ${(cpu.user / 1e6).toFixed(2)}, system ${(cpu.system / 1e6).toFixed(2)}); load average now ${loadavg()[0].toFixed(1)} on ${cpus().length} CPUs`)
  console.log(`  rows/s            ${Math.round(report.added / wall)}`)
  console.log(`  peak RSS          ${peakMb.toFixed(0)} MB (process high-water mark; ${rssBefore.toFixed(0)} MB before the import: node, tsx, SQLite)`)
  const py = pythonCsvSeconds()
  if (py !== null) console.log(`  for scale: Python csv module only reading the same files: ${py.toFixed(2)} s (import / read = ${(wall / py).toFixed(2)}x)`)

  // 100 varied queries.
  const words = ['depression', 'anxiety', 'sleep', 'family', 'job', 'school', 'lonely', 'friends', 'money', 'suicide', 'therapy', 'panic', 'tired', 'work', 'mom', 'alone', 'pain', 'the', 'i', 'medication']
  const phrases = ['"i feel like"', '"no one"', '"my mom"', '"panic attack"', '"can\'t sleep"', '"my life"', '"want to die"', '"best friend"', '"i don\'t know"', '"every day"']
  const prefixes = ['depress*', 'anx*', 'lonel*', 'suic*', 'therap*', 'stress*', 'insomn*', 'medic*', 'fam*', 'relation*']
  const queries: SearchFilters[] = []
  for (const w of words) queries.push({ query: w, offset: 0, limit: 100 })
  for (const p of phrases) queries.push({ query: p, offset: 0, limit: 100 })
  for (const p of prefixes) queries.push({ query: p, offset: 0, limit: 100 })
  for (let i = 0; i < 10; i++) queries.push({ query: `${words[i]} ${words[i + 10]}`, offset: 0, limit: 100 })
  for (let i = 0; i < 10; i++) queries.push({ query: `${words[i]} OR ${prefixes[i]}`, offset: 0, limit: 100 })
  for (let i = 0; i < 5; i++) queries.push({ query: `${words[i]} -${words[i + 5]}`, offset: 0, limit: 100 })
  const ds = ['DR', 'dreaddit', 'Irf', 'MultiWD', 'SAD', 'CAMS', 't-sid', 'loneliness']
  for (let i = 0; i < 10; i++) queries.push({ query: words[i * 2], datasets: [ds[i % ds.length]], offset: 0, limit: 100 })
  for (let i = 0; i < 5; i++) queries.push({ query: prefixes[i], splits: ['test_instruction'], labels: ['yes'], offset: 0, limit: 100 })
  for (let i = 0; i < 5; i++) queries.push({ datasets: [ds[i]], splits: ['test_complete'], offset: i * 100, limit: 100 })
  for (let i = 0; i < 5; i++) queries.push({ tasks: ['stress_cause'], labels: ['work', 'school'], offset: i * 50, limit: 100 })
  for (let i = 0; i < 5; i++) queries.push({ offset: 40_000 + i * 500, limit: 100 })
  for (let i = 0; i < 5; i++) queries.push({ query: words[i + 5], offset: 1000, limit: 100 })
  for (const q of ['"foo', 'AND OR (', 'NEAR(a b)', '*']) queries.push({ query: q, offset: 0, limit: 100 })
  queries.splice(100)

  const times: number[] = []
  const timed: { ms: number; q: SearchFilters; total: number }[] = []
  let hits = 0
  for (const q of queries) {
    const t = performance.now()
    const r = s.imhi.search(q)
    const ms = performance.now() - t
    times.push(ms)
    timed.push({ ms, q, total: r.total })
    hits += r.total
  }
  times.sort((a, b) => a - b)
  const pct = (p: number) => times[Math.min(times.length - 1, Math.ceil((p / 100) * times.length) - 1)]
  console.log(`\nsearch: ${queries.length} varied queries over ${s.imhi.facets().total} items (each: total count + page of 100 + snippets)`)
  console.log(`  p50               ${pct(50).toFixed(2)} ms`)
  console.log(`  p95               ${pct(95).toFixed(2)} ms   (target < 20 ms)`)
  console.log(`  max               ${times[times.length - 1].toFixed(2)} ms`)
  console.log(`  matches (sum)     ${hits}`)
  console.log('  slowest:')
  for (const t of timed.sort((a, b) => b.ms - a.ms).slice(0, 5)) {
    const { offset, limit, ...rest } = t.q
    console.log(`    ${t.ms.toFixed(2).padStart(7)} ms  ${JSON.stringify(rest)} offset ${offset}: ${t.total} matches`)
  }

  await s.close()
  rmSync(dir, { recursive: true, force: true })
}

main().catch((err) => {
  console.error(err)
  rmSync(dir, { recursive: true, force: true })
  process.exit(1)
})
