import { Worker } from 'node:worker_threads'
/**
 * A recording stand-in for the 'electron' module, for running the Electron main process
 * (src/main/electron/index.ts) without Electron's binary: what the app asks Electron to do (window
 * options, loads, session handlers, IPC answers, dialogs) is recorded in `rec` and checked as
 * behaviour. Used through vi.hoisted + vi.mock (both hoisted above imports, hence the dynamic imports):
 *
 *   const rec = await vi.hoisted(async () => (await import('../support/electron-stand-in')).createRecorder())
 *   vi.mock('electron', async () => (await import('../support/electron-stand-in')).electronModule(rec, { isPackaged: false }))
 */
type Handler = (...args: unknown[]) => unknown

export function createRecorder() {
  const appHandlers = new Map<string, (...args: unknown[]) => unknown>()
  const calls: string[] = []
  const state = {
    appHandlers,
    calls,
    windows: [] as { options: Record<string, unknown>; webContents: Record<string, unknown>; loaded: string[] }[],
    ipc: new Map<string, (...args: unknown[]) => unknown>(),
    permissionRequest: null as null | ((...args: unknown[]) => unknown),
    permissionCheck: null as null | ((...args: unknown[]) => unknown),
    sessionEvents: new Map<string, (...args: unknown[]) => unknown>(),
    headers: null as null | ((...args: unknown[]) => unknown),
    openExternal: [] as string[],
    openDialogs: [] as unknown[],
    /** URLs a window was asked to load (loadURL). */
    urls: [] as string[],
    /** What the main process sent to its windows (channel, message). */
    sent: [] as unknown[][],
    /** Utility processes forked (the core's lanes), each run in a worker thread of this process. */
    utility: [] as { entry: string; args: string[]; options: Record<string, unknown>; kill: () => void; exited: boolean }[],
    userData: '',
    /** safeStorage: whether the OS keychain answers, and the Linux backend it reports. */
    keychain: { available: true, backend: 'gnome_libsecret' }
  }
  return state
}

export type Recorder = ReturnType<typeof createRecorder>

