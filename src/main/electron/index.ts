import { app, BrowserWindow, dialog, session, shell, type WebFrameMain } from 'electron'
import { existsSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { CoreHost } from '../core/host'
import { readConfig } from '../config'
import { registerIpc } from './ipc'
import { utilityLanes } from './core-lanes'
import { APP_VERSION } from '../version'
import { packageRoot } from '../paths'
import { USER_DATA_NAME } from './userData'
import { APP_CSP } from '../../shared/api/csp'
import { electronKeychain } from './keychain'

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


let core: CoreHost | null = null
let mainWindow: BrowserWindow | null = null

/**
 * The dev server's URL under `npm run dev`; never in a packaged app, whatever the environment says
 * (a packaged app that loaded ELECTRON_RENDERER_URL would run any page with the app's API).
 */
function devServerUrl(): string | null {
  return !app.isPackaged && process.env.ELECTRON_RENDERER_URL ? process.env.ELECTRON_RENDERER_URL : null
}

/** Where the app's own pages live: the built renderer (file://), or the dev server under `npm run dev`. */
function isAppUrl(url: string): boolean {
  const devUrl = devServerUrl()
  if (devUrl) {
    try {
      if (new URL(url).origin === new URL(devUrl).origin) return true
    } catch {
      return false
    }
  }
  // The page itself, with any #/route: nothing else under file:// is ours.
  return url.split('#')[0] === pathToFileURL(rendererIndex).href
}

/** IPC is answered only for the main frame of our own window, showing our own page. */
function isTrustedFrame(frame: WebFrameMain | null): boolean {
  if (!frame || frame.parent !== null) return false
  if (!mainWindow || mainWindow.isDestroyed() || frame !== mainWindow.webContents.mainFrame) return false
  return isAppUrl(frame.url)
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
  // Navigation and new windows are blocked for every webContents (see 'web-contents-created').
  const devUrl = devServerUrl()
  if (devUrl) void win.loadURL(devUrl)
  else void win.loadFile(rendererIndex)
  return win
}

async function start(): Promise<void> {
  await app.whenReady()
  // The page carries the same CSP in a meta tag (file:// responses have no headers); the header
  // covers anything else loaded. Under `npm run dev` the dev server's page needs its own, looser one.
  if (!devServerUrl()) {
    session.defaultSession.webRequest.onHeadersReceived((details, callback) => {
      callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [APP_CSP] } })
    })
  }
  // The app never asks for camera, microphone, notifications, ...
  session.defaultSession.setPermissionRequestHandler((_wc, _permission, callback) => callback(false))
  session.defaultSession.setPermissionCheckHandler(() => false)
  // No downloads: the app writes files only through its own API (exports, models).
  session.defaultSession.on('will-download', (e) => e.preventDefault())

  const config = readConfig()
  const dbFile = resolve(config.dbFile ?? join(app.getPath('userData'), 'imhi-workbench.db'))
  const binding = config.sqliteBinding ?? electronSqliteBinding()
  const pickPath = async (kind: 'folder' | 'file' | 'save', opts: { title?: string; defaultPath?: string }): Promise<string | null> => {
    const parent = mainWindow ?? undefined
    if (kind === 'save') {
      const r = parent ? await dialog.showSaveDialog(parent, { title: opts.title, defaultPath: opts.defaultPath }) : await dialog.showSaveDialog({ title: opts.title, defaultPath: opts.defaultPath })
      return r.canceled ? null : (r.filePath ?? null)
    }
    const properties: ('openDirectory' | 'openFile')[] = [kind === 'folder' ? 'openDirectory' : 'openFile']
    const r = parent ? await dialog.showOpenDialog(parent, { title: opts.title, defaultPath: opts.defaultPath, properties }) : await dialog.showOpenDialog({ title: opts.title, defaultPath: opts.defaultPath, properties })
    return r.canceled ? null : (r.filePaths[0] ?? null)
  }
  // The services run in the core's utility processes (core/host.ts, core/lanes.ts): this process
  // keeps the window, its IPC and the native dialogs, so the window answers within a frame while
  // an import, a training or an evaluation runs; a core that dies is restarted (app.core event).
  const keychain = electronKeychain()
  core = new CoreHost({
    spawn: utilityLanes({
      dbFile,
      dataDir: app.getPath('userData'),
      transport: 'electron',
      version: APP_VERSION,
      sqliteBinding: binding,
      canPickPath: true,
      services: config.services,
      keychain: keychain.info
    }, undefined, keychain.dataKey),
    dbFile,
    answerHost: async (method, params) => {
      if (method !== 'host.pickPath') throw new Error(`unknown host call ${method}`)
      const p = params as { kind: 'folder' | 'file' | 'save'; title?: string; defaultPath?: string }
      return { path: await pickPath(p.kind, p) }
    }
  })
  // The window opens at once; its first calls wait for the core's lanes to answer.
  registerIpc(core, isTrustedFrame)
  mainWindow = createWindow()
  mainWindow.on('closed', () => (mainWindow = null))
  try {
    await core.start()
  } catch (err) {
    await core.close()
    const message = err instanceof Error ? err.message : String(err)
    if (/NODE_MODULE_VERSION|was compiled against a different Node\.js version|better_sqlite3\.node/.test(message)) {
      throw new Error(
        `SQLite's native module is not built for this Electron (${process.versions.electron}). Run "npm run rebuild:electron" ` +
          `(it writes build-electron/better_sqlite3.node), then start the app again.\n\n${message}`
      )
    }
    throw new Error(`Cannot open the database ${dbFile}: ${message}`)
  }
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) mainWindow = createWindow()
  })
}

// Hardening for every webContents, whatever creates it: no <webview>, no navigation away from the
// app's page, no new windows (an https link the user clicks opens in the system browser instead).
app.on('web-contents-created', (_e, contents) => {
  contents.on('will-attach-webview', (e) => e.preventDefault())
  contents.on('will-navigate', (e, url) => {
    if (!isAppUrl(url)) e.preventDefault()
  })
  contents.on('will-redirect', (e, url) => {
    if (!isAppUrl(url)) e.preventDefault()
  })
  contents.setWindowOpenHandler(({ url }) => {
    if (/^https:\/\//.test(url)) void shell.openExternal(url)
    return { action: 'deny' }
  })
})

// Every renderer runs in Chromium's sandbox, whatever its webPreferences say.
app.enableSandbox()

// The user-data folder is named imhi-workbench whatever the packaged product name is, so the desktop
// app, a packaged build and `npm start`'s browser fallback (scripts/start-mode.js) open one database.
app.setPath('userData', join(app.getPath('appData'), USER_DATA_NAME))

// One instance per user: two apps writing the same database would fight over it.
if (!app.requestSingleInstanceLock()) {
  app.quit()
} else {
  app.on('second-instance', () => {
    if (mainWindow) {
      if (mainWindow.isMinimized()) mainWindow.restore()
      mainWindow.focus()
    }
  })
}
app.on('window-all-closed', () => {
  if (process.platform !== 'darwin') app.quit()
})
app.on('will-quit', () => {
  void core?.close()
})

if (app.hasSingleInstanceLock()) {
  start().catch((err: unknown) => {
    dialog.showErrorBox('IMHI Workbench could not start', err instanceof Error ? err.message : String(err))
    app.exit(1)
  })
}
