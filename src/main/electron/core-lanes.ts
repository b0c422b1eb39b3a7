import { utilityProcess } from 'electron'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { RpcMessage } from '../../shared/api/protocol'
import { DATA_KEY_ENV, type CoreOptions } from '../core/core'
import type { LaneProcess, SpawnLane } from '../core/host'

const here = fileURLToPath(new URL('.', import.meta.url))

/**
 * The built utility-process entry beside the main bundle (electron.vite.config.ts: core-process);
 * the TypeScript source when the main process itself runs from source (the tests' stand-in).
 */
export function coreProcessEntry(): string {
  return import.meta.url.endsWith('.ts') ? join(here, 'core-process.ts') : join(here, 'core-process.js')
}

/** Lanes as Electron utility processes: a crash or a kill of one never takes the window with it. */
export function utilityLanes(opts: Omit<CoreOptions, 'lane'>, entry = coreProcessEntry(), dataKey: Buffer | null = null): SpawnLane {
  if (!existsSync(entry)) throw new Error(`The core's entry ${entry} is missing: run "npm run build".`)
  return (lane) => {
    const child = utilityProcess.fork(entry, [JSON.stringify({ ...opts, lane } satisfies CoreOptions)], {
      serviceName: `IMHI Workbench ${lane}`,
      // The data key of the API-key store travels in this process's own environment, not argv.
      env: dataKey ? { ...process.env, [DATA_KEY_ENV]: dataKey.toString('base64') } : { ...process.env },
      stdio: 'inherit'
    })
    const proc: LaneProcess = {
      post: (msg) => child.postMessage(msg),
      onMessage: (listener) => child.on('message', (m: RpcMessage) => listener(m)),
      onExit: (listener) => child.once('exit', (code: number) => listener(`exit code ${code}`)),
      kill: () => void child.kill()
    }
    return proc
  }
}
