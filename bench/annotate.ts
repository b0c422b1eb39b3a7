/**
 * bench:annotate — how fast a rating becomes durable, and how fast the rating screen moves on.
 *  1. From the rating call to a committed write (SQLite WAL, synchronous=NORMAL as the app runs it:
 *     survives a process crash): p50/p95/p99 over 10,000 ratings through the API dispatcher.
 *     For comparison, the same with synchronous=FULL (an fsync per commit: survives power loss too).
 *  2. From a rating keypress to the next aspect shown, in Chromium against `imhi serve`
 *     (needs `npm run build` first): p50/p95 over 600 keypresses.
 *  3. The lead's review view of a study of 5,000 items x 3 annotators (60,000 ratings): the two
 *     API calls behind it (review lists + one item) through the dispatcher, and the view opened in
 *     Chromium against `imhi serve` until the item's table is shown: p50/p95 of 20 opens.
 *     Also the Charts tab's figures (bootstrap 95% intervals, 1,000 resamples) on the same study.
 * Prints figures; asserts nothing.
 */
import { spawnServe } from '../test/support/serve-process'
import { insertItem } from '../test/support/items'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { performance } from 'node:perf_hooks'
import { chromium } from '@playwright/test'
import { openDatabase, type Db } from '../src/main/db/open'
import { createServices } from '../src/main/services'
import { createHandlers } from '../src/main/api/handlers'
import { dispatch, type CallContext } from '../src/main/api/dispatch'
import { mulberry32 } from '../src/main/random'

const ROOT = resolve(import.meta.dirname, '..')
const RATINGS = 10_000
const KEYPRESSES = 600
const REVIEW_ITEMS = 5_000
const REVIEW_OPENS = 20

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]
}
const f = (x: number) => x.toFixed(3)

/** Plain posts (no content notice) with gold explanations, written straight into the core tables. */
function seed(db: Db, n: number): void {
  db.transaction(() => {
    db.prepare(`INSERT OR IGNORE INTO datasets (name, task, labels) VALUES ('DR', 'depression', '["no","yes"]')`).run()
    const sf = Number(db.prepare(`INSERT INTO source_files (path, kind, dataset, split, rows, sha256) VALUES ('bench/DR.csv', 'items', 'DR', 'test_instruction', ?, 'bench')`).run(n).lastInsertRowid)
    for (let i = 1; i <= n; i++) {
      insertItem(db, {
        dataset: 'DR',
        split: 'test_instruction',
        sourceFileId: sf,
        sourceRow: i,
        query: 'q',
        post: `Bench post ${i}. ${'I went to work, came home and watched a film. '.repeat(6)}`,
        goldLabel: 'no',
        goldResponse: `no. Reasoning: The poster describes an ordinary day (${i}); no sign of depression.`
      })
    }
  })()
}

function newStudy(dbFile: string, items: number) {
  const db = openDatabase(dbFile)
  const s = createServices({ db, dataDir: resolve(dbFile, '..'), platform: { transport: 'cli', version: 'bench', dbFile } })
  seed(db, items)
  const study = s.annotation.createStudy({
    name: 'bench',
    sources: [{ kind: 'gold', dataset: 'DR', split: 'test_instruction' }],
    seed: 1,
    annotatorsPerItem: 1,
    annotators: ['bench'],
    extraAspects: [],
    breakMinutes: 0
  })
  return { s, study }
}

async function durableWrites(dir: string, synchronous: 'NORMAL' | 'FULL'): Promise<number[]> {
  const dbFile = join(dir, `durable-${synchronous}.db`)
  const { s, study } = newStudy(dbFile, RATINGS / 4)
  s.db.pragma(`synchronous = ${synchronous}`)
  const handlers = createHandlers(s)
  const ctx: CallContext = { client: { id: 'bench', transport: 'serve', role: 'owner', annotatorId: null }, emit: () => {} }
  const annotatorId = study.annotatorProgress[0].id
  const queue = s.annotation.queue(study.id, annotatorId)
  const times: number[] = []
  let k = 0
  for (const e of queue.entries) {
    for (const a of queue.study.aspects) {
      const params = { studyId: study.id, annotatorId, studyItemId: e.studyItemId, aspect: a.key, score: k++ % 4, seconds: k / 10 }
      const t0 = performance.now()
      await dispatch(handlers, 'annotation.rate', params, ctx) // returns after COMMIT
      times.push(performance.now() - t0)
    }
  }
  const stored = s.db.prepare('SELECT count(*) FROM ratings').pluck().get() as number
  if (stored !== RATINGS) throw new Error(`expected ${RATINGS} ratings, found ${stored}`)
  await s.close()
  return times
}

