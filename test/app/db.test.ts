import { describe, expect, it } from 'vitest'
import Database from 'better-sqlite3'
import { join } from 'node:path'
import { readFileSync } from 'node:fs'
import { openDatabase } from '../../src/main/db/open'
import { migrate } from '../../src/main/db/migrate'
import { migrations } from '../../src/main/db/migrations'
import { tempDir } from '../support/tmp'
import { APP_VERSION } from '../../src/main/version'

describe('database', () => {
  const dir = tempDir()

  it('opens a new file in WAL mode with foreign keys and the latest schema', () => {
    const db = openDatabase(join(dir, 'a.db'))
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal')
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1)
    expect(db.pragma('user_version', { simple: true })).toBe(migrations.length)
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE type='table'").all().map((r) => (r as { name: string }).name)
    expect(tables).toEqual(expect.arrayContaining(['datasets', 'items', 'source_files', 'reference_ratings']))
    db.close()
  })

  it('is idempotent: reopening applies nothing twice', () => {
    const file = join(dir, 'b.db')
    openDatabase(file).close()
    const db = openDatabase(file)
    expect(migrate(db)).toBe(migrations.length)
    db.close()
  })

  it('rolls back a failing migration as a whole and keeps the version', () => {
    const db = new Database(join(dir, 'c.db'))
    const bad = [
      { version: 1, name: 'ok', up: 'CREATE TABLE t (x INTEGER);' },
      { version: 2, name: 'broken', up: 'CREATE TABLE u (y INTEGER); THIS IS NOT SQL;' }
    ]
    expect(() => migrate(db, bad)).toThrow()
    expect(db.pragma('user_version', { simple: true })).toBe(1)
    expect(db.prepare("SELECT count(*) n FROM sqlite_master WHERE name='u'").get()).toEqual({ n: 0 })
    db.close()
  })

  it('refuses a database from a newer version', () => {
    const file = join(dir, 'd.db')
    const raw = new Database(file)
    raw.pragma('user_version = 999')
    raw.close()
    expect(() => openDatabase(file)).toThrow(/newer version/)
  })

  it('enforces foreign keys', () => {
    const db = openDatabase(join(dir, 'e.db'))
    expect(() =>
      db.prepare("INSERT INTO items (dataset, split, source_file_id, source_row, query, post_id) VALUES ('nope', 'x', 999, 1, 'q', 1)").run()
    ).toThrow(/FOREIGN KEY/)
    db.close()
  })

  it('keeps the app version in step with package.json', () => {
    const pkg = JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8')) as { version: string }
    expect(APP_VERSION).toBe(pkg.version)
  })
})
