import Database from 'better-sqlite3'
import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import { migrate } from './migrate'
import { migrations } from './migrations'
import { damaged, isDamageError, quickCheck } from './health'
import { AppError } from '../../shared/api/errors'

export type Db = Database.Database

export interface OpenOptions {
  /** Path to a better_sqlite3.node built for this runtime's ABI (the Electron build uses its own). */
  nativeBinding?: string
  /**
   * Open read-only (the file must exist): nothing is written, not even a migration. For commands
   * that only read (imhi stats, imhi search) and for a file the user may not write.
   */
  readonly?: boolean
  /** Run the quick integrity check (default true for files; false skips it, e.g. `imhi doctor`). */
  check?: boolean
}

/**
 * Opens (creating if needed) the app's single SQLite store, checks it (quick_check) and brings its
 * schema up to date. WAL lets readers (search) run beside a writer (import, ratings); foreign keys
 * are enforced. A damaged file is refused with a message, never used silently.
 */
export function openDatabase(file: string, opts: OpenOptions = {}): Db {
  if (file !== ':memory:' && !opts.readonly) mkdirSync(dirname(file), { recursive: true })
  const nativeBinding = opts.nativeBinding ?? process.env.IMHI_SQLITE_BINDING
  let db: Db
  try {
    db = new Database(file, {
      ...(nativeBinding ? { nativeBinding } : {}),
      ...(opts.readonly ? { readonly: true, fileMustExist: true } : {})
    })
  } catch (err) {
    if ((err as { code?: string }).code === 'SQLITE_CANTOPEN') {
      throw new AppError(opts.readonly ? 'not_found' : 'bad_file', `${file}: cannot open the database (${(err as Error).message}).`, { file })
    }
    throw err
  }
  try {
    // First, so that everything after it waits for another process's lock instead of failing.
    db.pragma('busy_timeout = 5000')
    if (!opts.readonly) {
      // A new file gets 8 KiB pages: items hold kilobytes of text each, and imports write fewer,
      // fuller pages (6 % faster than 4 KiB at the released data). An existing file keeps its
      // page size (this is a no-op once the file has content).
      db.pragma('page_size = 8192')
      // Switching a new file to WAL takes a lock that busy_timeout does not wait for: when another
      // process is creating the same new database at this moment, wait for it here, briefly.
      for (let attempt = 1; ; attempt++) {
        try {
          db.pragma('journal_mode = WAL')
          break
        } catch (err) {
          if ((err as { code?: string }).code !== 'SQLITE_BUSY' || attempt >= 50) throw err
          Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 100)
        }
      }
    }
    // NORMAL in WAL mode: a committed transaction survives a process crash (kill -9); only an OS
    // crash or power loss can roll back the last commits.
    db.pragma('synchronous = NORMAL')
    db.pragma('foreign_keys = ON')
    if (file !== ':memory:' && opts.check !== false) quickCheck(db, file)
    if (!opts.readonly) migrate(db)
    else {
      const current = db.pragma('user_version', { simple: true }) as number
      const latest = migrations[migrations.length - 1].version
      if (current < latest) {
        throw new AppError(
          'unsupported',
          `${file} was written by an older version of IMHI Workbench (schema ${current}, this version reads ${latest}); open it once read-write (the app, imhi serve or an import) to upgrade it.`,
          { file }
        )
      }
    }
    return db
  } catch (err) {
    db.close()
    if (isDamageError(err)) throw damaged(file, (err as Error).message)
    throw err
  }
}
