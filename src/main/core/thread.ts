import { parentPort, workerData } from 'node:worker_threads'
import { AppError } from '../../shared/api/errors'
import type { RpcMessage } from '../../shared/api/protocol'
import { startCore, type CoreOptions } from './core'

// A core lane as a worker thread (imhi serve): the services answer the host thread's calls, so
// the thread that serves HTTP and the WebSocket never runs a service.

const port = parentPort
if (!port) throw new Error('the core must run in a worker thread')
try {
  startCore({ post: (msg) => port.postMessage(msg), onMessage: (l) => port.on('message', (m: RpcMessage) => l(m)) }, workerData as CoreOptions)
  port.postMessage({ type: 'event', event: 'core.ready', payload: {} } satisfies RpcMessage)
} catch (err) {
  port.postMessage({ type: 'event', event: 'core.failed', payload: AppError.from(err).toBody() } satisfies RpcMessage)
  process.exit(1)
}
