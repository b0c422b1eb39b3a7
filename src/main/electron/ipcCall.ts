import type { CallContext } from '../api/dispatch'
import type { ApiBackend } from '../api/backend'
import { AppError } from '../../shared/api/errors'
import type { ErrorMessage, ResultMessage } from '../../shared/api/protocol'
import { parseCall } from '../../shared/api/rpc'

export const CALL_CHANNEL = 'imhi:call'
export const EVENT_CHANNEL = 'imhi:event'

/** The answer to one IPC call: the RPC envelope's result or error (src/shared/api/protocol.ts). */
export type IpcReply = ResultMessage | ErrorMessage

/**
 * One IPC call, with no Electron in it (so it is tested under plain Node): the sender check
 * first, then the envelope's shape, then the one door (the dispatcher checks the method exists and
 * validates the payload against the contract). Errors come back as data, never as a rejected
 * invoke, so the renderer always gets { code, message }.
 */
export async function handleIpcCall(backend: ApiBackend, trusted: boolean, message: unknown, ctx: () => CallContext): Promise<IpcReply> {
  const id = message && typeof message === 'object' && typeof (message as { id?: unknown }).id === 'number' ? (message as { id: number }).id : 0
  if (!trusted) return { type: 'error', id, error: new AppError('forbidden', 'IPC from an untrusted frame').toBody() }
  const parsed = parseCall(message)
  if (!parsed.ok) return { type: 'error', id: parsed.id, error: new AppError('invalid_input', parsed.message).toBody() }
  const { method, params } = parsed.call
  try {
    return { type: 'result', id, result: await backend.call(method, params, ctx()) }
  } catch (err) {
    const e = AppError.from(err)
    if (e.code === 'internal') console.error(`IMHI Workbench: ${method} failed:`, err)
    return { type: 'error', id, error: e.toBody() }
  }
}
