import { contextBridge, ipcRenderer } from 'electron'
import type { CallMessage, ErrorMessage, EventMessage, ResultMessage } from '../shared/api/protocol'

/**
 * The narrow bridge: two functions carrying the one RPC envelope (src/shared/api/protocol.ts). The
 * renderer never sees ipcRenderer itself; calls are validated in the main process against the API
 * contract.
 */
const bridge = {
  call: (msg: CallMessage): Promise<ResultMessage | ErrorMessage> => ipcRenderer.invoke('imhi:call', msg),
  onEvent: (listener: (msg: EventMessage) => void): (() => void) => {
    const wrapped = (_e: unknown, msg: EventMessage) => listener(msg)
    ipcRenderer.on('imhi:event', wrapped)
    return () => {
      ipcRenderer.removeListener('imhi:event', wrapped)
    }
  }
}

contextBridge.exposeInMainWorld('imhiBridge', bridge)
