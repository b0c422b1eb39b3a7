/**
 * bench:serve — `imhi serve` under load, on 127.0.0.1 only, bounded in time.
 *  A. 20 concurrent WebSocket clients for 30 s, each an annotator alternating a search (one of a
 *     fixed list of queries) and a rating: requests/s, p50/p95/p99 of each, errors, server RSS
 *     before and after.
 *  B. The same, plus one client that sends searches and never reads its socket: the others' p95,
 *     the server's RSS, and how the stalled client ended (told and disconnected past the bound).
 *  C. The same, plus one client that reads its answers but keeps 16 searches of 1,000 results
 *     asked at once (a greedy client): the others' p95, and how many searches it got answered
 *     (serve's fair share holds it to a quarter of the core lane's time past its allowance).
 * Data: ../shared/imhi when present (all 43,089 items), else a generated DR set of 2,000 items.
 * Needs `npm run build` (imhi serve serves the built renderer). Prints figures; asserts nothing.
 */
import { spawnServe } from '../test/support/serve-process'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { performance } from 'node:perf_hooks'
import type { Socket } from 'node:net'
import { WebSocket } from 'ws'
import { openDatabase } from '../src/main/db/open'
import { createServices } from '../src/main/services'
import { SHARED_IMHI, hasSharedImhi } from '../test/support/shared'
import { writeManyItems } from '../test/inference/helpers'

const ROOT = resolve(import.meta.dirname, '..')
const CLIENTS = Number(process.env.BENCH_CLIENTS ?? 20)
const SECONDS = Number(process.env.BENCH_SECONDS ?? 30)
const QUERIES = ['sleep', 'anxiety', '"panic attack"', 'insomn*', 'depress*', 'lonely OR alone', 'work -school', 'family', 'the', 'i feel', 'tired*', 'money']

function pct(xs: number[], p: number): number {
  if (xs.length === 0) return NaN
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]
}
const ms = (x: number) => `${x.toFixed(1)} ms`

function rssOf(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)![1]) * 1024
}

class Client {
  private next = 1
  private readonly waiting = new Map<number, { resolve: (m: { type: string }) => void; t0: number; method: string }>()
  readonly lat: Record<string, number[]> = { search: [], rate: [] }
  errors = 0
  closed: { code: number; reason: string } | null = null
  private constructor(readonly ws: WebSocket) {
    ws.on('message', (d) => {
      const msg = JSON.parse(String(d)) as { type: string; id?: number }
      if (msg.type === 'event' || msg.id === undefined) return
      const w = this.waiting.get(msg.id)
      if (!w) return
      this.waiting.delete(msg.id)
      w.resolve(msg)
    })
    ws.on('close', (code, reason) => (this.closed = { code, reason: String(reason) }))
    ws.on('error', () => {})
  }
  static open(url: string): Promise<Client> {
    return new Promise((res, rej) => {
      const ws = new WebSocket(url)
      ws.once('open', () => res(new Client(ws)))
      ws.once('error', rej)
    })
  }
  async call(kind: 'search' | 'rate', method: string, params: unknown): Promise<{ type: string; result?: unknown }> {
    const id = this.next++
    const t0 = performance.now()
    const answer = await new Promise<{ type: string }>((resolve) => {
      this.waiting.set(id, { resolve, t0, method })
      this.ws.send(JSON.stringify({ type: 'call', id, method, params }))
    })
    this.lat[kind].push(performance.now() - t0)
    if (answer.type !== 'result') this.errors++
    return answer as { type: string; result?: unknown }
  }
}

