import type { ApiErrorBody } from './errors'

/**
 * The one RPC envelope, written once (src/shared/api/rpc.ts speaks it) and carried by every hop:
 * the serve WebSocket (browser <-> server), Electron IPC (window <-> main process) and the core's
 * own channel (host <-> core worker thread or utility process).
 */
export interface CallMessage {
  type: 'call'
  id: number
  method: string
  params: unknown
  /**
   * Who the call is for, set by a host when it forwards a call to the core it runs (the host has
   * checked the token or the window). Never read from a browser or a window: the server and the
   * IPC handler build their own.
   */
  as?: CallerInfo
}
export interface ResultMessage {
  type: 'result'
  id: number
  result: unknown
  /**
   * How long answering the call held the answering end's event loop, in ms: the synchronous part
   * of its dispatch, where a search or a rating does its work. Set only by a core lane answering
   * its host (rpc.ts, `measureHeld`), so that `imhi serve` can charge it to the calling client's
   * fair share; the server and the IPC handler build their own answers, so a browser or a window
   * never sees it.
   */
  heldMs?: number
}
export interface ErrorMessage {
  type: 'error'
  id: number
  error: ApiErrorBody
  /** As ResultMessage.heldMs: a call that failed held the event loop too. */
  heldMs?: number
}
export interface EventMessage {
  type: 'event'
  event: string
  payload: unknown
  /** From the core to its host: the clients (CallerInfo.id) this event is for. */
  to?: string[]
}
export type ServerMessage = ResultMessage | ErrorMessage | EventMessage
export type RpcMessage = CallMessage | ServerMessage

/** A caller as a host identified it (same shape as the main side's ClientInfo). */
export interface CallerInfo {
  id: string
  transport: 'electron' | 'serve'
  role: 'owner' | 'annotator'
  annotatorId: number | null
}

/** Markers around highlighted search matches in snippets (never HTML: the renderer splits on them). */
export const HIGHLIGHT_START = '\u0002'
export const HIGHLIGHT_END = '\u0003'
