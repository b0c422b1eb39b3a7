import { existsSync, mkdirSync, readdirSync, realpathSync, rmdirSync, statSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs'
import { threadId } from 'node:worker_threads'
import { basename, join } from 'node:path'
import type { Db } from './open'

/**
 * The waiting-writer handshake: how a short write (an annotator's rating) gets SQLite's write lock
 * from a long writer that works in chunks (the importer), across connections, threads and
 * processes alike.
 *
 * SQLite has no queue for its write lock: a writer sleeping in its busy handler wakes now and then
 * and almost never hits the microseconds between two of the long writer's transactions. So a
 * short writer that finds the database busy announces itself: a file in a folder beside the
 * database (FILE.waiting-writers/PID-THREAD-N), kept fresh while it retries and removed once it
 * has written (or given up). The long writer looks at that folder after each chunk it commits and,
 * while a fresh announcement is there, waits (up to a bound) before its next chunk; the short
 * writer, retrying every millisecond or so, takes the lock meanwhile.
 *
 * An announcement older than STALE_MS (its writer died: a killed lane) is ignored, and removed by
 * the next writer that announces itself. An in-memory database has no folder and no other
 * connection: nothing to announce.
 */

/** An announcement not refreshed for this long is a dead writer's. */
export const STALE_MS = 1000
/** The most a long writer waits for announced writers after one chunk (then it writes its next chunk anyway). */
export const MAX_YIELD_MS = 100

const folders = new WeakMap<Db, string | null>()

/** The folder of announcements for this connection's database file (one name whatever path opened it). */
export function waitingWritersFolder(db: Db): string | null {
  let folder = folders.get(db)
  if (folder === undefined) {
    folder = null
    if (db.name && db.name !== ':memory:' && !db.memory) {
      let file = db.name
      try {
        file = realpathSync(db.name)
      } catch {
        // The name as opened, when it cannot be resolved.
      }
      folder = `${file}.waiting-writers`
    }
    folders.set(db, folder)
  }
  return folder
}

let sequence = 0

export interface Announcement {
  /** Keeps the announcement fresh (call while still waiting). */
  refresh(): void
  /** Removes it: the writer has written, or has given up. */
  withdraw(): void
}

/** Announces a short writer waiting for the write lock of `db`'s file. */
export function announceWaitingWriter(db: Db): Announcement {
  const folder = waitingWritersFolder(db)
  if (!folder) return { refresh: () => {}, withdraw: () => {} }
  const file = join(folder, `${process.pid}-${threadId}-${++sequence}`)
  let written = false
  for (let attempt = 0; attempt < 3 && !written; attempt++) {
    try {
      mkdirSync(folder, { recursive: true })
      writeFileSync(file, '')
      written = true
    } catch {
      // The folder was removed between the two calls (its last writer left): make it again.
    }
  }
  if (written) removeStale(folder, basename(file))
  let lastRefresh = Date.now()
  return {
    refresh() {
      const now = Date.now()
      if (!written || now - lastRefresh < STALE_MS / 4) return
      lastRefresh = now
      try {
        utimesSync(file, now / 1000, now / 1000)
      } catch {
        // Gone (removed as stale by another writer after a long stall): announce again.
        try {
          mkdirSync(folder, { recursive: true })
          writeFileSync(file, '')
        } catch {
          // Nothing announced: the long writer does not wait for this one; it still retries.
        }
      }
    },
    withdraw() {
      if (!written) return
      written = false
      try {
        unlinkSync(file)
      } catch {
        // Already removed.
      }
      try {
        // The last one out removes the folder (it fails, harmlessly, while others are in it).
        rmdirSync(folder)
      } catch {
        // Not empty, or already gone.
      }
    }
  }
}

function removeStale(folder: string, own: string): void {
  let names: string[]
  try {
    names = readdirSync(folder)
  } catch {
    return
  }
  const now = Date.now()
  for (const name of names) {
    if (name === own) continue
    try {
      if (now - statSync(join(folder, name)).mtimeMs > 10 * STALE_MS) unlinkSync(join(folder, name))
    } catch {
      // Withdrawn meanwhile.
    }
  }
}

/** How many short writers are waiting for `db`'s write lock now (fresh announcements only). */
export function waitingWriters(db: Db): number {
  const folder = waitingWritersFolder(db)
  if (!folder) return 0
  // No folder: nobody waits (the usual case: one stat, no exception thrown).
  if (!existsSync(folder)) return 0
  let names: string[]
  try {
    names = readdirSync(folder)
  } catch {
    return 0
  }
  if (names.length === 0) return 0
  const now = Date.now()
  let fresh = 0
  for (const name of names) {
    try {
      if (now - statSync(join(folder, name)).mtimeMs < STALE_MS) fresh++
    } catch {
      // Withdrawn meanwhile.
    }
  }
  return fresh
}

/**
 * For a long writer between two of its transactions: while short writers are announced, waits
 * (polling every millisecond, off the event loop) until they are gone or `maxMs` has passed.
 * Returns how long it waited.
 */
export async function yieldToWaitingWriters(db: Db, maxMs = MAX_YIELD_MS): Promise<number> {
  if (waitingWriters(db) === 0) return 0
  const started = performance.now()
  while (performance.now() - started < maxMs) {
    await new Promise((r) => setTimeout(r, 1))
    if (waitingWriters(db) === 0) break
  }
  return performance.now() - started
}

function isBusy(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code
  return typeof code === 'string' && code.startsWith('SQLITE_BUSY')
}

export interface ShortWriteOptions {
  /** Give up (rethrow the busy error) after this long. */
  timeoutMs: number
  /** The connection's busy timeout, restored after each try. */
  busyTimeoutMs: number
  /** How long the first try lets SQLite wait for the lock (another short writer is gone by then). */
  firstTryMs?: number
  /** How often it tries again once announced (1 ms: the long writer waits up to MAX_YIELD_MS for it). */
  retryMs?: number
}

/**
 * Runs a short write whose only effect is one transaction made synchronously inside `write`
 * (before its promise settles): first with a short busy wait; when the database stays busy (a long
 * writer's chunk), the writer announces itself and tries again every millisecond or so without
 * holding the event loop in SQLite's busy wait, until it gets the lock (the long writer makes
 * room after its current chunk) or `timeoutMs` passes.
 */
export async function shortWrite<T>(db: Db, write: () => Promise<T>, opts: ShortWriteOptions): Promise<T> {
  const deadline = Date.now() + opts.timeoutMs
  let announced: Announcement | null = null
  try {
    for (let attempt = 0; ; attempt++) {
      // The write's synchronous part (its whole transaction) runs inside this call.
      db.pragma(`busy_timeout = ${attempt === 0 ? (opts.firstTryMs ?? 5) : 0}`)
      let answer: Promise<T>
      try {
        answer = write()
      } finally {
        db.pragma(`busy_timeout = ${opts.busyTimeoutMs}`)
      }
      try {
        return await answer
      } catch (err) {
        if (!isBusy(err) || Date.now() > deadline) throw err
        if (announced) announced.refresh()
        else announced = announceWaitingWriter(db)
        await new Promise((r) => setTimeout(r, opts.retryMs ?? 1))
      }
    }
  } finally {
    announced?.withdraw()
  }
}
