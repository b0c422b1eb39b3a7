import { describe, expect, it } from 'vitest'
import { createHash } from 'node:crypto'
import { closeSync, existsSync, openSync, readFileSync, readdirSync, statSync, writeSync } from 'node:fs'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { tempDir } from '../support/tmp'
import { writeImhiFixture, IMHI_FIXTURE } from '../support/imhi-fixture'
import { imhiCli } from './isolated'

// Defect 7: read-only commands opened the database read-write and migrated it ("attempt to write
// a readonly database", naming no file); a database failing integrity_check was used without a word.

const sha = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex')

describe('read-only and damaged databases', () => {
  const dir = tempDir()
  const db = join(dir, 'work.db')
  const imported = imhiCli(['import', writeImhiFixture(dir), '--db', db, '--json'])

  it('imhi stats and imhi search open the database read-only: not a byte of it changes', () => {
    expect(imported.code, imported.stderr).toBe(0)
    const before = sha(db)
    const files = readdirSync(dir).sort()
    const stats = imhiCli(['stats', '--db', db, '--json'])
    expect(stats.code, stats.stderr).toBe(0)
    expect(JSON.parse(stats.stdout).referenceRatings).toBe(IMHI_FIXTURE.referenceRatings)
    const search = imhiCli(['search', 'sleep', '--db', db, '--json'])
    expect(search.code, search.stderr).toBe(0)
    expect(sha(db)).toBe(before)
    // SQLite's WAL side files may appear for a reader; nothing is written into them.
    for (const f of readdirSync(dir).filter((f) => !files.includes(f))) {
      expect(f).toMatch(/^work\.db-(wal|shm)$/)
      if (f.endsWith('-wal')) expect(statSync(join(dir, f)).size).toBe(0)
    }
  })

  it('a damaged database is refused on open with the file named and the way out; imhi doctor backs it up and recovers what can be read', () => {
    const bad = join(dir, 'bad.db')
    const good = new Database(db, { readonly: true })
    const items = (good.prepare('SELECT count(*) AS n FROM items').get() as { n: number }).n
    // A leaf page of the items table (not the schema, whose loss leaves nothing to recover): dbstat
    // says which pages it holds; the middle one is damaged below.
    const leaves = (good.prepare("SELECT pageno FROM dbstat WHERE name = 'items' AND pagetype = 'leaf' ORDER BY pageno").all() as { pageno: number }[]).map((r) => r.pageno)
    good.close()
    expect(leaves.length).toBeGreaterThan(1)
    // Damage that page (garbage over a b-tree page).
    const bytes = readFileSync(db)
    require('node:fs').writeFileSync(bad, bytes)
    const pageSize = bytes.readUInt16BE(16) === 1 ? 65536 : bytes.readUInt16BE(16)
    const fd = openSync(bad, 'r+')
    writeSync(fd, Buffer.alloc(pageSize, 0xab), 0, pageSize, (leaves[Math.floor(leaves.length / 2)] - 1) * pageSize)
    closeSync(fd)
    const damagedSha = sha(bad)

    for (const args of [['stats', '--db', bad], ['search', 'sleep', '--db', bad], ['import', writeImhiFixture(join(dir, 'x')), '--db', bad]]) {
      const r = imhiCli(args)
      expect(r.code, args[0]).toBe(1)
      expect(r.stderr).toMatch(new RegExp(`bad\\.db: the database is damaged \\(.+\\)\\. It was not used and nothing in it was changed\\. Run "imhi doctor --db .*bad\\.db" to check it, back it up and recover what can be read\\.`))
    }
    expect(sha(bad)).toBe(damagedSha)

    const doc = imhiCli(['doctor', '--db', bad, '--json'])
    expect(doc.code, doc.stderr).toBe(1)
    const report = JSON.parse(doc.stdout)
    expect(report.ok).toBe(false)
    expect(report.problems.length).toBeGreaterThan(0)
    expect(sha(report.backup)).toBe(damagedSha)
    expect(sha(bad)).toBe(damagedSha)
    expect(existsSync(report.recovered)).toBe(true)
    // What could be read is there, in a sound database that opens (and reindexes) normally.
    const recovered = imhiCli(['stats', '--db', report.recovered, '--json'])
    expect(recovered.code, recovered.stderr).toBe(0)
    const copied = report.tables.find((t: { table: string }) => t.table === 'items').copied
    expect(copied).toBeGreaterThan(0)
    expect(copied).toBeLessThanOrEqual(items)
    expect(statSync(report.recovered).size).toBeGreaterThan(0)

    const healthy = imhiCli(['doctor', '--db', db, '--json'])
    expect(healthy.code).toBe(0)
    expect(JSON.parse(healthy.stdout)).toMatchObject({ ok: true, backup: null, recovered: null })
  }, 120_000)
})
