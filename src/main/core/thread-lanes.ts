import { Worker } from 'node:worker_threads'
import { fileURLToPath } from 'node:url'
import type { RpcMessage } from '../../shared/api/protocol'
import type { CoreOptions } from './core'
import type { LaneProcess, SpawnLane } from './host'

/** Where the lane's code is: the bundled file beside the built main, or the TS sources via tsx. */
function threadUrl(): URL {
  if (import.meta.url.endsWith('.ts')) return new URL('./bootstrap.mjs', import.meta.url)
  return new URL('./core-thread.js', import.meta.url)
}

/** Lanes as worker threads of this process (`imhi serve`). */
export function threadLanes(opts: Omit<CoreOptions, 'lane'>): SpawnLane {
  return (lane) => {
    const w = new Worker(fileURLToPath(threadUrl()), { workerData: { ...opts, lane } satisfies CoreOptions })
    let lastError: string | null = null
    w.on('error', (err) => (lastError = err.message))
    const proc: LaneProcess = {
      post: (msg) => w.postMessage(msg),
      onMessage: (listener) => w.on('message', (m: RpcMessage) => listener(m)),
      onExit: (listener) => w.once('exit', (code) => listener(lastError ? `error: ${lastError}` : `exit code ${code}`)),
      kill: () => void w.terminate()
    }
    return proc
  }
}
