import type { ApiEvents, EventName, Input, MethodName, Output } from '../../../shared/api/contract'
import { AppError, type ApiErrorBody } from '../../../shared/api/errors'
import type { CallMessage, ServerMessage } from '../../../shared/api/protocol'

/** What carries the contract: the preload bridge in Electron, a WebSocket in a browser. */
interface Transport {
  call(method: string, params: unknown): Promise<unknown>
  onEvent(listener: (event: string, payload: unknown) => void): () => void
}

/** 'offline': the serve WebSocket is down; calls wait and are re-sent when it is back. */
export type ConnectionState = 'online' | 'offline'
const connectionListeners = new Set<(state: ConnectionState) => void>()
let connection: ConnectionState = 'online'
function setConnection(state: ConnectionState): void {
  if (state === connection) return
  connection = state
  for (const l of connectionListeners) l(state)
}

interface Bridge {
  call(method: string, params: unknown): Promise<{ ok: true; result: unknown } | { ok: false; error: ApiErrorBody }>
  onEvent(listener: (event: string, payload: unknown) => void): () => void
}

declare global {
  interface Window {
    imhiBridge?: Bridge
  }
}

function ipcTransport(bridge: Bridge): Transport {
  return {
    async call(method, params) {
      const reply = await bridge.call(method, params)
      if (reply.ok) return reply.result
      throw AppError.from(reply.error)
    },
    onEvent: (listener) => bridge.onEvent(listener)
  }
}

/** The serve mode's token comes in the URL it prints; kept for this tab so reloads and deep links work. */
export function serveToken(): string | null {
  const fromUrl = new URLSearchParams(window.location.search).get('token')
  if (fromUrl) {
    sessionStorage.setItem('imhi-token', fromUrl)
    return fromUrl
  }
  return sessionStorage.getItem('imhi-token')
}

function wsTransport(): Transport {
  const listeners = new Set<(event: string, payload: unknown) => void>()
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: unknown) => void; msg: CallMessage }>()
  let nextId = 1
  let socket: WebSocket | null = null
  let opening: Promise<WebSocket> | null = null
  let retryMs = 250

  const open = (): Promise<WebSocket> => {
    if (socket && socket.readyState === WebSocket.OPEN) return Promise.resolve(socket)
    if (opening) return opening
    opening = new Promise<WebSocket>((resolve, reject) => {
      const token = serveToken() ?? ''
      const proto = window.location.protocol === 'https:' ? 'wss:' : 'ws:'
      const ws = new WebSocket(`${proto}//${window.location.host}/api/ws?token=${encodeURIComponent(token)}`)
      ws.onopen = () => {
        socket = ws
        opening = null
        retryMs = 250
        setConnection('online')
        resolve(ws)
      }
      ws.onerror = () => {
        opening = null
        setConnection('offline')
        reject(new AppError('internal', 'Cannot reach the IMHI Workbench server (is `imhi serve` running, and is the token right?).'))
      }
      ws.onclose = () => {
        if (socket === ws) {
          socket = null
          setConnection('offline')
        }
        // Reconnect with backoff; calls in flight when the server went away are re-sent once it
        // is back (handlers are idempotent or keyed by the caller, e.g. a rating's item/aspect).
        scheduleReconnect()
      }
      ws.onmessage = (ev) => {
        let msg: ServerMessage
        try {
          msg = JSON.parse(String(ev.data)) as ServerMessage
        } catch {
          return
        }
        if (msg.type === 'event') {
          for (const l of listeners) l(msg.event, msg.payload)
          return
        }
        const p = pending.get(msg.id)
        if (!p) return
        pending.delete(msg.id)
        if (msg.type === 'result') p.resolve(msg.result)
        else p.reject(AppError.from(msg.error))
      }
    })
    return opening
  }

  // One reconnect timer at a time, however many failures report in (error and close both fire).
  let reconnectTimer: ReturnType<typeof setTimeout> | null = null
  const scheduleReconnect = (): void => {
    if (reconnectTimer !== null) return
    reconnectTimer = setTimeout(() => {
      reconnectTimer = null
      void resend()
    }, retryMs)
    retryMs = Math.min(retryMs * 2, 4000)
  }

  const resend = async (): Promise<void> => {
    try {
      const ws = await open()
      for (const p of pending.values()) ws.send(JSON.stringify(p.msg))
    } catch {
      scheduleReconnect()
    }
  }

  return {
    async call(method, params) {
      const msg: CallMessage = { type: 'call', id: nextId++, method, params }
      const result = new Promise<unknown>((resolve, reject) => pending.set(msg.id, { resolve, reject, msg }))
      try {
        const ws = await open()
        ws.send(JSON.stringify(msg))
      } catch (err) {
        // Leave it pending: the reconnect loop sends it when the server is back.
        scheduleReconnect()
        void err
      }
      return result
    },
    onEvent(listener) {
      listeners.add(listener)
      void open().catch(() => {})
      return () => listeners.delete(listener)
    }
  }
}

const transport: Transport = window.imhiBridge ? ipcTransport(window.imhiBridge) : wsTransport()

export const api = {
  call<M extends MethodName>(method: M, input: Input<M>): Promise<Output<M>> {
    return transport.call(method, input) as Promise<Output<M>>
  },
  on<E extends EventName>(event: E, listener: (payload: ApiEvents[E]) => void): () => void {
    return transport.onEvent((name, payload) => {
      if (name === event) listener(payload as ApiEvents[E])
    })
  },
  transport: window.imhiBridge ? ('electron' as const) : ('serve' as const),
  /** Whether the serve WebSocket is up (always 'online' in Electron). */
  connection: (): ConnectionState => connection,
  onConnection(listener: (state: ConnectionState) => void): () => void {
    connectionListeners.add(listener)
    return () => connectionListeners.delete(listener)
  }
}
