import { describe, expect, it } from 'vitest'
import { spawn } from 'node:child_process'
import { copyFileSync, existsSync, mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { testServices } from '../support/services'
import { openDatabase } from '../../src/main/db/open'
import { createServices } from '../../src/main/services'
import { APP_VERSION } from '../../src/main/version'
import { tempDir } from '../support/tmp'
import { writeImhiFixture, IMHI_FIXTURE } from '../support/imhi-fixture'
import { BIN, ROOT, imhiCli } from './isolated'

// Defect 5 (the same file twice), defect 6 (two imports at once), and the kill -9 trial kept as a
// test: an import killed at any moment leaves the database exact once imported again.

const H = 'query,gpt-3.5-turbo\n'
const row = (post: string, label = 'yes') => `"Consider this post: ""${post}"" Question: Does the poster suffer from depression?","${label}. Reasoning: invented."\n`

/** A folder of `files` DR-like files with `rows` rows each, big enough for an import to take a while. */
function bigFolder(dir: string, files: number, rows: number): { root: string; items: number } {
  const root = join(dir, `big-${Math.random().toString(36).slice(2)}`)
  const names = ['DR', 'dreaddit', 'loneliness', 'Irf', 'MultiWD', 'SAD', 'CAMS', 't-sid', 'swmh'].slice(0, files)
  for (const name of names) {
    const file = join(root, 'test_data', 'test_instruction', `${name}.csv`)
    mkdirSync(join(file, '..'), { recursive: true })
    writeFileSync(file, H + Array.from({ length: rows }, (_, i) => row(`${name} post number ${i} about sleep and mood ${i * 7}`)).join(''))
  }
  return { root, items: names.length * rows }
}

function counts(dbFile: string): { items: number; files: number; distinct: number } {
  const db = new Database(dbFile, { readonly: true })
  try {
    const items = (db.prepare('SELECT count(*) AS n FROM items').get() as { n: number }).n
    const distinct = (db.prepare('SELECT count(*) AS n FROM (SELECT DISTINCT source_file_id, source_row FROM items)').get() as { n: number }).n
    const files = (db.prepare('SELECT count(*) AS n FROM source_files').get() as { n: number }).n
    return { items, files, distinct }
  } finally {
    db.close()
  }
}

/** Everything an import writes, ids included (not the import times), and the full-text index checked. */
function dump(dbFile: string) {
  const db = new Database(dbFile)
  try {
    db.prepare("INSERT INTO posts_fts (posts_fts) VALUES ('integrity-check')").run()
    return {
      sources: db.prepare('SELECT id, path, kind, dataset, split, rows, sha256, size_bytes, columns, complete FROM source_files ORDER BY id').all(),
      items: db.prepare('SELECT * FROM items ORDER BY id').all(),
      posts: db.prepare('SELECT * FROM posts ORDER BY id').all(),
      pending: db.prepare('SELECT first_id FROM items_pending').get(),
      fts: db.prepare('SELECT indexed_upto FROM posts_fts_state').get(),
      sleep: db.prepare("SELECT rowid FROM posts_fts WHERE posts_fts MATCH 'sleep' ORDER BY rowid").pluck().all()
    }
  } finally {
    db.close()
  }
}

function importProcess(root: string, db: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, 'import', root, '--db', db, '--json'], { cwd: ROOT })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d) => (stdout += d))
    child.stderr.on('data', (d) => (stderr += d))
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000)
    child.on('exit', (code) => {
clearTimeout(timer)
resolve({ code, stdout, stderr })
    })
  })
}

