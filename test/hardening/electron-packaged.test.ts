import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { join } from 'node:path'
import { tempDir } from '../support/tmp'

/**
 * Defect 10: a packaged app would load ELECTRON_RENDERER_URL if the environment set it (any page
 * would then run with the app's API). The same recording stand-in for 'electron' as
 * test/app/electron-main.test.ts, with app.isPackaged true and the variable set.
 */
type Handler = (...args: unknown[]) => unknown

const rec = vi.hoisted(() => {
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
    urls: [] as string[],
    userData: ''
  }
  return state
})

vi.mock('electron', () => {
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
        send: () => {},
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
    isPackaged: true,
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
  return { app, BrowserWindow, session, ipcMain, dialog, shell, default: { app, BrowserWindow, session, ipcMain, dialog, shell } }
})

async function settle(): Promise<void> {
  for (let i = 0; i < 50 && rec.windows.length === 0; i++) await new Promise((r) => setTimeout(r, 20))
}

describe('a packaged app ignores ELECTRON_RENDERER_URL', () => {
  const dir = tempDir()
  beforeAll(async () => {
    rec.userData = dir
    process.env.IMHI_DB = join(dir, 'packaged.db')
    process.env.ELECTRON_RENDERER_URL = 'http://evil.example:5173/'
    await import('../../src/main/electron/index')
    await settle()
  })
  afterAll(async () => {
    rec.appHandlers.get('will-quit')?.()
    await new Promise((r) => setTimeout(r, 50))
    delete process.env.IMHI_DB
    delete process.env.ELECTRON_RENDERER_URL
  })

  it('loads the built page from disk, never the URL from the environment, and keeps the CSP header', () => {
    expect(rec.windows).toHaveLength(1)
    expect(rec.urls).toEqual([])
    expect(rec.windows[0].loaded[0]).toMatch(/renderer[\\/]index\.html$/)
    expect(rec.headers).not.toBeNull()
  })
})
