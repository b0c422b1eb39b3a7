import type Database from 'better-sqlite3'
import { migrations } from './migrations'
import { AppError } from '../../shared/api/errors'

export interface Migration {
  /** 1, 2, 3, ...: recorded in PRAGMA user_version once applied. */
  version: number
  name: string
  up: string
}

/** Applies, in order and each in its own transaction, every migration newer than the file. */
export function migrate(db: Database.Database, list: readonly Migration[] = migrations): number {
  const current = db.pragma('user_version', { simple: true }) as number
  const latest = list.length === 0 ? 0 : list[list.length - 1].version
  if (current > latest) {
    throw new AppError(
      'unsupported',
      `This database was written by a newer version of IMHI Workbench (schema ${current}, this version knows ${latest}). Update the app.`
    )
  }
  for (const [i, m] of list.entries()) {
    if (m.version !== i + 1) throw new Error(`migration ${m.name} has version ${m.version}, expected ${i + 1}`)
    if (m.version <= current) continue
    // IMMEDIATE: the write lock is taken before the version is read again, so two processes opening
    // a new database at once apply each migration once (the second sees it done and skips it).
    db.transaction(() => {
      if ((db.pragma('user_version', { simple: true }) as number) >= m.version) return
      db.exec(m.up)
      db.pragma(`user_version = ${m.version}`)
    }).immediate()
  }
  return db.pragma('user_version', { simple: true }) as number
}