describe('import: duplicates, concurrency, kill -9', () => {
  const dir = tempDir()

  it('a byte-identical copy under another name is imported once; the report names the original', async () => {
    const s = testServices()
    const root = writeImhiFixture(dir)
    const folder = join(root, 'train_data', 'instruction_data', 'DR')
    copyFileSync(join(folder, 'train.csv'), join(folder, 'train copy.csv'))
    copyFileSync(join(root, 'test_data', 'test_instruction', 'DR.csv'), join(root, 'test_data', 'test_instruction', 'dr.csv'))
    const r = await s.imhi.importPath(root)
    expect(r.errors).toBe(0)
    expect(r.added).toBe(IMHI_FIXTURE.items + IMHI_FIXTURE.referenceRatings)
    // Files are read in name order: "train copy.csv" comes before "train.csv", so train.csv is the copy.
    const copy = r.files.find((f) => f.file === 'train_data/instruction_data/DR/train.csv')!
    expect(copy).toMatchObject({ kind: 'skipped', added: 0, duplicateOf: 'train_data/instruction_data/DR/train copy.csv' })
    expect(copy.reason).toMatch(/the same content \(SHA-256\) as train_data\/instruction_data\/DR\/train copy\.csv, already imported: not imported twice/)
    expect(r.files.find((f) => f.file === 'test_data/test_instruction/dr.csv')).toMatchObject({ added: 0, duplicateOf: 'test_data/test_instruction/DR.csv' })
    expect(s.imhi.search({ datasets: ['DR'], splits: ['train_instruction'], offset: 0, limit: 1 }).total).toBe(3)
  })

  it('an import while another holds the database: a clear message, nothing written', () => {
    const db = join(dir, 'locked.db')
    writeFileSync(`${db}.import-lock`, JSON.stringify({ pid: process.pid, host: require('node:os').hostname(), since: '2026-01-01T00:00:00Z' }))
    const r = imhiCli(['import', writeImhiFixture(join(dir, 'l')), '--db', db, '--json'])
    expect(r.code).toBe(1)
    expect(r.stderr).toMatch(/Another import is running on this database \(process \d+, since 2026-01-01T00:00:00Z\); wait for it to finish/)
    expect(counts(db).items).toBe(0)
  })

  it('two imports at once into one database (3 trials): each exits 0 or says another import is running; the data ends exact', async () => {
    const { root, items } = bigFolder(dir, 6, 1500)
    for (let trial = 0; trial < 3; trial++) {
const db = join(dir, `race-${trial}.db`)
const [a, b] = await Promise.all([importProcess(root, db), importProcess(root, db)])
for (const r of [a, b]) {
  if (r.code !== 0) expect(r.stderr).toMatch(/Another import is running on this database/)
  expect(r.stderr).not.toMatch(/UNIQUE constraint|database is locked/)
}
expect(a.code === 0 || b.code === 0).toBe(true)
expect(counts(db)).toEqual({ items, files: 6, distinct: items })
expect(existsSync(`${db}.import-lock`)).toBe(false)
    }
  }, 300_000)

  it('kill -9 at random moments during an import (3 trials): importing again makes the data exact', async () => {
    const { root, items } = bigFolder(dir, 6, 1500)
    for (let trial = 0; trial < 3; trial++) {
      const db = join(dir, `kill-${trial}.db`)
      const child = spawn(process.execPath, [BIN, 'import', root, '--db', db], { cwd: ROOT, stdio: 'ignore' })
      // Registered at spawn: resolves even when the import ends before the kill.
      const exited = new Promise((r) => child.once('exit', r))
      // tsx starts in about a second; the import itself takes one or two more.
      await new Promise((r) => setTimeout(r, 1500 + trial * 400))
      child.kill('SIGKILL')
      await exited
      // Whatever was committed is whole as readers see it: every complete file all its rows, the
      // items of a file cut short hidden (from items_pending.first_id on).
      if (existsSync(db)) {
        const db1 = new Database(db)
        const partial = db1
          .prepare('SELECT s.rows, (SELECT count(*) FROM items i WHERE i.source_file_id = s.id AND i.id < coalesce((SELECT first_id FROM items_pending), 1e18)) AS n FROM source_files s WHERE s.complete = 1')
          .all() as { rows: number; n: number }[]
        db1.close()
        for (const p of partial) expect(p.n).toBe(p.rows)
      }
      // The stale lock of the killed process does not block the next import.
      const again = await importProcess(root, db)
      expect(again.code, again.stderr).toBe(0)
      expect(counts(db)).toEqual({ items, files: 6, distinct: items })
    }
  }, 300_000)
  it('kill -9 in the middle of a file (written in chunks): nothing of it is visible, the next start deletes it, importing again gives the database an uninterrupted import gives', async () => {
    // Two long files: the kill comes once the first has some chunks written and none complete.
    const root = join(dir, `long-${Math.random().toString(36).slice(2)}`)
    for (const name of ['DR', 'SAD']) {
      const file = join(root, 'test_data', 'test_instruction', `${name}.csv`)
      mkdirSync(join(file, '..'), { recursive: true })
      writeFileSync(file, H + Array.from({ length: 60_000 }, (_, i) => row(`${name} post number ${i} about sleep and mood ${i * 7}`)).join(''))
    }
    const db = join(dir, 'kill-mid-file.db')
    const child = spawn(process.execPath, [BIN, 'import', root, '--db', db], { cwd: ROOT, stdio: 'ignore' })
    const exited = new Promise((r) => child.once('exit', r))
    const state = (): { hidden: number; incomplete: number; visible: number; orphans: number } | null => {
      if (!existsSync(db)) return null
      const d = new Database(db, { readonly: true })
      try {
        d.pragma('busy_timeout = 1000')
        return d
          .prepare(
            `SELECT (SELECT count(*) FROM items WHERE id >= (SELECT first_id FROM items_pending)) AS hidden, (SELECT count(*) FROM source_files WHERE complete = 0) AS incomplete,
               (SELECT count(*) FROM items WHERE id < coalesce((SELECT first_id FROM items_pending), 1e18)) AS visible,
               (SELECT count(*) FROM posts p WHERE NOT EXISTS (SELECT 1 FROM items i WHERE i.post_id = p.id)) AS orphans`
          )
          .get() as { hidden: number; incomplete: number; visible: number; orphans: number }
      } catch {
        return null // not migrated yet
      } finally {
        d.close()
      }
    }
    let at: ReturnType<typeof state> = null
    const until = Date.now() + 60_000
    while (Date.now() < until && child.exitCode === null) {
      at = state()
      if (at && at.hidden >= 10_000) break
      await new Promise((r) => setTimeout(r, 10))
    }
    child.kill('SIGKILL')
    await exited
    expect(at, 'the import was killed in the middle of its first file').toMatchObject({ incomplete: 1, visible: 0 })
    expect(at!.hidden).toBeGreaterThanOrEqual(10_000)
    // As the kill left it: the file's chunks stored, none visible to the service's reads.
    const left = state()!
    expect(left).toMatchObject({ incomplete: 1, visible: 0 })
    expect(left.hidden).toBeGreaterThan(0)
    const s = createServices({ db: openDatabase(db), dataDir: dir, platform: { transport: 'test', version: APP_VERSION, dbFile: db } })
    // The start deleted the file cut short: its items, its source row, the posts only it had.
    expect(state()).toEqual({ hidden: 0, incomplete: 0, visible: 0, orphans: 0 })
    expect(s.imhi.facets().total).toBe(0)
    await s.close()

    const again = await importProcess(root, db)
    expect(again.code, again.stderr).toBe(0)
    const clean = join(dir, 'kill-mid-file-clean.db')
    expect((await importProcess(root, clean)).code).toBe(0)
    expect(dump(db)).toEqual(dump(clean))
  }, 300_000)
})
