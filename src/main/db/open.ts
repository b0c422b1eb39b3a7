import Database from 'better-sqlite3'
import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import { migrate } from './migrate'

export type Db = Database.Database

export interface OpenOptions {
  /** Path to a better_sqlite3.node built for this runtime's ABI (the Electron build uses its own). */
  nativeBinding?: string
  readonly?: boolean
}

/**
 * Opens (creating if needed) the app's single SQLite store and brings its schema up to date.
 * WAL lets readers (search) run beside a writer (import, ratings); foreign keys are enforced.
 */
export function openDatabase(file: string, opts: OpenOptions = {}): Db {
  if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true })
  const nativeBinding = opts.nativeBinding ?? process.env.IMHI_SQLITE_BINDING
  const db = new Database(file, {
    ...(nativeBinding ? { nativeBinding } : {}),
    ...(opts.readonly ? { readonly: true, fileMustExist: true } : {})
  })
  db.pragma('journal_mode = WAL')
  // NORMAL in WAL mode: a committed transaction survives a process crash (kill -9); only an OS
  // crash or power loss can roll back the last commits.
  db.pragma('synchronous = NORMAL')
  db.pragma('foreign_keys = ON')
  db.pragma('busy_timeout = 5000')
  if (!opts.readonly) migrate(db)
  return db
}
