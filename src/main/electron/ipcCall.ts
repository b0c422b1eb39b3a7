import type { CallContext } from '../api/dispatch'
import type { ApiBackend } from '../api/backend'
import { AppError, type ApiErrorBody } from '../../shared/api/errors'

export const CALL_CHANNEL = 'imhi:call'
export const EVENT_CHANNEL = 'imhi:event'

export type IpcReply = { ok: true; result: unknown } | { ok: false; error: ApiErrorBody }

/**
 * One IPC call, with no Electron in it (so it is tested under plain Node): the sender check
 * first, then the method name's type, then the dispatcher (which checks the method exists and
 * validates the payload against the contract). Errors come back as data, never as a rejected
 * invoke, so the renderer always gets { code, message }.
 */
export async function handleIpcCall(backend: ApiBackend, trusted: boolean, method: unknown, params: unknown, ctx: () => CallContext): Promise<IpcReply> {
  if (!trusted) return { ok: false, error: new AppError('forbidden', 'IPC from an untrusted frame').toBody() }
  try {
    if (typeof method !== 'string') throw new AppError('invalid_input', 'method must be a string')
    return { ok: true, result: await backend.call(method, params, ctx()) }
  } catch (err) {
    const e = AppError.from(err)
    if (e.code === 'internal') console.error(`IMHI Workbench: ${String(method)} failed:`, err)
    return { ok: false, error: e.toBody() }
  }
}