async function phase(base: string, ownerToken: string, raters: { annotatorId: number; studyId: number }[], extra: 'none' | 'stalled' | 'greedy', pid: number) {
  const stalled = extra === 'stalled'
  // The owner's token (searching is the owner's), each client rating as its own annotator.
  const wsUrl = `${base}?token=${encodeURIComponent(ownerToken)}`
  const clients = await Promise.all(raters.map(() => Client.open(wsUrl)))
  let stalledClient: Client | null = null
  let stalledSent = 0
  const rssBefore = rssOf(pid)
  let rssPeak = rssBefore
  const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, rssOf(pid))), 250)
  if (stalled) {
    stalledClient = await Client.open(wsUrl)
    ;(stalledClient.ws as unknown as { _socket: Socket })._socket.pause()
  }
  const end = performance.now() + SECONDS * 1000
  let greedy: { ws: WebSocket; answered: number } | null = null
  if (extra === 'greedy') {
    const ws = new WebSocket(wsUrl)
    await new Promise((res, rej) => {
      ws.once('open', res)
      ws.once('error', rej)
    })
    ws.on('error', () => {})
    const g = { ws, answered: 0 }
    greedy = g
    let id = 0
    const ask = () => ws.send(JSON.stringify({ type: 'call', id: ++id, method: 'imhi.search', params: { query: 'feel', limit: 1000 } }))
    // Each answer is counted, not parsed (the other clients share this process), and asks again.
    ws.on('message', () => {
      g.answered++
      if (performance.now() < end) ask()
    })
    for (let i = 0; i < 16; i++) ask()
  }
  let stallTimer: NodeJS.Timeout | null = null
  if (stalledClient) {
    // Bounded: 200 pages of up to 1,000 results per second until it is cut off or the phase ends.
    const call = JSON.stringify({ type: 'call', id: 1, method: 'imhi.search', params: { query: 'feel', limit: 1000 } })
    stallTimer = setInterval(() => {
      if (stalledClient!.closed || stalledClient!.ws.readyState !== WebSocket.OPEN) return
      for (let i = 0; i < 20; i++) stalledClient!.ws.send(call)
      stalledSent += 20
    }, 100)
  }
  await Promise.all(
    clients.map(async (c, k) => {
      const { studyId, annotatorId } = raters[k]
      const queue = (await c.call('rate', 'annotation.queue', { studyId, annotatorId })) as { result?: { entries: { studyItemId: number }[] } }
      const entries = queue.result?.entries ?? []
      let i = 0
      while (performance.now() < end) {
        await c.call('search', 'imhi.search', { query: QUERIES[(i + k) % QUERIES.length], limit: 50 })
        const e = entries[i % Math.max(1, entries.length)]
        if (e) await c.call('rate', 'annotation.rate', { studyId, annotatorId, studyItemId: e.studyItemId, aspect: 'fluency', score: i % 4, seconds: 1 })
        i++
      }
    })
  )
  if (stallTimer) clearInterval(stallTimer)
  clearInterval(sampler)
  const rssAfter = rssOf(pid)
  for (const c of clients) c.ws.close()
  const all = (k: 'search' | 'rate') => clients.flatMap((c) => c.lat[k])
  const errors = clients.reduce((a, c) => a + c.errors, 0)
  const requests = all('search').length + all('rate').length
  const out = {
    requestsPerSecond: requests / SECONDS,
    search: { n: all('search').length, p50: pct(all('search'), 50), p95: pct(all('search'), 95), p99: pct(all('search'), 99) },
    rate: { n: all('rate').length, p50: pct(all('rate'), 50), p95: pct(all('rate'), 95), p99: pct(all('rate'), 99) },
    errors,
    rssBefore,
    rssAfter,
    rssPeak,
    stalled: stalledClient ? { sent: stalledSent, closed: stalledClient.closed } : null,
    greedy: greedy ? { answered: greedy.answered } : null
  }
  if (stalledClient) stalledClient.ws.terminate()
  greedy?.ws.terminate()
  return out
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'imhi-bench-serve-'))
  const dbFile = join(dir, 'bench.db')
  try {
    if (!existsSync(join(ROOT, 'out', 'renderer', 'index.html'))) throw new Error('Run "npm run build" first: imhi serve serves the built renderer.')
    const db = openDatabase(dbFile)
    const s = createServices({ db, dataDir: dir, platform: { transport: 'cli', version: 'bench', dbFile } })
    await s.imhi.importPath(hasSharedImhi ? SHARED_IMHI : writeManyItems(dir, 2000))
    const names = Array.from({ length: CLIENTS }, (_, i) => `bench-${i + 1}`)
    const study = s.annotation.createStudy({
      name: 'bench:serve',
      sources: [{ kind: 'gold', dataset: 'DR', split: 'test_instruction' }],
      seed: 1,
      annotatorsPerItem: 1,
      annotators: names,
      extraAspects: [],
      breakMinutes: 0
    })
    const raters = s.annotation
      .annotators()
      .filter((a) => names.includes(a.name))
      .map((a) => ({ annotatorId: a.id, studyId: study.id }))
    const items = s.imhi.search({ offset: 0, limit: 1 }).total
    await s.close()

    const { url, process: child } = await spawnServe(ROOT, ['--db', dbFile, '--port', '0'])
    try {
      const base = url.replace(/^http/, 'ws').replace(/\/\?token=.*$/, '/api/ws')
      const ownerToken = decodeURIComponent(/token=([^&]+)/.exec(url)![1])
      console.log(`bench:serve: ${items.toLocaleString('en-US')} items (${hasSharedImhi ? '../shared/imhi' : 'generated'}), ${CLIENTS} clients x ${SECONDS} s on 127.0.0.1, search (limit 50) + rate alternately`)
      const a = await phase(base, ownerToken, raters, 'none', child.pid!)
      const b = await phase(base, ownerToken, raters, 'stalled', child.pid!)
      const c = await phase(base, ownerToken, raters, 'greedy', child.pid!)
      const mb = (x: number) => `${(x / 1048576).toFixed(0)} MB`
      for (const [name, r] of [
        [`A. ${CLIENTS} clients`, a],
        [`B. ${CLIENTS} clients + 1 that never reads`, b],
        [`C. ${CLIENTS} clients + 1 greedy (16 searches of 1,000 results asked at once)`, c]
      ] as const) {
        console.log(`\n${name}`)
        console.log(`  requests/s       ${r.requestsPerSecond.toFixed(0)}   errors ${r.errors}`)
        console.log(`  search  n=${r.search.n}  p50 ${ms(r.search.p50)}  p95 ${ms(r.search.p95)}  p99 ${ms(r.search.p99)}`)
        console.log(`  rate    n=${r.rate.n}  p50 ${ms(r.rate.p50)}  p95 ${ms(r.rate.p95)}  p99 ${ms(r.rate.p99)}`)
        console.log(`  server RSS       before ${mb(r.rssBefore)}  after ${mb(r.rssAfter)}  peak ${mb(r.rssPeak)}  growth ${mb(r.rssAfter - r.rssBefore)} (target < 50 MB)`)
        if (r.greedy) console.log(`  greedy client    ${r.greedy.answered} searches of 1,000 results answered (${(r.greedy.answered / SECONDS).toFixed(1)}/s)`)
        if (r.stalled) console.log(`  stalled client   sent ${r.stalled.sent} searches of up to 1,000 results; ended ${r.stalled.closed ? `close ${r.stalled.closed.code} "${r.stalled.closed.reason}"` : 'still open at the end of the phase'}`)
      }
      const ratio = (x: number, y: number) => `${((x / y - 1) * 100).toFixed(0)}%`
      console.log(`\nB vs A: search p95 ${ratio(b.search.p95, a.search.p95)}, rate p95 ${ratio(b.rate.p95, a.rate.p95)} (target: within 20%)`)
      console.log(`C vs A: search p95 ${ratio(c.search.p95, a.search.p95)}, rate p95 ${ratio(c.rate.p95, a.rate.p95)}`)
    } finally {
      child.kill('SIGTERM')
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

await main()
