import { api } from '@renderer/api/client'
import { AppError } from '../../../../../shared/api/errors'
import type { RateResult } from '../../../../../shared/api/annotation'

/**
 * Ratings not yet confirmed by the server, kept in localStorage so that none is lost when the
 * server or the tab goes away: each is re-sent on reload. A rating is keyed by study item +
 * annotator + aspect, and the server's rate call is idempotent on that key, so sending twice is harmless.
 */
export interface OutboxEntry {
  studyId: number
  annotatorId: number
  studyItemId: number
  aspect: string
  score: number | null
  seconds?: number
  /** When the annotator pressed the key (ms since epoch); a newer entry for the same key wins. */
  at: number
}

const listeners = new Set<(unsent: number) => void>()
const errorListeners = new Set<(err: AppError, entry: OutboxEntry) => void>()
/**
 * One outbox per database: a browser that later talks to another database on the same address
 * (another `imhi serve --db`) must never send it the first one's ratings.
 */
let STORAGE_KEY = 'imhi-annotation-outbox'

function read(): Record<string, OutboxEntry> {
  try {
    return JSON.parse(localStorage.getItem(STORAGE_KEY) ?? '{}') as Record<string, OutboxEntry>
  } catch {
    return {}
  }
}
function write(all: Record<string, OutboxEntry>): void {
  localStorage.setItem(STORAGE_KEY, JSON.stringify(all))
  for (const l of listeners) l(Object.keys(all).length)
}
const keyOf = (e: OutboxEntry) => `${e.studyId}:${e.annotatorId}:${e.studyItemId}:${e.aspect}`

async function deliver(entry: OutboxEntry): Promise<RateResult | null> {
  try {
    const r = await api.call('annotation.rate', {
      studyId: entry.studyId,
      annotatorId: entry.annotatorId,
      studyItemId: entry.studyItemId,
      aspect: entry.aspect,
      score: entry.score,
      ...(entry.seconds !== undefined ? { seconds: entry.seconds } : {})
    })
    const all = read()
    if (all[keyOf(entry)]?.at === entry.at) {
      delete all[keyOf(entry)]
      write(all)
    }
    return r
  } catch (err) {
    const e = AppError.from(err)
    // The server answered "no" (bad score, not your item): keeping it would retry forever.
    const all = read()
    if (all[keyOf(entry)]?.at === entry.at) {
      delete all[keyOf(entry)]
      write(all)
    }
    for (const l of errorListeners) l(e, entry)
    return null
  }
}

export const outbox = {
  /** Binds the outbox to a database (app.info's dbFile); call before anything else. */
  use(database: string): void {
    STORAGE_KEY = `imhi-annotation-outbox:${database}`
    for (const l of listeners) l(Object.keys(read()).length)
  },
  /** Stores the rating locally first, then sends it; resolves with the server's answer. */
  send(entry: OutboxEntry): Promise<RateResult | null> {
    const all = read()
    all[keyOf(entry)] = entry
    write(all)
    return deliver(entry)
  },
  /** Re-sends whatever a previous session left unsent (after a reload or a crash). */
  flush(): void {
    for (const e of Object.values(read())) void deliver(e)
  },
  unsent(): number {
    return Object.keys(read()).length
  },
  onChange(listener: (unsent: number) => void): () => void {
    listeners.add(listener)
    return () => listeners.delete(listener)
  },
  onError(listener: (err: AppError, entry: OutboxEntry) => void): () => void {
    errorListeners.add(listener)
    return () => errorListeners.delete(listener)
  }
}
