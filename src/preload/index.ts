import { contextBridge, ipcRenderer } from 'electron'

/**
 * The narrow bridge: two functions. The renderer never sees ipcRenderer itself; payloads are
 * validated in the main process against the API contract.
 */
const bridge = {
  call: (method: string, params: unknown): Promise<unknown> => ipcRenderer.invoke('imhi:call', method, params),
  onEvent: (listener: (event: string, payload: unknown) => void): (() => void) => {
    const wrapped = (_e: unknown, event: string, payload: unknown) => listener(event, payload)
    ipcRenderer.on('imhi:event', wrapped)
    return () => {
      ipcRenderer.removeListener('imhi:event', wrapped)
    }
  }
}

contextBridge.exposeInMainWorld('imhiBridge', bridge)
