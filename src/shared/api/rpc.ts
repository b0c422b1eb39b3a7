import { AppError } from './errors'
import type { CallMessage, ErrorMessage, EventMessage, ResultMessage, RpcMessage } from './protocol'

/**
 * One end of the RPC envelope (protocol.ts), whatever carries it: a WebSocket, Electron IPC, a
 * worker thread's port or a utility process's port. Both ends may call and answer; ids are per end.
 * The carrier only moves messages: `send` posts one, `receive` is fed each one that arrives.
 */
export interface RpcEndpoint {
  /**
   * Calls `method` on the other end; settles with its result or its error (an AppError). `onHeld`
   * hears, just before it settles, how long the answer held the other end's event loop, when that
   * end measures it (`measureHeld`) and says so in a valid form.
   */
  call(method: string, params: unknown, as?: CallMessage['as'], onHeld?: (heldMs: number) => void): Promise<unknown>
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
  /**
   * Each answer says how long it held this end's event loop (`heldMs`: the synchronous part of
   * `answer`). A core lane sets it for its host; an end that answers a browser or a window never does.
   */
  measureHeld?: boolean
}

/** A valid `heldMs` of an answer (a finite number of ms, not negative), or null. */
export function heldMsOf(msg: ResultMessage | ErrorMessage): number | null {
  const v: unknown = msg.heldMs
  return typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : null
}

export function createRpcEndpoint(opts: RpcOptions): RpcEndpoint {
  let nextId = 1
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: unknown) => void; msg: CallMessage; onHeld?: (heldMs: number) => void }>()

  const answer = async (msg: CallMessage): Promise<void> => {
    // The synchronous part of the answer: where a dispatched call does its work before any await.
    const t0 = performance.now()
    let held: { heldMs?: number } | null = null
    const stop = (): { heldMs?: number } => (held ??= opts.measureHeld ? { heldMs: performance.now() - t0 } : {})
    try {
      if (!opts.answer) throw new AppError('unsupported', `This end answers no calls ("${msg.method}").`)
      const answering = opts.answer(msg)
      stop()
      const result = await answering
      opts.send({ type: 'result', id: msg.id, result, ...stop() })
    } catch (err) {
      const e = AppError.from(err)
      if (e.code === 'internal') opts.onInternalError?.(msg.method, err)
      opts.send({ type: 'error', id: msg.id, error: e.toBody(), ...stop() })
    }
  }

  return {
    call(method, params, as, onHeld) {
      const msg: CallMessage = { type: 'call', id: nextId++, method, params, ...(as ? { as } : {}) }
      return new Promise<unknown>((resolve, reject) => {
        pending.set(msg.id, { resolve, reject, msg, onHeld })
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
          const heldMs = p.onHeld ? heldMsOf(msg) : null
          if (heldMs !== null) p.onHeld!(heldMs)
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
