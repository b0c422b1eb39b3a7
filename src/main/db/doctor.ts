import Database from 'better-sqlite3'
import { copyFileSync, existsSync, statSync } from 'node:fs'
import { AppError } from '../../shared/api/errors'
import { openDatabase } from './open'

/**
 * The way out for a damaged database (`imhi doctor --db FILE`): check it (the full integrity_check),
 * back it up byte for byte (with its -wal and -shm files), and copy every row that can still be
 * read into a new database with the current schema. The damaged file itself is never written.
 */

export interface DoctorReport {
  file: string
  ok: boolean
  /** integrity_check's findings (up to 50), or why the file could not be read at all. */
  problems: string[]
  /** The byte-for-byte copy made before anything else; null when the check passed and no backup was asked for. */
  backup: string | null
  /** The new database holding what could be read; null when nothing needed recovering. */
  recovered: string | null
  /** Per table: rows copied and rows (or ranges) that could not be read. */
  tables: { table: string; copied: number; lost: string | null }[]
}

/** Tables rebuilt rather than copied: the full-text index and SQLite's own. */
const SKIP = /^(sqlite_|posts_fts)/

function stamp(): string {
  return new Date().toISOString().replace(/[:.]/g, '-')
}

export function checkDatabase(file: string): { ok: boolean; problems: string[] } {
  if (!existsSync(file)) throw new AppError('not_found', `${file}: no such database file.`, { file })
  if (!statSync(file).isFile()) throw new AppError('bad_file', `${file}: not a regular file.`, { file })
  let db: Database.Database | null = null
  try {
    db = new Database(file, { readonly: true, fileMustExist: true })
    const rows = db.pragma('integrity_check(50)') as { integrity_check: string }[]
    const problems = rows.map((r) => r.integrity_check)
    return problems.length === 1 && problems[0] === 'ok' ? { ok: true, problems: [] } : { ok: false, problems }
  } catch (err) {
    return { ok: false, problems: [(err as Error).message] }
  } finally {
    db?.close()
  }
}

/** Copies FILE (and FILE-wal, FILE-shm) to FILE.backup-STAMP; returns the new main file's path. */
export function backupDatabase(file: string): string {
  const target = `${file}.backup-${stamp()}`
  copyFileSync(file, target)
  for (const ext of ['-wal', '-shm']) if (existsSync(file + ext)) copyFileSync(file + ext, target + ext)
  return target
}

