/**
 * bench:ping — does `imhi serve` answer within a frame while long jobs run?
 *
 * For each layout of the server:
 *   lanes       the services in the core's worker threads (core lane + jobs lane), as shipped
 *   in-process  the services on the server's own event loop (IMHI_CORE=in-process), the old layout
 * it imports the IMHI data at --scale N (default 10: ../shared/imhi, else the synthetic fixture at
 * 1,500x, times N) and then trains classifiers, and meanwhile, one after another 20 ms apart:
 *   ping   app.info over the WebSocket (a round trip through the core lane)
 *   http   GET /api/health (answered by the server's thread)
 *   rate   an annotator's rating (annotation.rate: a write on the core lane beside the job's writes)
 * and prints p50/p95/max of each. Target: ping p95 < 50 ms during both jobs.
 *
 *   npm run build && npm run bench:ping [-- --scale 10] [-- --only lanes]
 * BENCH_TRAIN_DATASETS (default DR,dreaddit) picks the classifiers trained.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { performance } from 'node:perf_hooks'
import { openDatabase } from '../src/main/db/open'
import { createServices } from '../src/main/services'
import { spawnServe } from '../test/support/serve-process'
import { SHARED_IMHI, hasSharedImhi } from '../test/support/shared'
import { writeImhiFixture } from '../test/support/imhi-fixture'
import { figures, wsClient, type PingFigures } from '../test/support/ping'
import { scaledImhi, scaledRows } from './support/scaled-imhi'
import { insertItem } from '../test/support/items'

const ROOT = resolve(import.meta.dirname, '..')
const arg = (name: string): string | undefined => {
  const i = process.argv.indexOf(`--${name}`)
  return i >= 0 ? process.argv[i + 1] : undefined
}
const SCALE = Number(arg('scale') ?? 10)
const ONLY = arg('only')
const TRAIN = (process.env.BENCH_TRAIN_DATASETS ?? 'DR,dreaddit').split(',').filter(Boolean)
const GAP_MS = 20
/** BENCH_RATE=0: no ratings beside the pings (to see what a waiting write costs the others). */
const RATE = process.env.BENCH_RATE !== '0'

interface Phase {
  seconds: number
  ping: PingFigures
  http: PingFigures
  rate: PingFigures
  errors: string[]
}

async function measure(port: number, token: string, rater: { studyId: number; annotatorId: number; studyItemIds: number[] }, job: (c: Awaited<ReturnType<typeof wsClient>>) => Promise<unknown>): Promise<Phase> {
  const owner = await wsClient(port, token)
  const pinger = await wsClient(port, token)
  const lat = { ping: [] as number[], http: [] as number[], rate: [] as number[] }
  const errors: string[] = []
  let done = false
  const t0 = performance.now()
  const running = job(owner).then(
    (r) => r,
    (e: unknown) => errors.push(String(e))
  )
  const finished = running.finally(() => (done = true))
  const loop = async (kind: keyof typeof lat, once: (i: number) => Promise<void>) => {
    for (let i = 0; !done; i++) {
      const t = performance.now()
      await once(i)
      lat[kind].push(performance.now() - t)
      await new Promise((r) => setTimeout(r, GAP_MS))
    }
  }
  await Promise.all([
    finished,
    loop('ping', async () => {
      const m = await pinger.call('app.info')
      if (m.type !== 'result') errors.push(JSON.stringify(m))
    }),
    loop('http', async () => {
      try {
        await (await fetch(`http://127.0.0.1:${port}/api/health`)).text()
      } catch (err) {
        errors.push(`http: ${String(err)}`)
      }
    }),
    loop('rate', async (i) => {
      if (!RATE) return void (await new Promise((r) => setTimeout(r, 50)))
      const m = await pinger.call('annotation.rate', {
        studyId: rater.studyId,
        annotatorId: rater.annotatorId,
        studyItemId: rater.studyItemIds[i % rater.studyItemIds.length],
        aspect: 'fluency',
        score: i % 4,
        seconds: 1
      })
      if (m.type !== 'result') errors.push(JSON.stringify(m))
    })
  ])
  const seconds = (performance.now() - t0) / 1000
  owner.close()
  pinger.close()
  return { seconds, ping: figures(lat.ping), http: figures(lat.http), rate: figures(lat.rate), errors }
}

