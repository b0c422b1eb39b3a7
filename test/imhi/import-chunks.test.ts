import { describe, expect, it } from 'vitest'
import { spawn } from 'node:child_process'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { openDatabase } from '../../src/main/db/open'
import { createServices, type Services } from '../../src/main/services'
import { shortWrite } from '../../src/main/db/waitingWriters'
import { CHUNK_ROWS } from '../../src/main/imhi/importer'
import { APP_VERSION } from '../../src/main/version'
import { tempDir } from '../support/tmp'
import { writeImhiFixture } from '../support/imhi-fixture'
import { BIN, ROOT } from '../hardening/isolated'

// An items file is written in chunks (short transactions), yet every reader sees it whole or not at
// all; a file failing after some chunks leaves nothing; a rating on another connection gets the
// write lock after the import's current chunk, not after the whole file.

const H = 'query,gpt-3.5-turbo\n'
const line = (post: string, label = 'yes') => `"Consider this post: ""${post}"" Question: Does the poster suffer from depression?","${label}. Reasoning: invented."\n`
const post = (name: string, i: number) => `${name} post number ${i} about sleep and mood`

/** Writes `layoutPath` under `root` with `rows` rows of `name`'s posts; row `bad` (1-based) has an empty query. */
function itemsFile(root: string, layoutPath: string, name: string, rows: number, bad?: number): void {
  const file = join(root, layoutPath)
  mkdirSync(join(file, '..'), { recursive: true })
  writeFileSync(file, H + Array.from({ length: rows }, (_, i) => (i + 1 === bad ? '"",yes\n' : line(post(name, i)))).join(''))
}

function open(dbFile: string): Services {
  return createServices({ db: openDatabase(dbFile), dataDir: join(dbFile, '..'), platform: { transport: 'test', version: APP_VERSION, dbFile } })
}

/** Items as stored, hidden or not (what a reader that forgot the visibility rule would count). */
function raw(dbFile: string) {
  const db = new Database(dbFile, { readonly: true })
  const stmt = db.prepare<[], { items: number; last: number; hidden: number; incomplete: number; orphans: number }>(
    `SELECT (SELECT count(*) FROM items) AS items, (SELECT coalesce(max(id), 0) FROM items) AS last,
       (SELECT count(*) FROM items WHERE id >= (SELECT first_id FROM items_pending)) AS hidden,
       (SELECT count(*) FROM source_files WHERE complete = 0) AS incomplete,
       (SELECT count(*) FROM posts p WHERE NOT EXISTS (SELECT 1 FROM items i WHERE i.post_id = p.id)) AS orphans`
  )
  return { read: () => stmt.get()!, close: () => db.close() }
}

const tick = () => new Promise<void>((r) => setImmediate(r))

