import { parseBytes } from './inference/gguf'
import type { ServicesOptions } from './services'

/**
 * The environment, read in one place by the hosts (the desktop app, `imhi serve`, the CLI) and
 * passed to the services as options: a service never reads process.env.
 *
 * - IMHI_DB: the desktop app's database file (default: imhi-workbench.db in its user-data folder)
 * - IMHI_SQLITE_BINDING: a better-sqlite3 native module to load instead of the installed one
 * - IMHI_MEMORY_LIMIT: the most memory a model may need ("8G"; default: the machine's RAM)
 * - IMHI_GPU=off: llama.cpp on the CPU only
 * - IMHI_THREADS: llama.cpp threads (default: CPU cores - 1 on the CPU)
 * - IMHI_DOWNLOAD_STALL_MS: a model download with no new bytes this long has broken off (60 s)
 * - IMHI_CORE=in-process: `imhi serve` runs the services on its own event loop, the old layout
 *   (for comparison in `npm run bench:ping`; nothing else should want it)
 * - IMHI_DEBUG: the CLI prints stack traces
 */
export interface HostConfig {
  dbFile: string | null
  sqliteBinding: string | null
  coreInProcess: boolean
  debug: boolean
  services: ServicesOptions
}

export function readConfig(env: NodeJS.ProcessEnv = process.env): HostConfig {
  const threads = Number(env.IMHI_THREADS)
  const stall = Number(env.IMHI_DOWNLOAD_STALL_MS)
  return {
    dbFile: env.IMHI_DB || null,
    sqliteBinding: env.IMHI_SQLITE_BINDING || null,
    coreInProcess: env.IMHI_CORE === 'in-process',
    debug: !!env.IMHI_DEBUG,
    services: {
      inference: {
        memoryLimitBytes: parseBytes(env.IMHI_MEMORY_LIMIT),
        gpu: /^(off|false|0|cpu)$/i.test(env.IMHI_GPU ?? '') ? false : 'auto',
        threads: Number.isInteger(threads) && threads > 0 ? threads : null,
        downloadStallMs: Number.isFinite(stall) && stall > 0 ? stall : 60_000
      }
    }
  }
}