async function layout(name: 'lanes' | 'in-process', source: string): Promise<{ import: Phase; train: Phase }> {
  const dir = mkdtempSync(join(tmpdir(), `imhi-bench-ping-${name}-`))
  const dbFile = join(dir, 'bench.db')
  try {
    // A study to rate during the jobs: 40 DR test items written straight into the tables under a
    // path of their own (imported from files, they would take layout paths the import then finds
    // changed, and refuse), one annotator.
    const s = createServices({ db: openDatabase(dbFile), dataDir: dir, platform: { transport: 'cli', version: 'bench', dbFile } })
    s.db.transaction(() => {
      const file = s.db.prepare("INSERT INTO source_files (path, kind, dataset, split, rows, sha256) VALUES ('bench/ping-seed/DR.csv', 'items', 'DR', 'test_instruction', 40, 'bench')").run()
      for (let i = 1; i <= 40; i++) {
        const post = `Bench post ${i}: I went to work, came home and watched a film.`
        insertItem(s.db, { dataset: 'DR', split: 'test_instruction', sourceFileId: file.lastInsertRowid, sourceRow: i, query: `Consider this post: "${post}" Question: Does the poster suffer from depression?`, post, goldLabel: 'no', goldResponse: `No, the poster does not suffer from depression. Reasoning: An ordinary day (${i}).` })
      }
    })()
    const study = s.annotation.createStudy({
      name: 'bench:ping',
      sources: [{ kind: 'gold', dataset: 'DR', split: 'test_instruction' }],
      seed: 1,
      annotatorsPerItem: 1,
      annotators: ['bench-rater'],
      extraAspects: [],
      breakMinutes: 0
    })
    const annotatorId = s.annotation.annotators().find((a) => a.name === 'bench-rater')!.id
    await s.close()

    if (name === 'in-process') process.env.IMHI_CORE = 'in-process'
    else delete process.env.IMHI_CORE
    const { url, process: child } = await spawnServe(ROOT, ['--db', dbFile, '--port', '0'])
    try {
      const port = Number(new URL(url).port)
      const token = decodeURIComponent(/token=([^&]+)/.exec(url)![1])
      const c = await wsClient(port, token)
      const queue = await c.call('annotation.queue', { studyId: study.id, annotatorId })
      c.close()
      const studyItemIds = (queue as { result: { entries: { studyItemId: number }[] } }).result.entries.map((e) => e.studyItemId)
      const rater = { studyId: study.id, annotatorId, studyItemIds }
      let imported = ''
      const imp = await measure(port, token, rater, async (o) => {
        const m = await o.call('imhi.import', { path: source })
        if (m.type !== 'result') throw new Error(JSON.stringify(m))
        const r = m.result as { added: number; unchanged: number; errors: number; files: { error: string | null }[] }
        const first = r.files.find((f) => f.error)?.error
        imported = `${r.added.toLocaleString('en-US')} rows added, ${r.unchanged.toLocaleString('en-US')} unchanged, ${r.errors} file error(s)${first ? ` (the first: ${first})` : ''}`
      })
      console.log(`  ${name}: the import: ${imported}`)
      const train = await measure(port, token, rater, async (o) => {
        const m = await o.call('evaluation.trainClassifiers', { datasets: TRAIN })
        if (m.type !== 'result') throw new Error(JSON.stringify(m))
      })
      return { import: imp, train }
    } finally {
      child.kill('SIGTERM')
      await new Promise((r) => child.once('exit', r))
    }
  } finally {
    delete process.env.IMHI_CORE
    rmSync(dir, { recursive: true, force: true })
  }
}

const ms = (x: number) => `${x.toFixed(1).padStart(7)} ms`
function line(label: string, f: PingFigures): string {
  return `    ${label.padEnd(5)} n=${String(f.n).padStart(5)}  p50 ${ms(f.p50)}  p95 ${ms(f.p95)}  max ${ms(f.max)}`
}

async function main(): Promise<void> {
  if (!existsSync(join(ROOT, 'out', 'renderer', 'index.html'))) throw new Error('Run "npm run build" first: imhi serve serves the built renderer.')
  const fixtureDir = mkdtempSync(join(tmpdir(), 'imhi-bench-ping-fixture-'))
  const base = hasSharedImhi ? SHARED_IMHI : scaledImhi(writeImhiFixture(fixtureDir), 1500)
  const source = scaledImhi(base, SCALE)
  const rows = scaledRows(source) ?? scaledRows(base)
  console.log(`bench:ping: import of ${hasSharedImhi ? '../shared/imhi' : 'the synthetic fixture at 1,500x'} at ${SCALE}x (${rows?.toLocaleString('en-US') ?? '?'} rows), then classifiers trained on ${TRAIN.join(', ')}; pings ${GAP_MS} ms apart`)
  const layouts = (['lanes', 'in-process'] as const).filter((l) => !ONLY || l === ONLY)
  const results: Record<string, { import: Phase; train: Phase }> = {}
  for (const l of layouts) {
    results[l] = await layout(l, source)
    for (const [phase, r] of Object.entries(results[l])) {
      console.log(`\n  ${l}: during ${phase === 'import' ? 'the import' : 'classifier training'} (${r.seconds.toFixed(1)} s)${r.errors.length ? `  ERRORS ${r.errors.length}: ${r.errors[0].slice(0, 200)}` : ''}`)
      console.log(line('ping', r.ping))
      console.log(line('http', r.http))
      console.log(line('rate', r.rate))
    }
  }
  if (results.lanes) {
    const ok = results.lanes.import.ping.p95 < 50 && results.lanes.train.ping.p95 < 50
    console.log(`\n  target ping p95 < 50 ms during both jobs (lanes): ${ok ? 'met' : 'NOT met'}`)
  }
  if (results.lanes && results['in-process']) {
    for (const phase of ['import', 'train'] as const) {
      const a = results.lanes[phase].ping.p95
      const b = results['in-process'][phase].ping.p95
      console.log(`  ${phase}: ping p95 in-process / lanes = ${(b / a).toFixed(1)}x`)
    }
  }
  rmSync(fixtureDir, { recursive: true, force: true })
}

main().catch((err: unknown) => {
  console.error(err)
  process.exit(1)
})