/** Copies what can be read from `file` into a new database `target` (current schema). */
export function recoverDatabase(file: string, target: string): DoctorReport['tables'] {
  if (existsSync(target)) throw new AppError('conflict', `${target} exists already; move it away first.`, { file: target })
  const src = new Database(file, { readonly: true, fileMustExist: true })
  const dst = openDatabase(target)
  const out: DoctorReport['tables'] = []
  try {
    dst.pragma('foreign_keys = OFF')
    let tables: string[]
    try {
      tables = (src.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[]).map((t) => t.name)
    } catch (err) {
      throw new AppError('bad_file', `${file}: even the list of tables cannot be read (${(err as Error).message}); restore a backup.`, { file })
    }
    const dstTables = new Set((dst.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[]).map((t) => t.name))
    for (const table of tables) {
      if (SKIP.test(table) || !dstTables.has(table)) continue
      const q = (n: string) => `"${n.replace(/"/g, '""')}"`
      const dstCols = new Set((dst.prepare(`PRAGMA table_info(${q(table)})`).all() as { name: string }[]).map((c) => c.name))
      let cols: string[]
      try {
        cols = (src.prepare(`PRAGMA table_info(${q(table)})`).all() as { name: string }[]).map((c) => c.name).filter((c) => dstCols.has(c))
      } catch (err) {
        out.push({ table, copied: 0, lost: `unreadable (${(err as Error).message})` })
        continue
      }
      const list = cols.map(q).join(', ')
      const insert = dst.prepare(`INSERT OR REPLACE INTO ${q(table)} (${list}) VALUES (${cols.map(() => '?').join(', ')})`)
      let copied = 0
      const lost: string[] = []
      let page: Database.Statement
      let single: Database.Statement
      try {
        // In rowid order, 500 rows a read; after a read error, one row a read (a scan of 500 would
        // run into the damaged page again), skipping ahead past the damaged rowids.
        page = src.prepare(`SELECT rowid AS __rowid, ${list} FROM ${q(table)} WHERE rowid > ? ORDER BY rowid LIMIT 500`)
        single = src.prepare(`SELECT rowid AS __rowid, ${list} FROM ${q(table)} WHERE rowid > ? ORDER BY rowid LIMIT 1`)
      } catch {
        // A WITHOUT ROWID table: read it in one pass, keeping what comes before any damage.
        dst.exec('BEGIN')
        try {
          for (const r of src.prepare(`SELECT ${list} FROM ${q(table)}`).iterate() as Iterable<Record<string, unknown>>) {
            insert.run(...cols.map((c) => r[c]))
            copied++
          }
        } catch (err) {
          lost.push(`rows after the first ${copied} (${(err as Error).message})`)
        }
        dst.exec('COMMIT')
        out.push({ table, copied, lost: lost.length ? lost.join('; ') : null })
        continue
      }
      let after = -Infinity
      let reader = page
      let failedAt: number | null = null
      dst.exec('BEGIN')
      for (let guard = 0; guard < 10_000_000; guard++) {
        let rows: Record<string, unknown>[]
        try {
          rows = reader.all(after === -Infinity ? -9007199254740991 : after) as Record<string, unknown>[]
        } catch (err) {
          if (reader === page) {
            // Read the same place again row by row: the rows before the damage are kept.
            reader = single
            continue
          }
          if (failedAt !== after) lost.push(`rows after rowid ${after === -Infinity ? 'start' : after} (${(err as Error).message})`)
          // Step over the damage: the next rowid a point lookup can read, up to a gap of a million;
          // past it when reading from just before it failed too (no position is tried twice).
          const next = probeNext(src, table, failedAt === after ? after + 1 : after)
          failedAt = after
          if (next === null) break
          after = next - 1
          continue
        }
        if (rows.length === 0) break
        for (const r of rows) {
          insert.run(...cols.map((c) => r[c]))
          copied++
          after = Number(r.__rowid)
        }
      }
      dst.exec('COMMIT')
      out.push({ table, copied, lost: lost.length ? lost.slice(0, 5).join('; ') : null })
    }
    // The full-text index is rebuilt from the recovered posts the next time the database opens.
    if (dstTables.has('posts_fts_state')) dst.prepare('UPDATE posts_fts_state SET indexed_upto = 0 WHERE id = 1').run()
  } finally {
    src.close()
    dst.close()
  }
  return out
}

/** The next readable rowid after `after`, probing forward; null when none is found. */
function probeNext(src: Database.Database, table: string, after: number): number | null {
  const one = src.prepare(`SELECT rowid FROM "${table.replace(/"/g, '""')}" WHERE rowid = ?`)
  const start = after === -Infinity ? 1 : after + 1
  for (let step = 0; step <= 1_000_000; step = step === 0 ? 1 : step * 2) {
    try {
      if (one.get(start + step) !== undefined) return start + step
    } catch {
      // Still inside the damage.
    }
  }
  return null
}

/** Check; when damaged (or asked), back up; when damaged, recover into FILE.recovered-STAMP.db. */
export function doctor(file: string, opts: { backup?: boolean } = {}): DoctorReport {
  const check = checkDatabase(file)
  const report: DoctorReport = { file, ok: check.ok, problems: check.problems, backup: null, recovered: null, tables: [] }
  if (!check.ok || opts.backup) report.backup = backupDatabase(file)
  if (!check.ok) {
    const target = `${file}.recovered-${stamp()}.db`
    report.tables = recoverDatabase(file, target)
    report.recovered = target
  }
  return report
}