export function electronModule(rec: Recorder, opts: { isPackaged: boolean }) {
  let nextId = 1
  class BrowserWindow {
    static all: BrowserWindow[] = []
    static getAllWindows = () => BrowserWindow.all
    webContents: Record<string, unknown>
    constructor(options: Record<string, unknown>) {
      const id = nextId++
      const mainFrame: Record<string, unknown> = { url: '', parent: null }
      const handlers = new Map<string, Handler>()
      this.webContents = {
        id,
        mainFrame,
        handlers,
        on: (ev: string, fn: Handler) => handlers.set(ev, fn),
        once: (ev: string, fn: Handler) => handlers.set(ev, fn),
        send: (...args: unknown[]) => rec.sent.push(args),
        isDestroyed: () => false
      }
      const entry = { options, webContents: this.webContents, loaded: [] as string[] }
      rec.windows.push(entry)
      BrowserWindow.all.push(this)
      this.loadFile = (file: string) => {
        entry.loaded.push(file)
        mainFrame.url = new URL('file://' + (file.startsWith('/') ? '' : '/') + file.replace(/\\/g, '/')).href
        return Promise.resolve()
      }
    }
    loadFile: (file: string) => Promise<void>
    loadURL = (url: string) => (rec.urls.push(url), Promise.resolve())
    once = () => {}
    on = () => {}
    show = () => {}
    isDestroyed = () => false
    isMinimized = () => false
  }
  const app = {
    isPackaged: opts.isPackaged,
    enableSandbox: () => rec.calls.push('enableSandbox'),
    requestSingleInstanceLock: () => (rec.calls.push('requestSingleInstanceLock'), true),
    hasSingleInstanceLock: () => true,
    on: (ev: string, fn: Handler) => rec.appHandlers.set(ev, fn),
    whenReady: () => (rec.calls.push('whenReady'), Promise.resolve()),
    getPath: () => rec.userData,
    setPath: (name: string, path: string) => rec.calls.push(`setPath:${name}:${path}`),
    quit: () => rec.calls.push('quit'),
    exit: () => rec.calls.push('exit')
  }
  const session = {
    defaultSession: {
      webRequest: { onHeadersReceived: (fn: Handler) => (rec.headers = fn) },
      setPermissionRequestHandler: (fn: Handler) => (rec.permissionRequest = fn),
      setPermissionCheckHandler: (fn: Handler) => (rec.permissionCheck = fn),
      on: (ev: string, fn: Handler) => rec.sessionEvents.set(ev, fn)
    }
  }
  const ipcMain = {
    handle: (channel: string, fn: Handler) => rec.ipc.set(channel, fn),
    removeHandler: (channel: string) => rec.ipc.delete(channel)
  }
  const dialog = {
    showOpenDialog: async (...args: unknown[]) => {
      rec.openDialogs.push(args)
      return { canceled: false, filePaths: ['/data/MentalLLaMA'] }
    },
    showSaveDialog: async () => ({ canceled: true }),
    showErrorBox: (title: string, message: string) => rec.calls.push(`errorBox:${title}:${message}`)
  }
  const shell = { openExternal: async (url: string) => void rec.openExternal.push(url) }
  // A reversible stand-in for the OS keychain's encryption: the bytes never hold the plain text.
  const scramble = (b: Buffer) => Buffer.from(b.map((x) => x ^ 0x5a))
  const safeStorage = {
    isEncryptionAvailable: () => rec.keychain.available,
    getSelectedStorageBackend: () => rec.keychain.backend,
    encryptString: (plain: string) => {
      if (!rec.keychain.available) throw new Error('Encryption is not available.')
      rec.calls.push('safeStorage.encryptString')
      return Buffer.concat([Buffer.from('v10'), scramble(Buffer.from(plain, 'utf8'))])
    },
    decryptString: (encrypted: Buffer) => {
      if (!rec.keychain.available) throw new Error('Decryption is not available.')
      if (encrypted.subarray(0, 3).toString() !== 'v10') throw new Error('Error while decrypting the ciphertext provided to safeStorage.decryptString.')
      rec.calls.push('safeStorage.decryptString')
      return scramble(encrypted.subarray(3)).toString('utf8')
    }
  }
  // utilityProcess.fork: the entry runs for real, in a worker thread whose port plays process.parentPort.
  const utilityProcess = {
    fork: (entry: string, args: string[] = [], options: Record<string, unknown> = {}) => {
      const worker = new Worker(new URL('./utility-process-bootstrap.mjs', import.meta.url), { workerData: { entry }, argv: args, stdout: false, stderr: false, env: (options.env as NodeJS.ProcessEnv | undefined) ?? process.env })
      const record = { entry, args, options, kill: () => void worker.terminate(), exited: false }
      worker.once('exit', () => (record.exited = true))
      rec.utility.push(record)
      return {
        pid: 0,
        postMessage: (message: unknown) => worker.postMessage(message),
        on: (event: string, listener: Handler) => {
          if (event === 'message') worker.on('message', listener)
          else if (event === 'exit') worker.on('exit', listener)
        },
        once: (event: string, listener: Handler) => {
          if (event === 'exit') worker.once('exit', listener)
          else if (event === 'message') worker.once('message', listener)
        },
        kill: () => (void worker.terminate(), true)
      }
    }
  }
  return {
    app,
    BrowserWindow,
    session,
    ipcMain,
    dialog,
    shell,
    utilityProcess,
    safeStorage,
    default: { app, BrowserWindow, session, ipcMain, dialog, shell, utilityProcess, safeStorage }
  }
}

/** Waits until the app has created its window (or a second, whichever comes first). */
export async function settle(rec: Recorder): Promise<void> {
  for (let i = 0; i < 50 && rec.windows.length === 0; i++) await new Promise((r) => setTimeout(r, 20))
}