async function startServe(dbFile: string): Promise<{ url: string; stop: () => void }> {
  const { url, process: child } = await spawnServe(ROOT, ['--db', dbFile, '--port', '0'])
  return { url, stop: () => child.kill('SIGTERM') }
}

async function keypressToNextAspect(dir: string): Promise<{ all: number[]; paint: number[]; withinItem: number[]; nextItem: number[] } | string> {
  if (!existsSync(join(ROOT, 'out', 'renderer', 'index.html'))) return 'skipped: out/renderer is not built (npm run build)'
  const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
  if (!existsSync(chromiumPath)) return `skipped: no Chromium at ${chromiumPath}`
  const dbFile = join(dir, 'ui.db')
  const { s, study } = newStudy(dbFile, KEYPRESSES / 4 + 2)
  const annotatorId = study.annotatorProgress[0].id
  await s.close()
  const server = await startServe(dbFile)
  const browser = await chromium.launch({ executablePath: chromiumPath, args: ['--no-sandbox', '--disable-gpu'], headless: true })
  try {
    const page = await (await browser.newContext({ viewport: { width: 1400, height: 900 } })).newPage()
    await page.addInitScript(() => localStorage.setItem('imhi-notice-acknowledged', '1'))
    await page.goto(`${server.url}#/annotate/rate/${study.id}?annotator=${annotatorId}`)
    await page.waitForSelector('[data-testid="rating-screen"][data-loaded="1"]')
    // In the page: keydown (capture) -> the first DOM change that shows the next aspect (or the
    // next item, loaded) -> the next animation frame after it (painted).
    // (A string, not a function: tsx would wrap named functions in a helper the page lacks.)
    await page.evaluate(`(() => {
      const w = window
      const screen = () => document.querySelector('[data-testid="rating-screen"]')
      const state = () => screen().dataset.pos + ':' + screen().dataset.aspect
      w.__lat = []
      w.__t0 = null
      window.addEventListener('keydown', () => { w.__t0 = performance.now(); w.__before = state() }, true)
      new MutationObserver(() => {
        const t0 = w.__t0
        if (t0 === null || screen().dataset.loaded !== '1' || state() === w.__before) return
        const shown = performance.now() - t0
        const nextItem = state().split(':')[0] !== w.__before.split(':')[0]
        w.__t0 = null
        requestAnimationFrame(() => w.__lat.push([shown, performance.now() - t0, nextItem]))
      }).observe(document.body, { attributes: true, subtree: true, attributeFilter: ['data-aspect', 'data-pos', 'data-loaded'] })
    })()`)
    for (let i = 0; i < KEYPRESSES; i++) {
      await page.keyboard.press(String(i % 4))
      await page.waitForFunction((n) => (window as unknown as { __lat: unknown[] }).__lat.length >= n, i + 1, { polling: 'raf' })
    }
    const lat = (await page.evaluate('window.__lat')) as [number, number, boolean][]
    await page.waitForSelector('[data-testid="save-state"]:has-text("all saved")', { timeout: 30_000 })
    return { all: lat.map((l) => l[0]), paint: lat.map((l) => l[1]), withinItem: lat.filter((l) => !l[2]).map((l) => l[0]), nextItem: lat.filter((l) => l[2]).map((l) => l[0]) }
  } finally {
    await browser.close()
    server.stop()
  }
}

/** A study of REVIEW_ITEMS items x 3 annotators, every aspect rated (seeded scores), some flags and notes. */
async function reviewStudy(dir: string): Promise<{ dbFile: string; studyId: number; itemIds: number[] }> {
  const dbFile = join(dir, 'review.db')
  const db = openDatabase(dbFile)
  const s = createServices({ db, dataDir: dir, platform: { transport: 'cli', version: 'bench', dbFile } })
  seed(db, REVIEW_ITEMS)
  const study = s.annotation.createStudy({
    name: 'review bench',
    sources: [{ kind: 'gold', dataset: 'DR', split: 'test_instruction' }],
    seed: 2,
    annotatorsPerItem: 3,
    annotators: ['r1', 'r2', 'r3'],
    extraAspects: [],
    breakMinutes: 0
  })
  const rand = mulberry32(7)
  const items = db.prepare('SELECT id FROM study_items WHERE study_id = ? ORDER BY position').pluck().all(study.id) as number[]
  db.transaction(() => {
    const rate = db.prepare('INSERT INTO ratings (study_id, study_item_id, annotator_id, aspect, score) VALUES (?, ?, ?, ?, ?)')
    const state = db.prepare('INSERT INTO item_states (study_item_id, annotator_id, flagged, skipped, note, seconds) VALUES (?, ?, ?, ?, ?, ?)')
    for (const it of items) {
      const base = Math.floor(rand() * 4)
      for (const p of study.annotatorProgress) {
        for (const a of ['fluency', 'completeness', 'reliability', 'overall']) rate.run(study.id, it, p.id, a, Math.max(0, Math.min(3, base + Math.round((rand() - 0.5) * 2))))
        const r = rand()
        state.run(it, p.id, r < 0.02 ? 1 : 0, r > 0.99 ? 1 : 0, r < 0.05 ? `note ${it}` : '', 5 + rand() * 60)
      }
    }
  })()
  await s.close()
  return { dbFile, studyId: study.id, itemIds: items }
}

