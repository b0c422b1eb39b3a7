// The stand-in's utilityProcess.fork (electron-stand-in.ts): runs a utility-process entry in a worker
// thread, with Electron's process.parentPort ({ data } messages) played by the thread's port.
import { parentPort, workerData } from 'node:worker_threads'
import { pathToFileURL } from 'node:url'
import { register } from 'tsx/esm/api'

register()
process.parentPort = {
  on: (event, listener) => parentPort.on(event, (data) => listener({ data })),
  postMessage: (message) => parentPort.postMessage(message)
}
await import(pathToFileURL(workerData.entry).href)
