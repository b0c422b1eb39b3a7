import { AppError } from '../../shared/api/errors'
import type { RpcMessage } from '../../shared/api/protocol'
import { DATA_KEY_ENV, startCore, type CoreOptions } from '../core/core'

// A lane of the core as an Electron utility process (utilityProcess.fork in core-lanes.ts): the
// services answer the main process over process.parentPort, so the window's main process never
// runs a service. Nothing here imports 'electron': the core is plain Node.

interface ParentPort {
  on(event: 'message', listener: (e: { data: RpcMessage }) => void): void
  postMessage(message: RpcMessage): void
}

const parentPort = (process as unknown as { parentPort?: ParentPort }).parentPort
if (!parentPort) throw new Error('the core process must be started with utilityProcess.fork')
const port = parentPort

let options: CoreOptions
try {
  options = JSON.parse(process.argv[process.argv.length - 1]) as CoreOptions
} catch {
  throw new Error('the core process takes its options as JSON in its last argument')
}
// The data key for servers' API keys comes in the environment the host gave this process only
// (never argv, which other users can list); it is taken out at once.
const dataKeyText = process.env[DATA_KEY_ENV]
delete process.env[DATA_KEY_ENV]
const dataKey = dataKeyText ? Buffer.from(dataKeyText, 'base64') : null
try {
  startCore({ post: (msg) => port.postMessage(msg), onMessage: (l) => port.on('message', (e) => l(e.data)) }, options, { dataKey })
  port.postMessage({ type: 'event', event: 'core.ready', payload: {} })
} catch (err) {
  port.postMessage({ type: 'event', event: 'core.failed', payload: AppError.from(err).toBody() })
  // Let the message leave before the process ends.
  setTimeout(() => process.exit(1), 100)
}