async function reviewApi(dbFile: string, studyId: number): Promise<{ open: number[]; cold: number[]; lists: number[]; item: number[]; charts: number[]; disagreeing: number[] }> {
  const db = openDatabase(dbFile)
  const s = createServices({ db, dataDir: resolve(dbFile, '..'), platform: { transport: 'cli', version: 'bench', dbFile } })
  const handlers = createHandlers(s)
  const ctx: CallContext = { client: { id: 'bench', transport: 'serve', role: 'owner', annotatorId: null }, emit: () => {} }
  const open: number[] = []
  const lists: number[] = []
  const item: number[] = []
  let disagreeing: number[] = []
  // Cold: a write just before each open (an annotator rating meanwhile) invalidates the ranking.
  const cold: number[] = []
  const touch = s.db.prepare('UPDATE item_states SET seconds = seconds + 0.001 WHERE rowid = (SELECT min(rowid) FROM item_states)')
  for (let i = 0; i < REVIEW_OPENS; i++) {
    touch.run()
    const t0 = performance.now()
    const r = (await dispatch(handlers, 'annotation.reviewOrder', { studyId, list: 'disagreements' }, ctx)) as { studyItemIds: number[] }
    await dispatch(handlers, 'annotation.reviewItem', { studyId, studyItemId: r.studyItemIds[i] }, ctx)
    cold.push(performance.now() - t0)
  }
  for (let i = 0; i < REVIEW_OPENS; i++) {
    const t0 = performance.now()
    const r = (await dispatch(handlers, 'annotation.reviewOrder', { studyId, list: 'disagreements' }, ctx)) as { studyItemIds: number[] }
    disagreeing = r.studyItemIds
    const t1 = performance.now()
    await dispatch(handlers, 'annotation.reviewItem', { studyId, studyItemId: r.studyItemIds[i] }, ctx)
    const t2 = performance.now()
    lists.push(t1 - t0)
    item.push(t2 - t1)
    open.push(t2 - t0)
  }
  const charts: number[] = []
  for (let i = 0; i < 3; i++) {
    const t0 = performance.now()
    await dispatch(handlers, 'annotation.charts', { studyId, resamples: 1000, seed: 1 }, ctx)
    charts.push(performance.now() - t0)
  }
  await s.close()
  return { open, cold, lists, item, charts, disagreeing }
}

