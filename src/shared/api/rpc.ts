import { AppError } from './errors'
import type { CallMessage, EventMessage, RpcMessage } from './protocol'

/**
 * One end of the RPC envelope (protocol.ts), whatever carries it: a WebSocket, Electron IPC, a
 * worker thread's port or a utility process's port. Both ends may call and answer; ids are per end.
 * The carrier only moves messages: `send` posts one, `receive` is fed each one that arrives.
 */
export interface RpcEndpoint {
  /** Calls `method` on the other end; settles with its result or its error (an AppError). */
  call(method: string, params: unknown, as?: CallMessage['as']): Promise<unknown>
  /** Sends an event (no answer). */
  event(event: string, payload: unknown, to?: string[]): void
  /** Feeds one message that arrived (already parsed). */
  receive(msg: RpcMessage): void
  /** Fails every call still waiting for an answer (the other end went away). */
  rejectAll(err: AppError): void
  /** The calls still waiting, oldest first (a reconnecting client sends them again). */
  waiting(): CallMessage[]
}

export interface RpcOptions {
  send: (msg: RpcMessage) => void
  /** Answers a call of the other end; without it, calls are refused. */
  answer?: (msg: CallMessage) => unknown
  onEvent?: (msg: EventMessage) => void
  /** Errors the answering side could not carry as AppError are reported here (logged by hosts). */
  onInternalError?: (method: string, err: unknown) => void
}

export function createRpcEndpoint(opts: RpcOptions): RpcEndpoint {
  let nextId = 1
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: unknown) => void; msg: CallMessage }>()

  const answer = async (msg: CallMessage): Promise<void> => {
    try {
      if (!opts.answer) throw new AppError('unsupported', `This end answers no calls ("${msg.method}").`)
      const result = await opts.answer(msg)
      opts.send({ type: 'result', id: msg.id, result })
    } catch (err) {
      const e = AppError.from(err)
      if (e.code === 'internal') opts.onInternalError?.(msg.method, err)
      opts.send({ type: 'error', id: msg.id, error: e.toBody() })
    }
  }

  return {
    call(method, params, as) {
      const msg: CallMessage = { type: 'call', id: nextId++, method, params, ...(as ? { as } : {}) }
      return new Promise<unknown>((resolve, reject) => {
        pending.set(msg.id, { resolve, reject, msg })
        try {
          opts.send(msg)
        } catch (err) {
          pending.delete(msg.id)
          reject(AppError.from(err))
        }
      })
    },
    event(event, payload, to) {
      opts.send({ type: 'event', event, payload, ...(to ? { to } : {}) })
    },
    receive(msg) {
      switch (msg.type) {
        case 'call':
          void answer(msg)
          return
        case 'event':
          opts.onEvent?.(msg)
          return
        case 'result':
        case 'error': {
          const p = pending.get(msg.id)
          if (!p) return
          pending.delete(msg.id)
          if (msg.type === 'result') p.resolve(msg.result)
          else p.reject(AppError.from(msg.error))
        }
      }
    },
    rejectAll(err) {
      const all = [...pending.values()]
      pending.clear()
      for (const p of all) p.reject(err)
    },
    waiting: () => [...pending.values()].map((p) => p.msg)
  }
}

/**
 * Checks that an untrusted message (from a browser or a window) is a call: the envelope's shape,
 * nothing more (the dispatcher validates the method and its payload). A host's `as` is dropped.
 */
export function parseCall(data: unknown): { ok: true; call: CallMessage } | { ok: false; id: number; message: string } {
  const msg = data as Partial<CallMessage> | null
  if (!msg || typeof msg !== 'object' || msg.type !== 'call' || typeof msg.id !== 'number' || typeof msg.method !== 'string') {
    const id = msg && typeof msg === 'object' && typeof msg.id === 'number' ? msg.id : 0
    return { ok: false, id, message: 'A call is {"type":"call","id":number,"method":string,"params":object}.' }
  }
  return { ok: true, call: { type: 'call', id: msg.id, method: msg.method, params: msg.params } }
}
