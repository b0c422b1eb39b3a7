import { ipcMain, type WebContents, type WebFrameMain } from 'electron'
import { randomUUID } from 'node:crypto'
import type { CallContext, ClientInfo } from '../api/dispatch'
import type { ApiBackend } from '../api/backend'
import { CALL_CHANNEL, EVENT_CHANNEL, handleIpcCall } from './ipcCall'
import type { EventMessage } from '../../shared/api/protocol'

export { CALL_CHANNEL, EVENT_CHANNEL }

/**
 * Electron's transport for the API contract. Every message is checked for its sender (the main
 * frame of our own window, showing our own page) before it reaches the dispatcher, which
 * validates it. Events go only to windows that have called in.
 */
export function registerIpc(backend: ApiBackend, isTrustedFrame: (frame: WebFrameMain | null) => boolean): () => void {
  const clients = new Map<number, ClientInfo>()
  const listeners = new Map<number, () => void>()

  const clientFor = (wc: WebContents): ClientInfo => {
    let c = clients.get(wc.id)
    if (!c) {
      c = { id: `ipc-${randomUUID()}`, transport: 'electron', role: 'owner', annotatorId: null }
      clients.set(wc.id, c)
      wc.once('destroyed', () => clients.delete(wc.id))
    }
    return c
  }

  const subscribe = (wc: WebContents): void => {
    if (listeners.has(wc.id)) return
    const off = backend.subscribe(clientFor(wc), (name, payload) => {
      if (!wc.isDestroyed()) wc.send(EVENT_CHANNEL, { type: 'event', event: name, payload } satisfies EventMessage)
    })
    listeners.set(wc.id, off)
    wc.once('destroyed', () => {
      off()
      listeners.delete(wc.id)
    })
  }

  ipcMain.handle(CALL_CHANNEL, (event, message: unknown) => {
    const trusted = isTrustedFrame(event.senderFrame)
    const wc = event.sender
    if (trusted) subscribe(wc)
    const ctx = (): CallContext => ({
      client: clientFor(wc),
      emit: (name, payload) => {
        if (!wc.isDestroyed()) wc.send(EVENT_CHANNEL, { type: 'event', event: name, payload } satisfies EventMessage)
      }
    })
    return handleIpcCall(backend, trusted, message, ctx)
  })

  return () => {
    ipcMain.removeHandler(CALL_CHANNEL)
    for (const off of listeners.values()) off()
    listeners.clear()
  }
}