async function reviewInChromium(dbFile: string, studyId: number, itemIds: number[]): Promise<number[] | string> {
  if (!existsSync(join(ROOT, 'out', 'renderer', 'index.html'))) return 'skipped: out/renderer is not built (npm run build)'
  const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
  if (!existsSync(chromiumPath)) return `skipped: no Chromium at ${chromiumPath}`
  const server = await startServe(dbFile)
  const browser = await chromium.launch({ executablePath: chromiumPath, args: ['--no-sandbox', '--disable-gpu'], headless: true })
  try {
    const page = await (await browser.newContext({ viewport: { width: 1400, height: 900 } })).newPage()
    await page.addInitScript(() => localStorage.setItem('imhi-notice-acknowledged', '1'))
    await page.goto(`${server.url}#/annotate/study/${studyId}?tab=review`)
    await page.waitForSelector('[data-testid="review-list-disagreements"]')
    const times: number[] = []
    // As the lead does: from the study's Review tab (its lists loaded) into one item.
    for (let i = 0; i < REVIEW_OPENS; i++) {
      await page.evaluate(`location.hash = '#/annotate/study/${studyId}?tab=review'`)
      await page.waitForSelector('[data-testid="review-list-disagreements"]')
      const id = itemIds[(i * 97) % itemIds.length] // items spread over the list of disagreements
      // From the navigation to the item's table on screen (the lists for prev/next load alongside).
      const t = (await page.evaluate(`new Promise((done, fail) => {
        const t0 = performance.now()
        location.hash = '#/annotate/review/${studyId}/${id}?list=disagreements'
        const tick = () => {
          const v = document.querySelector('[data-testid="review-view"] [data-testid="review-table"]')
          const pos = document.querySelector('[data-testid="review-position"]')
          if (v && pos && !pos.textContent.startsWith('—')) requestAnimationFrame(() => done(performance.now() - t0))
          else if (performance.now() - t0 > 30000) fail(new Error('the review view did not open within 30 s'))
          else requestAnimationFrame(tick)
        }
        tick()
      })`)) as number
      times.push(t)
    }
    return times
  } finally {
    await browser.close()
    server.stop()
  }
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'imhi-bench-annotate-'))
  try {
    console.log(`bench:annotate (Node ${process.version}, ${process.platform}/${process.arch})`)
    // BENCH_ONLY=review runs only part 3 (while developing).
    const only = process.env.BENCH_ONLY
    for (const mode of only === 'review' ? [] : (['NORMAL', 'FULL'] as const)) {
      const t = await durableWrites(dir, mode)
      const label = mode === 'NORMAL' ? 'rating call -> committed (WAL, synchronous=NORMAL, the app setting)' : 'rating call -> committed + fsync (WAL, synchronous=FULL, comparison)'
      console.log(`${label}: n=${t.length} p50 ${f(pct(t, 50))} ms, p95 ${f(pct(t, 95))} ms, p99 ${f(pct(t, 99))} ms, max ${f(Math.max(...t))} ms` + (mode === 'NORMAL' ? `  [target p95 < 5 ms: ${pct(t, 95) < 5 ? 'met' : 'NOT met'}]` : ''))
    }
    const ui = only === 'review' ? 'skipped (BENCH_ONLY=review)' : await keypressToNextAspect(dir)
    if (typeof ui === 'string') console.log(`keypress -> next aspect shown (Chromium): ${ui}`)
    else {
      console.log(
        `keypress -> next aspect shown (Chromium, imhi serve): n=${ui.all.length} p50 ${f(pct(ui.all, 50))} ms, p95 ${f(pct(ui.all, 95))} ms, max ${f(Math.max(...ui.all))} ms  [target p95 < 50 ms: ${pct(ui.all, 95) < 50 ? 'met' : 'NOT met'}]`
      )
      console.log(`  within an item: n=${ui.withinItem.length} p50 ${f(pct(ui.withinItem, 50))} ms, p95 ${f(pct(ui.withinItem, 95))} ms`)
      console.log(`  to the next item (last aspect rated): n=${ui.nextItem.length} p50 ${f(pct(ui.nextItem, 50))} ms, p95 ${f(pct(ui.nextItem, 95))} ms`)
      console.log(`  up to the next animation frame (painted): p50 ${f(pct(ui.paint, 50))} ms, p95 ${f(pct(ui.paint, 95))} ms`)
    }
    const rs = await reviewStudy(dir)
    const api = await reviewApi(rs.dbFile, rs.studyId)
    console.log(
      `review view API, ${REVIEW_ITEMS} items x 3 annotators (the list it pages through + one item, dispatcher): n=${api.open.length} p50 ${f(pct(api.open, 50))} ms, p95 ${f(pct(api.open, 95))} ms` +
        ` (lists p95 ${f(pct(api.lists, 95))} ms, item p95 ${f(pct(api.item, 95))} ms)`
    )
    console.log(`  cold (a rating written just before each open, so the ranking is computed again): p50 ${f(pct(api.cold, 50))} ms, p95 ${f(pct(api.cold, 95))} ms`)
    const view = await reviewInChromium(rs.dbFile, rs.studyId, api.disagreeing)
    if (typeof view === 'string') console.log(`review view opened (Chromium): ${view}`)
    else console.log(`review view opened from the Review tab (Chromium, imhi serve, navigation -> item table and list position painted): n=${view.length} p50 ${f(pct(view, 50))} ms, p95 ${f(pct(view, 95))} ms, max ${f(Math.max(...view))} ms  [target p95 < 300 ms: ${pct(view, 95) < 300 ? 'met' : 'NOT met'}]`)
    console.log(`charts (distributions, alpha with bootstrap 95% CI x 1,000 resamples for 4 aspects x 2 metrics, times, progress), same study: n=${api.charts.length} p50 ${f(pct(api.charts, 50))} ms, max ${f(Math.max(...api.charts))} ms`)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

await main()
