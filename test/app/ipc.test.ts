import { describe, expect, it } from 'vitest'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { handleIpcCall, CALL_CHANNEL, EVENT_CHANNEL } from '../../src/main/electron/ipcCall'
import { createHandlers } from '../../src/main/api/handlers'
import { inProcessBackend } from '../../src/main/api/backend'
import type { CallContext } from '../../src/main/api/dispatch'
import { testServices } from '../support/services'
import { APP_CSP, PAGE_CSP, PAGE_CSP_PLACEHOLDER } from '../../src/shared/api/csp'

const ROOT = join(__dirname, '..', '..')

describe('Electron IPC call handling (no Electron needed)', () => {
  const services = testServices()
  // The services in this thread, behind the same door the core uses.
  const handlers = inProcessBackend(createHandlers(services), services.events)
  let made = 0
  const ctx = (): CallContext => {
    made++
    return { client: { id: 'ipc-test', transport: 'electron', role: 'owner', annotatorId: null }, emit: () => {} }
  }

  // The renderer sends the RPC envelope (src/shared/api/protocol.ts) through the preload bridge.
  let nextId = 1
  const ipc = (trusted: boolean, method: unknown, params: unknown) => handleIpcCall(handlers, trusted, { type: 'call', id: nextId++, method, params }, ctx)

  it('refuses a call from an untrusted frame before anything runs', async () => {
    made = 0
    const reply = await ipc(false, 'app.info', {})
    expect(reply).toEqual({ type: 'error', id: nextId - 1, error: { code: 'forbidden', message: 'IPC from an untrusted frame' } })
    expect(made).toBe(0)
  })

  it('answers a trusted call with the result, under the call\'s id', async () => {
    const reply = await ipc(true, 'app.info', {})
    expect(reply).toMatchObject({ type: 'result', id: nextId - 1, result: { transport: 'electron', role: 'owner' } })
  })

  it('validates the envelope, the method name and the payload, naming the field', async () => {
    expect(await ipc(true, 42, {})).toMatchObject({ type: 'error', error: { code: 'invalid_input', message: expect.stringMatching(/A call is/) } })
    expect(await handleIpcCall(handlers, true, 'app.info', ctx)).toMatchObject({ type: 'error', id: 0, error: { code: 'invalid_input' } })
    expect(await ipc(true, 'constructor', {})).toMatchObject({ type: 'error', error: { code: 'unknown_method' } })
    const bad = await ipc(true, 'imhi.item', { id: 'one' })
    expect(bad).toMatchObject({ type: 'error', error: { code: 'invalid_input' } })
    expect((bad as { error: { message: string } }).error.message).toMatch(/^Invalid input for imhi\.item: id:/)
    const extra = await ipc(true, 'app.pickPath', { kind: 'folder', exec: 'rm -rf /' })
    expect((extra as { error: { message: string } }).error.message).toMatch(/exec/)
    // A window cannot pose as another caller: the envelope's `as` is the host's alone.
    const posing = await handleIpcCall(handlers, true, { type: 'call', id: 9, method: 'app.info', params: {}, as: { id: 'x', transport: 'serve', role: 'annotator', annotatorId: 3 } }, ctx)
    expect(posing).toMatchObject({ type: 'result', result: { role: 'owner', transport: 'electron' } })
  })

  it('carries a service error as { code, message }, not a rejected promise', async () => {
    const reply = await ipc(true, 'imhi.item', { id: 987654 })
    expect(reply.type).toBe('error')
    expect((reply as { error: { code: string; message: string } }).error.message).toMatch(/987654/)
  })

  it('uses the same channel names as the preload bridge', () => {
    const preload = readFileSync(join(ROOT, 'src', 'preload', 'index.ts'), 'utf8')
    expect(preload).toContain(`ipcRenderer.invoke('${CALL_CHANNEL}'`)
    expect(preload).toContain(`ipcRenderer.on('${EVENT_CHANNEL}'`)
    // The bridge exposes two functions, never ipcRenderer itself.
    expect(preload).toMatch(/contextBridge\.exposeInMainWorld\('imhiBridge', bridge\)/)
    expect(preload).not.toMatch(/exposeInMainWorld\([^)]*ipcRenderer\s*\)/)
  })
})

describe('Electron window security settings', () => {
  const main = readFileSync(join(ROOT, 'src', 'main', 'electron', 'index.ts'), 'utf8')
  const html = readFileSync(join(ROOT, 'src', 'renderer', 'index.html'), 'utf8')

  it('keeps contextIsolation and sandbox on, nodeIntegration off', () => {
    expect(main).toMatch(/contextIsolation:\s*true/)
    expect(main).toMatch(/sandbox:\s*true/)
    expect(main).toMatch(/nodeIntegration:\s*false/)
    expect(main).toMatch(/app\.enableSandbox\(\)/)
    expect(main).not.toMatch(/webSecurity:\s*false/)
    expect(main).not.toMatch(/allowRunningInsecureContent:\s*true/)
  })

  it('blocks navigation, new windows, webviews, permissions and downloads', () => {
    expect(main).toMatch(/'will-navigate'/)
    expect(main).toMatch(/setWindowOpenHandler\([\s\S]*action: 'deny'/)
    expect(main).toMatch(/'will-attach-webview', \(e\) => e\.preventDefault\(\)/)
    expect(main).toMatch(/setPermissionRequestHandler\(\(_wc, _permission, callback\) => callback\(false\)\)/)
    expect(main).toMatch(/setPermissionCheckHandler\(\(\) => false\)/)
    expect(main).toMatch(/'will-download', \(e\) => e\.preventDefault\(\)/)
  })

  it('ships a strict CSP in the page itself (file:// responses carry no headers)', () => {
    // The page's meta tag is filled in by the build from the one definition (src/shared/api/csp.ts).
    expect(/http-equiv="Content-Security-Policy"\s+content="([^"]+)"/.exec(html)?.[1]).toBe(PAGE_CSP_PLACEHOLDER)
    const csp = PAGE_CSP
    expect(csp).toBe(APP_CSP.replace("; frame-ancestors 'none'", ''))
    expect(APP_CSP).toContain("frame-ancestors 'none'")
    const built = join(ROOT, 'out', 'renderer', 'index.html')
    if (existsSync(built)) expect(readFileSync(built, 'utf8')).toContain(`content="${PAGE_CSP}"`)
    const directives = Object.fromEntries(csp!.split(';').map((d) => d.trim().split(/\s+/)).map(([k, ...v]) => [k, v]))
    expect(directives['default-src']).toEqual(["'self'"])
    expect(directives['script-src']).toEqual(["'self'"])
    expect(directives['object-src']).toEqual(["'none'"])
    expect(directives['base-uri']).toEqual(["'none'"])
    expect(csp).not.toMatch(/unsafe-eval|https?:|\*/)
  })
})
