import type { ApiErrorBody } from './errors'

/** Wire messages shared by both transports (Electron IPC and the serve WebSocket). */
export interface CallMessage {
  type: 'call'
  id: number
  method: string
  params: unknown
}
export interface ResultMessage {
  type: 'result'
  id: number
  result: unknown
}
export interface ErrorMessage {
  type: 'error'
  id: number
  error: ApiErrorBody
}
export interface EventMessage {
  type: 'event'
  event: string
  payload: unknown
}
export type ServerMessage = ResultMessage | ErrorMessage | EventMessage

/** Markers around highlighted search matches in snippets (never HTML: the renderer splits on them). */
export const HIGHLIGHT_START = '\u0002'
export const HIGHLIGHT_END = '\u0003'
