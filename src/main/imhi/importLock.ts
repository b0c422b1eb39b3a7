import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs'
import { hostname } from 'node:os'
import { AppError } from '../../shared/api/errors'
import { pidAlive } from '../pid'

/**
 * One import at a time per database file, across processes (the app, `imhi serve`, `imhi import`):
 * a lock file beside the database (FILE.import-lock) created exclusively, holding the owner's pid
 * and host. A lock left by a process that died (kill -9) is taken over: its pid no longer runs.
 * Two imports at once used to end in a raw "UNIQUE constraint failed" or "database is locked".
 */

interface LockInfo {
  pid: number
  host: string
  since: string
}

function readLock(file: string): LockInfo | null {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as LockInfo
  } catch {
    return null
  }
}

/** Takes the import lock of `dbFile`; returns its release. An in-memory database needs none. */
export function acquireImportLock(dbFile: string): () => void {
  if (!dbFile || dbFile === ':memory:') return () => {}
  const file = `${dbFile}.import-lock`
  const info: LockInfo = { pid: process.pid, host: hostname(), since: new Date().toISOString() }
  for (let attempt = 0; attempt < 2; attempt++) {
    let fd: number
    try {
      fd = openSync(file, 'wx')
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new AppError('bad_file', `Cannot create the import lock ${file}: ${(err as Error).message}`, { file })
      }
      const held = readLock(file)
      // A lock from this host whose process is gone (killed mid-import) is stale: take it over.
      if (held && held.host === info.host && !pidAlive(held.pid)) {
        try {
          unlinkSync(file)
        } catch {
          // Another process took it over first; the next attempt sees its lock.
        }
        continue
      }
      throw new AppError(
        'conflict',
        `Another import is running on this database${held ? ` (process ${held.pid}${held.host !== info.host ? ` on ${held.host}` : ''}, since ${held.since})` : ''}; wait for it to finish and import again (files it imported will show as unchanged). If no import is running, delete ${file}.`,
        { file }
      )
    }
    try {
      writeSync(fd, JSON.stringify(info))
    } finally {
      closeSync(fd)
    }
    return () => {
      const held = readLock(file)
      if (held && held.pid === info.pid && held.since === info.since) {
        try {
          unlinkSync(file)
        } catch {
          // Already gone.
        }
      }
    }
  }
  throw new AppError('conflict', `Another import is running on this database; wait for it to finish and import again.`, { file })
}
