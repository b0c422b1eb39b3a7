import type { ApiEvents, EventName, Input, MethodName, Output } from '../../../shared/api/contract'
import type { CallMessage, ErrorMessage, EventMessage, ResultMessage } from '../../../shared/api/protocol'
import { createRpcEndpoint } from '../../../shared/api/rpc'

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

/** The preload's bridge (src/preload/index.ts): the RPC envelope over Electron IPC. */
interface Bridge {
  call(msg: CallMessage): Promise<ResultMessage | ErrorMessage>
  onEvent(listener: (msg: EventMessage) => void): () => void
}

declare global {
  interface Window {
    imhiBridge?: Bridge
  }
}

/** Both transports speak the one RPC envelope (src/shared/api/rpc.ts); only the carrier differs. */
function ipcTransport(bridge: Bridge): Transport {
  const rpc = createRpcEndpoint({
    send: (msg) => {
      if (msg.type !== 'call') return
      void bridge.call(msg).then(
        (reply) => rpc.receive(reply),
        (err: unknown) => rpc.receive({ type: 'error', id: msg.id, error: { code: 'internal', message: err instanceof Error ? err.message : String(err) } })
      )
    }
  })
  return {
    call: (method, params) => rpc.call(method, params),
    onEvent: (listener) => bridge.onEvent((msg) => listener(msg.event, msg.payload))
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
  let socket: WebSocket | null = null
  let opening: Promise<WebSocket> | null = null
  let retryMs = 250

  // A call made while the socket is down stays waiting in the endpoint and is sent once it is up.
  const rpc = createRpcEndpoint({
    send: (msg) => {
      if (socket && socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(msg))
      else void open().catch(() => scheduleReconnect())
    },
    onEvent: (msg) => {
      for (const l of listeners) l(msg.event, msg.payload)
    }
  })

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
        // Calls made while it was down, or in flight when the server went away (handlers are
        // idempotent or keyed by the caller, e.g. a rating's item/aspect).
        for (const msg of rpc.waiting()) ws.send(JSON.stringify(msg))
        resolve(ws)
      }
      ws.onerror = () => {
        opening = null
        setConnection('offline')
        reject(new Error('Cannot reach the IMHI Workbench server (is `imhi serve` running, and is the token right?).'))
      }
      ws.onclose = () => {
        if (socket === ws) {
          socket = null
          setConnection('offline')
        }
        scheduleReconnect()
      }
      ws.onmessage = (ev) => {
        let msg: ResultMessage | ErrorMessage | EventMessage
        try {
          msg = JSON.parse(String(ev.data)) as ResultMessage | ErrorMessage | EventMessage
        } catch {
          return
        }
        rpc.receive(msg)
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
      void open().catch(() => scheduleReconnect())
    }, retryMs)
    retryMs = Math.min(retryMs * 2, 4000)
  }

  return {
    call: (method, params) => rpc.call(method, params),
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
