import { ipcMain, type WebContents, type WebFrameMain } from 'electron'
import { randomUUID } from 'node:crypto'
import { dispatch, type CallContext, type ClientInfo, type Handlers } from '../api/dispatch'
import type { EventHub } from '../api/events'
import { AppError } from '../../shared/api/errors'

export const CALL_CHANNEL = 'imhi:call'
export const EVENT_CHANNEL = 'imhi:event'

/**
 * Electron's transport for the API contract. Every message is checked for its sender (our own
 * window, loaded from our own files) before it reaches the dispatcher, which validates it.
 */
export function registerIpc(handlers: Handlers, events: EventHub, isTrustedFrame: (frame: WebFrameMain | null) => boolean): () => void {
  const clients = new Map<number, ClientInfo>()
  const clientFor = (wc: WebContents): ClientInfo => {
    let c = clients.get(wc.id)
    if (!c) {
      c = { id: `ipc-${randomUUID()}`, transport: 'electron', role: 'owner', annotatorId: null }
      clients.set(wc.id, c)
      wc.once('destroyed', () => clients.delete(wc.id))
    }
    return c
  }
  const listeners = new Map<number, () => void>()

  ipcMain.handle(CALL_CHANNEL, async (event, method: unknown, params: unknown) => {
    if (!isTrustedFrame(event.senderFrame)) {
      return { ok: false, error: new AppError('forbidden', 'IPC from an untrusted frame').toBody() }
    }
    const wc = event.sender
    if (!listeners.has(wc.id)) {
      const off = events.subscribe((name, payload) => {
        if (!wc.isDestroyed()) wc.send(EVENT_CHANNEL, name, payload)
      })
      listeners.set(wc.id, off)
      wc.once('destroyed', () => {
        off()
        listeners.delete(wc.id)
      })
    }
    const ctx: CallContext = {
      client: clientFor(wc),
      emit: (name, payload) => {
        if (!wc.isDestroyed()) wc.send(EVENT_CHANNEL, name, payload)
      }
    }
    try {
      if (typeof method !== 'string') throw new AppError('invalid_input', 'method must be a string')
      return { ok: true, result: await dispatch(handlers, method, params, ctx) }
    } catch (err) {
      return { ok: false, error: AppError.from(err).toBody() }
    }
  })

  return () => {
    ipcMain.removeHandler(CALL_CHANNEL)
    for (const off of listeners.values()) off()
  }
}
