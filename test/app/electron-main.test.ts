import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { tempDir } from '../support/tmp'
import { settle } from '../support/electron-stand-in'

/**
 * The Electron main process (src/main/electron/index.ts) run against a recording stand-in for the
 * 'electron' module: Electron's binary is not needed, and what the app asks Electron to do (window
 * options, session handlers, IPC answers) is checked as behaviour, not as source text.
 */
type Handler = (...args: unknown[]) => unknown

const rec = await vi.hoisted(async () => (await import('../support/electron-stand-in')).createRecorder())
vi.mock('electron', async () => (await import('../support/electron-stand-in')).electronModule(rec, { isPackaged: false }))

/** A call in the RPC envelope, as the preload bridge sends it. */
let nextId = 1
const env = (method: string, params: unknown) => ({ type: 'call', id: nextId++, method, params })

const APP_PAGE = pathToFileURL(join(__dirname, '..', '..', 'src', 'main', 'renderer', 'index.html')).href


describe('Electron main process (stand-in electron module)', () => {
  const dir = tempDir()

  beforeAll(async () => {
    rec.userData = dir
    process.env.IMHI_DB = join(dir, 'electron-main.db')
    await import('../../src/main/electron/index')
    await settle(rec)
  })

  afterAll(async () => {
    rec.appHandlers.get('will-quit')?.()
    await new Promise((r) => setTimeout(r, 50))
    delete process.env.IMHI_DB
  })

  it('starts: sandbox for every renderer and one instance, before the app is ready', () => {
    expect(rec.calls.indexOf('enableSandbox')).toBeGreaterThanOrEqual(0)
    expect(rec.calls.indexOf('enableSandbox')).toBeLessThan(rec.calls.indexOf('whenReady'))
    expect(rec.calls).toContain('requestSingleInstanceLock')
    // The user-data folder is pinned (a packaged product name must not move the database), before the lock and ready.
    const setUserData = rec.calls.findIndex((c) => c.startsWith('setPath:userData:') && /[\\/]imhi-workbench$/.test(c))
    expect(setUserData).toBeGreaterThanOrEqual(0)
    expect(setUserData).toBeLessThan(rec.calls.indexOf('requestSingleInstanceLock'))
    expect(rec.calls.filter((c) => c.startsWith('errorBox'))).toEqual([])
  })

  it('opens one window with isolation, sandbox, no Node and the CommonJS preload', () => {
    expect(rec.windows).toHaveLength(1)
    const prefs = rec.windows[0].options.webPreferences as Record<string, unknown>
    expect(prefs).toMatchObject({ contextIsolation: true, sandbox: true, nodeIntegration: false, webSecurity: true })
    expect(String(prefs.preload)).toMatch(/preload[\\/]index\.cjs$/)
    expect(rec.windows[0].loaded[0]).toMatch(/renderer[\\/]index\.html$/)
  })

  it('denies every permission request and check, and every download', () => {
    const answers: boolean[] = []
    for (const permission of ['media', 'notifications', 'geolocation', 'clipboard-read']) rec.permissionRequest!({}, permission, (ok: boolean) => answers.push(ok))
    expect(answers).toEqual([false, false, false, false])
    expect(rec.permissionCheck!({}, 'media')).toBe(false)
    const e = { preventDefault: vi.fn() }
    rec.sessionEvents.get('will-download')!(e)
    expect(e.preventDefault).toHaveBeenCalled()
  })

  it('sets the strict CSP header on responses', () => {
    let headers: Record<string, string[]> = {}
    rec.headers!({ responseHeaders: { 'x-a': ['1'] } }, (r: { responseHeaders: Record<string, string[]> }) => (headers = r.responseHeaders))
    expect(headers['x-a']).toEqual(['1'])
    expect(headers['Content-Security-Policy'][0]).toMatch(/^default-src 'self'; script-src 'self';/)
  })

  it('blocks navigation away from the app page, webviews and new windows in every webContents', () => {
    const on = new Map<string, Handler>()
    let openHandler: Handler = () => undefined
    const contents = { on: (ev: string, fn: Handler) => on.set(ev, fn), setWindowOpenHandler: (fn: Handler) => (openHandler = fn) }
    rec.appHandlers.get('web-contents-created')!({}, contents)

    const navigate = (url: string) => {
      const e = { preventDefault: vi.fn() }
      on.get('will-navigate')!(e, url)
      return e.preventDefault.mock.calls.length > 0
    }
    expect(navigate('https://evil.example/')).toBe(true)
    expect(navigate('file:///etc/passwd')).toBe(true)
    expect(navigate(APP_PAGE.replace('index.html', 'other.html'))).toBe(true)
    expect(navigate(APP_PAGE + '#/item/3')).toBe(false)
    const redirect = { preventDefault: vi.fn() }
    on.get('will-redirect')!(redirect, 'http://evil.example/')
    expect(redirect.preventDefault).toHaveBeenCalled()
    const webview = { preventDefault: vi.fn() }
    on.get('will-attach-webview')!(webview)
    expect(webview.preventDefault).toHaveBeenCalled()

    expect(openHandler({ url: 'https://github.com/SteveKGYang/MentalLLaMA' })).toEqual({ action: 'deny' })
    expect(openHandler({ url: 'file:///etc/passwd' })).toEqual({ action: 'deny' })
    expect(openHandler({ url: 'javascript:alert(1)' })).toEqual({ action: 'deny' })
    expect(rec.openExternal).toEqual(['https://github.com/SteveKGYang/MentalLLaMA'])
  })

  it('answers IPC only from the main frame of its own window showing its own page', async () => {
    const call = rec.ipc.get('imhi:call')!
    const wc = rec.windows[0].webContents
    const mainFrame = wc.mainFrame as { url: string; parent: null }
    expect(mainFrame.url).toBe(APP_PAGE)

    const ok = (await call({ senderFrame: mainFrame, sender: wc }, env('app.info', {}))) as { type: string; result: Record<string, unknown> }
    expect(ok).toMatchObject({ type: 'result', result: { transport: 'electron', role: 'owner', canPickFolder: true, dbFile: process.env.IMHI_DB } })

    const forbidden = { type: 'error', error: { code: 'forbidden', message: 'IPC from an untrusted frame' } }
    expect(await call({ senderFrame: null, sender: wc }, env('app.info', {}))).toMatchObject(forbidden)
    expect(await call({ senderFrame: { url: APP_PAGE, parent: mainFrame }, sender: wc }, env('app.info', {}))).toMatchObject(forbidden)
    expect(await call({ senderFrame: { url: APP_PAGE, parent: null }, sender: wc }, env('app.info', {}))).toMatchObject(forbidden)
    mainFrame.url = 'https://evil.example/'
    try {
      expect(await call({ senderFrame: mainFrame, sender: wc }, env('app.info', {}))).toMatchObject(forbidden)
    } finally {
      mainFrame.url = APP_PAGE
    }

    const invalid = (await call({ senderFrame: mainFrame, sender: wc }, env('imhi.search', { limit: 0 }))) as { type: string; error: { code: string; message: string } }
    expect(invalid.type).toBe('error')
    expect(invalid.error.code).toBe('invalid_input')
    expect(invalid.error.message).toMatch(/limit/)
  })

  it('opens the native folder picker for app.pickPath', async () => {
    const call = rec.ipc.get('imhi:call')!
    const wc = rec.windows[0].webContents
    const reply = await call({ senderFrame: wc.mainFrame, sender: wc }, env('app.pickPath', { kind: 'folder', title: 'Choose' }))
    // Asked by the core (its own process), answered by this process's native dialog.
    expect(reply).toMatchObject({ type: 'result', result: { path: '/data/MentalLLaMA' } })
    const [, options] = rec.openDialogs[0] as [unknown, { properties: string[]; title: string }]
    expect(options).toMatchObject({ properties: ['openDirectory'], title: 'Choose' })
  })

  it('runs the services in two utility processes, and restarts one that dies, telling the window', async () => {
    expect(rec.utility.map((u) => u.options.serviceName)).toEqual(['IMHI Workbench core', 'IMHI Workbench jobs'])
    expect(rec.utility[0].entry).toMatch(/core-process\.ts$/)
    expect(JSON.parse(rec.utility[1].args.at(-1)!)).toMatchObject({ lane: 'jobs', transport: 'electron', canPickPath: true, dbFile: process.env.IMHI_DB })
    const call = rec.ipc.get('imhi:call')!
    const wc = rec.windows[0].webContents
    const before = rec.sent.length
    rec.utility[1].kill()
    const heard = () =>
      rec.sent
        .slice(before)
        .filter(([channel, msg]) => channel === 'imhi:event' && (msg as { event: string }).event === 'app.core')
        .map(([, msg]) => (msg as { payload: { lane: string; state: string } }).payload)
    for (let i = 0; i < 500 && !heard().some((e) => e.state === 'ready'); i++) await new Promise((r) => setTimeout(r, 20))
    expect(heard()).toEqual([expect.objectContaining({ lane: 'jobs', state: 'restarting' }), expect.objectContaining({ lane: 'jobs', state: 'ready' })])
    expect(rec.calls.filter((c) => c.startsWith('errorBox'))).toEqual([])
    expect(rec.utility).toHaveLength(3)
    // The new jobs lane answers (evaluation.cancel runs there), the core lane never stopped.
    const cancel = await call({ senderFrame: wc.mainFrame, sender: wc }, env("evaluation.cancel", { requestId: "none" }))
    expect(cancel).toMatchObject({ type: 'result', result: { cancelled: false } })
    expect(await call({ senderFrame: wc.mainFrame, sender: wc }, env('app.info', {}))).toMatchObject({ type: 'result' })
  })
})
