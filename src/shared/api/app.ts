import { z } from 'zod'
import { method } from './define'

export interface AppInfo {
  version: string
  /** 'electron' inside the desktop app, 'serve' behind `imhi serve`. */
  transport: 'electron' | 'serve'
  /** The database file and the data folder: the owner only (null for an annotator's token). */
  dbFile: string | null
  dataDir: string | null
  /** An opaque id of the database (for keys in the browser's storage): reveals no path. */
  database: string
  /** Who is calling: the owner (desktop app, serve token) or an annotator's LAN token. */
  role: 'owner' | 'annotator'
  annotatorId: number | null
  canPickFolder: boolean
}

export const appMethods = {
  'app.info': method<AppInfo>({ annotator: true })(z.object({}).strict()),
  /** Opens the native folder picker (desktop only); `null` when cancelled. */
  'app.pickPath': method<{ path: string | null }>()(
    z.object({ kind: z.enum(['folder', 'file', 'save']), title: z.string().max(200).optional(), defaultPath: z.string().max(4096).optional() }).strict()
  )
}

export interface AppEvents {
  'app.log': { level: 'info' | 'warn' | 'error'; message: string }
  /**
   * The core (the services' own thread or process) changed state: 'restarting' after it stopped
   * (killed, crashed) while the window or server kept running, 'ready' once it answers again,
   * 'failed' when it keeps stopping. `lane`: 'core' (short calls) or 'jobs' (long jobs).
   */
  'app.core': { lane: 'core' | 'jobs'; state: 'starting' | 'ready' | 'restarting' | 'failed'; message: string }
}