describe('import in chunks: all or nothing per file, as every reader sees it', () => {
  const dir = tempDir()

  it('a second connection polling during an import of multi-chunk files only ever sees whole files (stats, facets, search, browse, item reads)', async () => {
    const dbFile = join(dir, 'visible.db')
    const names = ['DR', 'dreaddit', 'SAD']
    const rows = 1200
    // First the test files: their posts are in the full-text index when the training files (the
    // same posts, another split) are imported, so a text search would find a half-written file too.
    const first = join(dir, 'first')
    for (const n of names) itemsFile(first, `test_data/test_instruction/${n}.csv`, n, rows)
    const second = join(dir, 'second')
    for (const n of names) itemsFile(second, `train_data/instruction_data/${n}/train.csv`, n, rows)
    const importer = open(dbFile)
    expect((await importer.imhi.importPath(first)).added).toBe(3 * rows)

    const reader = open(dbFile)
    const whole = new Set([0, 1, 2, 3].map((files) => 3 * rows + files * rows))
    const rawDb = raw(dbFile)
    const seen = { polls: 0, partialStored: 0, totals: new Set<number>() }
    let done = false
    const poll = (async () => {
      while (!done) {
        const r = rawDb.read()
        if (!whole.has(r.items)) seen.partialStored++
        const stats = reader.imhi.stats()
        const statsTotal = Object.values(stats.datasets).reduce((a, d) => a + Object.values(d.splits).reduce((b, s) => b + s!.items, 0), 0)
        const totals = [
          statsTotal,
          reader.imhi.facets().total,
          reader.imhi.search({ offset: 0, limit: 5 }).total,
          reader.imhi.search({ splits: ['test_instruction', 'train_instruction'], offset: 0, limit: 5 }).total,
          reader.imhi.search({ query: 'sleep', offset: 0, limit: 5 }).total,
          reader.imhi.search({ query: 'sleep', datasets: names, offset: 0, limit: 5 }).total,
          names.reduce((a, n) => a + reader.imhi.listItems(n, 'train_instruction').length + reader.imhi.itemIdsInOrder(n, 'test_instruction', 1e6).length, 0),
          names.reduce((a, n) => a + reader.imhi.itemsOfSplits(n, ['test_instruction', 'train_instruction']).length, 0),
          names.reduce((a, n) => a + reader.imhi.goldResponses(n).length, 0)
        ]
        for (const t of totals) seen.totals.add(t)
        // An item above what is visible is not found by id either.
        if (r.hidden > 0) {
          expect(() => reader.imhi.item(r.last)).toThrow(/No item with id/)
          expect(reader.imhi.itemsByIds([r.last])).toEqual([])
        }
        seen.polls++
        await tick()
      }
    })()
    const report = await importer.imhi.importPath(second, { chunk: { rows: 100 } })
    done = true
    await poll
    rawDb.close()
    expect(report).toMatchObject({ added: 3 * rows, errors: 0 })
    // The import was seen half-written in storage many times, never by a read of the service.
    expect(seen.polls).toBeGreaterThan(20)
    expect(seen.partialStored).toBeGreaterThan(10)
    for (const t of seen.totals) expect(whole.has(t), `a read saw ${t} items: not whole files (${[...whole].join(', ')})`).toBe(true)
    expect(reader.imhi.facets().total).toBe(6 * rows)
    expect(reader.imhi.search({ query: 'sleep', offset: 0, limit: 1 }).total).toBe(6 * rows)
    await reader.close()
    await importer.close()
  }, 120_000)

  it('a file failing after several chunks leaves nothing (items, source row, posts); the other files import; fixed, it imports whole', async () => {
    const dbFile = join(dir, 'failing.db')
    const root = join(dir, 'failing')
    itemsFile(root, 'test_data/test_instruction/CAMS.csv', 'CAMS', 50)
    itemsFile(root, 'test_data/test_instruction/DR.csv', 'DR', 2000, 1700)
    itemsFile(root, 'test_data/test_instruction/SAD.csv', 'SAD', 300)
    const s = open(dbFile)
    const rawDb = raw(dbFile)
    let hiddenSeen = 0
    let done = false
    const poll = (async () => {
      for (; !done; await tick()) {
        const r = rawDb.read()
        hiddenSeen = Math.max(hiddenSeen, r.hidden)
      }
    })()
    const r = await s.imhi.importPath(root, { chunk: { rows: 200 } })
    done = true
    await poll
    // The bad row came after several chunks of DR were committed (hidden).
    expect(hiddenSeen).toBeGreaterThanOrEqual(1000)
    expect(r.errors).toBe(1)
    expect(r.files.find((f) => f.file.endsWith('DR.csv'))!.error).toMatch(/DR\.csv: row 1700: the query is empty/)
    expect(r.added).toBe(350)
    expect(rawDb.read()).toEqual({ items: 350, last: 350, hidden: 0, incomplete: 0, orphans: 0 })
    expect(s.imhi.search({ datasets: ['DR'], offset: 0, limit: 1 }).total).toBe(0)
    rawDb.close()

    // Fixed: the same database as an import of the fixed folder into a new one.
    itemsFile(root, 'test_data/test_instruction/DR.csv', 'DR', 2000)
    expect(await s.imhi.importPath(root, { chunk: { rows: 200 } })).toMatchObject({ added: 2000, unchanged: 350, errors: 0 })
    const clean = open(join(dir, 'failing-clean.db'))
    itemsFile(join(dir, 'failing-order'), 'test_data/test_instruction/CAMS.csv', 'CAMS', 50)
    itemsFile(join(dir, 'failing-order'), 'test_data/test_instruction/SAD.csv', 'SAD', 300)
    await clean.imhi.importPath(join(dir, 'failing-order'))
    await clean.imhi.importPath(root)
    const dump = (services: Services) => ({
      ids: services.imhi.search({ offset: 0, limit: 10_000 }).items.map((i) => [i.id, i.dataset, i.snippet]),
      sleep: services.imhi.search({ query: 'sleep', offset: 0, limit: 10_000 }).items.map((i) => i.id)
    })
    expect(dump(s)).toEqual(dump(clean))
    await s.close()
    await clean.close()
  }, 120_000)

  it('a cancel made while a file is being written (not from a progress event) stops it after the current chunk; the file is rolled back whole', async () => {
    const dbFile = join(dir, 'cancel.db')
    const root = join(dir, 'cancel')
    itemsFile(root, 'test_data/test_instruction/CAMS.csv', 'CAMS', 20)
    itemsFile(root, 'test_data/test_instruction/DR.csv', 'DR', 8000)
    const s = open(dbFile)
    const rawDb = raw(dbFile)
    const importing = s.imhi.importPath(root, { chunk: { rows: 250 } })
    // Another call on this event loop, as imhi.cancelImport reaches the jobs lane: it runs between two chunks.
    let cancelledAt = -1
    let finished = false
    void importing.finally(() => (finished = true))
    while (!finished) {
      await tick()
      const r = rawDb.read()
      if (r.hidden >= 1000) {
        expect(s.imhi.cancelImport()).toBe(true)
        cancelledAt = r.hidden
        break
      }
    }
    const report = await importing
    expect(cancelledAt).toBeGreaterThanOrEqual(1000)
    expect(report).toMatchObject({ cancelled: true, notRead: 1, added: 20 })
    expect(rawDb.read()).toEqual({ items: 20, last: 20, hidden: 0, incomplete: 0, orphans: 0 })
    rawDb.close()
    expect((await s.imhi.importPath(root)).added).toBe(8000)
    await s.close()
  }, 60_000)

  it('a rating on another connection (another process imports one long file) is written after the current chunk, well before the file completes', async () => {
    const dbFile = join(dir, 'rating.db')
    const s = open(dbFile)
    await s.imhi.importPath(writeImhiFixture(join(dir, 'seed')))
    const study = s.annotation.createStudy({
      name: 'during import',
      sources: [{ kind: 'gold', dataset: 'DR', split: 'test_instruction' }],
      seed: 1,
      annotatorsPerItem: 1,
      annotators: ['rater'],
      extraAspects: [],
      breakMinutes: 0
    })
    const annotatorId = s.annotation.annotators().find((a) => a.name === 'rater')!.id
    const studyItemId = s.annotation.queue(study.id, annotatorId).entries[0].studyItemId
    const root = join(dir, 'long')
    const rows = 200_000
    itemsFile(root, 'train_data/instruction_data/CAMS/train.csv', 'CAMS', rows)

    const child = spawn(process.execPath, [BIN, 'import', root, '--db', dbFile, '--json'], { cwd: ROOT })
    let stderr = ''
    child.stderr.on('data', (d) => (stderr += d))
    const exited = new Promise<number | null>((r) => child.once('exit', r))
    const rawDb = raw(dbFile)
    try {
      // Wait for the file's first chunks.
      while (rawDb.read().hidden < 2 * CHUNK_ROWS) {
        if (child.exitCode !== null) throw new Error(`the import ended before its file was half-written: ${stderr}`)
        await new Promise((r) => setTimeout(r, 5))
      }
      // The rater's own connection (the core lane's, in the app), writing as the core lane writes.
      const conn = openDatabase(dbFile)
      conn.pragma('busy_timeout = 60000')
      const rating = createServices({ db: conn, dataDir: dir, platform: { transport: 'test', version: APP_VERSION, dbFile } })
      const waits: { writtenMeanwhile: number; completeAfter: boolean }[] = []
      for (let i = 0; i < 10; i++) {
        const before = rawDb.read()
        // Trying again only every 20 ms (the core lane tries every millisecond): it gets in because
        // the importer waits for it after its chunk, not because it hits the instant between two.
        await shortWrite(conn, async () => rating.annotation.rate({ studyId: study.id, annotatorId, studyItemId, aspect: 'fluency', score: i % 4 }), {
          timeoutMs: 60_000,
          busyTimeoutMs: 60_000,
          retryMs: 20
        })
        const after = rawDb.read()
        waits.push({ writtenMeanwhile: after.last - before.last, completeAfter: after.incomplete === 0 })
      }
      const rated = conn.prepare('SELECT count(*) AS n FROM ratings').get() as { n: number }
      expect(rated.n).toBeGreaterThan(0)
      // Every rating was written while the file was still being written, each after at most a
      // couple of chunks (the one being written when it asked, and the next one started meanwhile).
      for (const w of waits) {
        expect(w.completeAfter, JSON.stringify(waits)).toBe(false)
        expect(w.writtenMeanwhile, JSON.stringify(waits)).toBeLessThanOrEqual(2 * CHUNK_ROWS)
      }
      await rating.close()
    } finally {
      rawDb.close()
    }
    expect(await exited, stderr).toBe(0)
    expect(s.imhi.search({ datasets: ['CAMS'], splits: ['train_instruction'], offset: 0, limit: 1 }).total).toBe(rows)
    await s.close()
  }, 180_000)
})
