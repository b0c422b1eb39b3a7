import { app, BrowserWindow, dialog, session, shell, type WebFrameMain } from 'electron'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { openDatabase } from '../db/open'
import { createServices, type Services } from '../services'
import { createHandlers } from '../api/handlers'
import { registerIpc } from './ipc'
import { APP_VERSION } from '../version'
import { packageRoot } from '../paths'

const here = fileURLToPath(new URL('.', import.meta.url))
const rendererIndex = join(here, '../renderer/index.html')
const preloadPath = join(here, '../preload/index.cjs')

/** better-sqlite3 compiled for Electron's ABI by `npm run rebuild:electron` (Node's build stays for the CLI/tests). */
function electronSqliteBinding(): string | undefined {
  const candidates = [
    join(process.resourcesPath ?? '', 'build-electron', 'better_sqlite3.node'),
    join(packageRoot(), 'build-electron', 'better_sqlite3.node')
  ]
  return candidates.find((p) => existsSync(p))
}

const CSP =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; font-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'none'"

let services: Services | null = null
let mainWindow: BrowserWindow | null = null

function isTrustedFrame(frame: WebFrameMain | null): boolean {
  if (!frame) return false
  const devUrl = process.env.ELECTRON_RENDERER_URL
  if (devUrl && frame.url.startsWith(devUrl)) return true
  return frame.url.startsWith(pathToFileURL(rendererIndex).href.replace(/index\.html$/, ''))
}

function createWindow(): BrowserWindow {
  const win = new BrowserWindow({
    width: 1400,
    height: 900,
    minWidth: 960,
    minHeight: 600,
    show: false,
    title: 'IMHI Workbench',
    webPreferences: {
      preload: preloadPath,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
      spellcheck: false
    }
  })
  win.once('ready-to-show', () => win.show())
  // No navigation away from the app and no new windows; http(s) links open in the system browser.
  win.webContents.on('will-navigate', (e, url) => {
    if (!url.startsWith(pathToFileURL(rendererIndex).href) && !(process.env.ELECTRON_RENDERER_URL && url.startsWith(process.env.ELECTRON_RENDERER_URL))) {
      e.preventDefault()
    }
  })
  win.webContents.setWindowOpenHandler(({ url }) => {
    if (/^https:\/\//.test(url)) void shell.openExternal(url)
    return { action: 'deny' }
  })
  if (process.env.ELECTRON_RENDERER_URL) void win.loadURL(process.env.ELECTRON_RENDERER_URL)
  else void win.loadFile(rendererIndex)
  return win
}

async function start(): Promise<void> {
  await app.whenReady()
  session.defaultSession.webRequest.onHeadersReceived((details, callback) => {
    callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [CSP] } })
  })
  // The app never asks for camera, microphone, notifications, ...
  session.defaultSession.setPermissionRequestHandler((_wc, _permission, callback) => callback(false))

  const dbFile = process.env.IMHI_DB ?? join(app.getPath('userData'), 'imhi-workbench.db')
  const db = openDatabase(dbFile, { nativeBinding: electronSqliteBinding() })
  services = createServices({
    db,
    dataDir: app.getPath('userData'),
    platform: {
      transport: 'electron',
      version: APP_VERSION,
      dbFile,
      pickPath: async (kind, opts) => {
        const parent = mainWindow ?? undefined
        if (kind === 'save') {
          const r = parent ? await dialog.showSaveDialog(parent, { title: opts.title, defaultPath: opts.defaultPath }) : await dialog.showSaveDialog({ title: opts.title, defaultPath: opts.defaultPath })
          return r.canceled ? null : (r.filePath ?? null)
        }
        const properties: ('openDirectory' | 'openFile')[] = [kind === 'folder' ? 'openDirectory' : 'openFile']
        const r = parent ? await dialog.showOpenDialog(parent, { title: opts.title, defaultPath: opts.defaultPath, properties }) : await dialog.showOpenDialog({ title: opts.title, defaultPath: opts.defaultPath, properties })
        return r.canceled ? null : (r.filePaths[0] ?? null)
      }
    }
  })
  registerIpc(createHandlers(services), services.events, isTrustedFrame)
  mainWindow = createWindow()
  mainWindow.on('closed', () => (mainWindow = null))
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) mainWindow = createWindow()
  })
}

app.on('web-contents-created', (_e, contents) => {
  contents.on('will-attach-webview', (e) => e.preventDefault())
})
app.on('window-all-closed', () => {
  if (process.platform !== 'darwin') app.quit()
})
app.on('will-quit', () => {
  void services?.close()
})

start().catch((err: unknown) => {
  dialog.showErrorBox('IMHI Workbench could not start', err instanceof Error ? err.message : String(err))
  app.exit(1)
})
