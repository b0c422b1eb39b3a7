import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mkdirSync, writeFileSync } from 'node:fs'
import { request } from 'node:http'
import { join } from 'node:path'
import { WebSocket } from 'ws'
import { startServer, isLoopbackHost, type RunningServer } from '../../src/main/server/serve'
import { createHandlers } from '../../src/main/api/handlers'
import { testServices } from '../support/services'
import { tempDir } from '../support/tmp'
import type { ServerMessage } from '../../src/shared/api/protocol'

/** A raw HTTP request, so tests can set Host/Origin headers and paths that fetch() would normalise. */
function raw(
  server: RunningServer,
  opts: { method?: string; path: string; headers?: Record<string, string>; body?: string | Buffer }
): Promise<{ status: number; body: string; headers: Record<string, string | string[] | undefined> }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: server.port, method: opts.method ?? 'GET', path: opts.path, headers: opts.headers }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), headers: res.headers }))
      res.on('error', reject)
    })
    req.on('error', reject)
    if (opts.body !== undefined) req.write(opts.body)
    req.end()
  })
}

/** Opens a WebSocket and answers with the upgrade's HTTP status when the server refuses it. */
function connect(url: string, headers?: Record<string, string>): Promise<{ ws: WebSocket } | { refused: number }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers })
    ws.once('open', () => resolve({ ws }))
    ws.once('unexpected-response', (_req, res) => resolve({ refused: res.statusCode ?? 0 }))
    ws.once('error', (err) => {
      // A refused upgrade may surface as a socket error before 'unexpected-response' on some platforms.
      if (/Unexpected server response: (\d+)/.exec(err.message)) resolve({ refused: Number(/(\d{3})/.exec(err.message)![1]) })
      else reject(err)
    })
  })
}

function callWs(ws: WebSocket, id: number, method: string, params: unknown): Promise<ServerMessage> {
  return new Promise((resolve) => {
    const on = (data: Buffer) => {
      const msg = JSON.parse(data.toString()) as ServerMessage
      if (msg.type !== 'event' && msg.id === id) {
        ws.off('message', on)
        resolve(msg)
      }
    }
    ws.on('message', on)
    ws.send(JSON.stringify({ type: 'call', id, method, params }))
  })
}

describe('imhi serve', () => {
  const services = testServices()
  const dir = tempDir()
  const rendererDir = join(dir, 'renderer')
  let server: RunningServer
  const ANNOTATOR_TOKEN = 'annotator-token-for-the-test-0123456789'

  beforeAll(async () => {
    mkdirSync(join(rendererDir, 'assets'), { recursive: true })
    writeFileSync(join(rendererDir, 'index.html'), '<!doctype html><title>IMHI Workbench</title><div id="root"></div>')
    writeFileSync(join(rendererDir, 'assets', 'app.js'), 'console.log("app")')
    writeFileSync(join(dir, 'secret.txt'), 'outside the renderer folder')
    server = await startServer({
      handlers: createHandlers(services),
      events: services.events,
      rendererDir,
      port: 0,
      maxMessageBytes: 64 * 1024,
      resolveToken: (t) => (t === ANNOTATOR_TOKEN ? { role: 'annotator', annotatorId: 7 } : null)
    })
  })
  afterAll(() => server?.close())

  const post = (method: string, body: unknown, token: string | null = server.token, headers: Record<string, string> = {}) =>
    fetch(`http://127.0.0.1:${server.port}/api/call/${method}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers },
      body: typeof body === 'string' ? body : JSON.stringify(body)
    })

  it('binds to 127.0.0.1 by default and prints a URL with a long random token', () => {
    expect(server.host).toBe('127.0.0.1')
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?token=[A-Za-z0-9_-]{32}$/)
    expect(server.token.length).toBeGreaterThanOrEqual(32)
  })

  it('gives each server its own token', async () => {
    const other = await startServer({ handlers: createHandlers(services), events: services.events, rendererDir, port: 0 })
    try {
      expect(other.token).not.toBe(server.token)
    } finally {
      await other.close()
    }
  })

  describe('HTTP API', () => {
    it('refuses a call without a token or with a wrong one', async () => {
      const none = await post('app.info', {}, null)
      expect(none.status).toBe(401)
      expect(await none.json()).toEqual({ error: { code: 'forbidden', message: 'Missing or wrong token.' } })
      const wrong = await post('app.info', {}, server.token.slice(0, -1) + (server.token.endsWith('A') ? 'B' : 'A'))
      expect(wrong.status).toBe(401)
      const short = await post('app.info', {}, 'x')
      expect(short.status).toBe(401)
    })

    it('answers the owner with the token in the Authorization header; a token in the URL of a POST is refused (it ends up in logs)', async () => {
      const r = await post('app.info', {})
      expect(r.status).toBe(200)
      const body = (await r.json()) as { result: { role: string; transport: string; canPickFolder: boolean } }
      expect(body.result).toMatchObject({ role: 'owner', transport: 'serve', canPickFolder: false })
      const q = await fetch(`http://127.0.0.1:${server.port}/api/call/app.info?token=${server.token}`, { method: 'POST', body: '{}' })
      expect(q.status).toBe(401)
      expect(((await q.json()) as { error: { message: string } }).error.message).toMatch(/Authorization header \(Bearer\), not in the URL/)
    })

    it('cuts a connection that sends its headers too slowly (slowloris) after about 10 s, not 65 s', async () => {
      const { connect } = await import('node:net')
      const sock = connect(server.port, '127.0.0.1')
      sock.on('error', () => {})
      const started = Date.now()
      sock.write('GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n')
      const timer = setInterval(() => sock.write('X-Slow: 1\r\n'), 1000)
      await new Promise((resolve) => sock.once('close', resolve))
      clearInterval(timer)
      expect(Date.now() - started).toBeLessThan(25_000)
    }, 40_000)

    it('treats an empty body as an empty input', async () => {
      const r = await fetch(`http://127.0.0.1:${server.port}/api/call/app.info`, { method: 'POST', headers: { authorization: `Bearer ${server.token}` } })
      expect(r.status).toBe(200)
    })

    it('answers an unknown method with 404 unknown_method', async () => {
      const r = await post('imhi.dropEverything', {})
      expect(r.status).toBe(404)
      expect(await r.json()).toEqual({ error: { code: 'unknown_method', message: 'Unknown API method "imhi.dropEverything".' } })
      const proto = await post('__proto__', {})
      expect(proto.status).toBe(404)
    })

    it('names the invalid field of a payload', async () => {
      const r = await post('imhi.search', { limit: 'lots', splits: ['nope'] })
      expect(r.status).toBe(400)
      const body = (await r.json()) as { error: { code: string; message: string; details: { issues: { path: string }[] } } }
      expect(body.error.code).toBe('invalid_input')
      expect(body.error.message).toMatch(/^Invalid input for imhi\.search: /)
      expect(body.error.message).toContain('limit:')
      expect(body.error.message).toContain('splits.0:')
      expect(body.error.details.issues.map((i) => i.path).sort()).toEqual(['limit', 'splits.0'])
    })

    it('refuses unknown fields (strict schemas)', async () => {
      const r = await post('app.info', { admin: true })
      expect(r.status).toBe(400)
      expect(((await r.json()) as { error: { message: string } }).error.message).toMatch(/admin/)
    })

    it('refuses a body that is not JSON', async () => {
      const r = await post('app.info', '{not json')
      expect(r.status).toBe(400)
      expect(await r.json()).toEqual({ error: { code: 'invalid_input', message: 'The request body is not valid JSON.' } })
    })

    it('refuses a body over the size limit with 413', async () => {
      const r = await post('imhi.import', { path: 'x'.repeat(100 * 1024) })
      expect(r.status).toBe(413)
      expect(((await r.json()) as { error: { code: string } }).error.code).toBe('invalid_input')
    })

    it("lets an annotator's token call annotator methods only", async () => {
      const info = await post('app.info', {}, ANNOTATOR_TOKEN)
      expect(info.status).toBe(200)
      expect(((await info.json()) as { result: { role: string; annotatorId: number } }).result).toMatchObject({ role: 'annotator', annotatorId: 7 })
      const stats = await post('imhi.stats', {}, ANNOTATOR_TOKEN)
      expect(stats.status).toBe(403)
      expect(await stats.json()).toEqual({ error: { code: 'forbidden', message: `An annotator's token may not call "imhi.stats".` } })
      // The role check comes before validation: an annotator learns nothing about owner methods' schemas.
      const bad = await post('imhi.import', { nope: 1 }, ANNOTATOR_TOKEN)
      expect(bad.status).toBe(403)
    })

    it('refuses a cross-origin browser request even with the token', async () => {
      const r = await post('app.info', {}, server.token, { origin: 'http://evil.example' })
      expect(r.status).toBe(403)
      const same = await post('app.info', {}, server.token, { origin: `http://127.0.0.1:${server.port}` })
      expect(same.status).toBe(200)
    })

    it('answers other /api/ paths as JSON errors, not the SPA', async () => {
      const r = await raw(server, { path: '/api/call/app.info' })
      expect(r.status).toBe(405)
      expect(JSON.parse(r.body)).toMatchObject({ error: { code: 'unknown_method' } })
    })
  })

  describe('Host header guard (DNS rebinding)', () => {
    it('refuses a request whose Host is not a loopback name', async () => {
      const page = await raw(server, { path: '/', headers: { host: `evil.example:${server.port}` } })
      expect(page.status).toBe(421)
      const api = await raw(server, {
        method: 'POST',
        path: `/api/call/app.info?token=${server.token}`,
        headers: { host: 'evil.example', 'content-type': 'application/json' },
        body: '{}'
      })
      expect(api.status).toBe(421)
    })

    it('accepts the loopback names', async () => {
      for (const host of [`127.0.0.1:${server.port}`, `localhost:${server.port}`, `[::1]:${server.port}`, 'localhost']) {
        expect((await raw(server, { path: '/', headers: { host } })).status, host).toBe(200)
      }
    })

    it('parses Host headers strictly', () => {
      expect(isLoopbackHost('127.0.0.1:80')).toBe(true)
      expect(isLoopbackHost('LOCALHOST')).toBe(true)
      expect(isLoopbackHost('[::1]')).toBe(true)
      expect(isLoopbackHost('127.0.0.1.evil.example')).toBe(false)
      expect(isLoopbackHost('localhost.evil.example:80')).toBe(false)
      expect(isLoopbackHost('evil.example:127.0.0.1')).toBe(false)
      expect(isLoopbackHost(undefined)).toBe(false)
      expect(isLoopbackHost('')).toBe(false)
    })
  })

  describe('static files', () => {
    it('serves index.html with a strict CSP and assets with their type', async () => {
      const index = await raw(server, { path: '/' })
      expect(index.status).toBe(200)
      expect(index.body).toContain('<title>IMHI Workbench</title>')
      expect(index.headers['content-security-policy']).toContain("default-src 'self'")
      expect(index.headers['content-security-policy']).toContain("script-src 'self'")
      expect(index.headers['content-security-policy']).not.toMatch(/unsafe-eval/)
      expect(index.headers['x-content-type-options']).toBe('nosniff')
      const js = await raw(server, { path: '/assets/app.js' })
      expect(js.status).toBe(200)
      expect(js.headers['content-type']).toBe('text/javascript; charset=utf-8')
      expect(js.body).toBe('console.log("app")')
    })

    it('falls back to index.html for client routes, 404 for missing assets', async () => {
      const route = await raw(server, { path: '/browse/anything' })
      expect(route.status).toBe(200)
      expect(route.body).toContain('<div id="root">')
      const missing = await raw(server, { path: '/assets/missing.js' })
      expect(missing.status).toBe(404)
    })

    it('refuses path traversal', async () => {
      for (const path of ['/../secret.txt', '/%2e%2e/secret.txt', '/assets/..%2f..%2fsecret.txt', '/..%5csecret.txt', '/%2e%2e%2f%2e%2e%2fetc%2fpasswd']) {
        const r = await raw(server, { path })
        expect(r.body, path).not.toContain('outside the renderer folder')
        expect(r.body, path).not.toContain('root:')
        expect([200, 403, 404], path).toContain(r.status)
        if (r.status === 200) expect(r.body, path).toContain('<div id="root">')
      }
    })

    it('answers a malformed URL with 400 and keeps running', async () => {
      expect((await raw(server, { path: '/%E0%A4%A' })).status).toBe(400)
      expect((await raw(server, { path: '/a%00b' })).status).toBe(400)
      expect((await raw(server, { path: '/' })).status).toBe(200)
    })

    it('needs no token for the static app (it holds no data) and refuses other verbs', async () => {
      expect((await raw(server, { method: 'DELETE', path: '/' })).status).toBe(405)
    })
  })

  describe('WebSocket API', () => {
    const wsUrl = (token: string | null) => `ws://127.0.0.1:${server.port}/api/ws${token === null ? '' : `?token=${encodeURIComponent(token)}`}`

    it('refuses a connection without a token or with a wrong one', async () => {
      expect(await connect(wsUrl(null))).toEqual({ refused: 401 })
      expect(await connect(wsUrl('wrong'))).toEqual({ refused: 401 })
    })

    it('refuses a foreign Origin and a foreign Host', async () => {
      expect(await connect(wsUrl(server.token), { origin: 'http://evil.example' })).toEqual({ refused: 403 })
      expect(await connect(wsUrl(server.token), { host: 'evil.example' })).toEqual({ refused: 421 })
    })

    it('refuses other upgrade paths', async () => {
      expect(await connect(`ws://127.0.0.1:${server.port}/other?token=${server.token}`)).toEqual({ refused: 404 })
    })

    it('carries calls, errors and events for the owner', async () => {
      const c = await connect(wsUrl(server.token), { origin: `http://127.0.0.1:${server.port}` })
      if (!('ws' in c)) throw new Error(`refused ${c.refused}`)
      const ws = c.ws
      try {
        const info = await callWs(ws, 1, 'app.info', {})
        expect(info).toMatchObject({ type: 'result', id: 1, result: { role: 'owner', transport: 'serve' } })

        const unknown = await callWs(ws, 2, 'no.such', {})
        expect(unknown).toEqual({ type: 'error', id: 2, error: { code: 'unknown_method', message: 'Unknown API method "no.such".' } })

        const invalid = await callWs(ws, 3, 'imhi.item', { id: -4 })
        expect(invalid).toMatchObject({ type: 'error', id: 3, error: { code: 'invalid_input' } })
        expect((invalid as { error: { message: string } }).error.message).toMatch(/^Invalid input for imhi\.item: id:/)

        const event = new Promise<ServerMessage>((resolve) => ws.once('message', (d: Buffer) => resolve(JSON.parse(d.toString()) as ServerMessage)))
        services.events.broadcast('app.log', { level: 'info', message: 'hello' })
        expect(await event).toEqual({ type: 'event', event: 'app.log', payload: { level: 'info', message: 'hello' } })
      } finally {
        ws.close()
      }
    })

    it('answers malformed messages instead of dropping them', async () => {
      const c = await connect(wsUrl(server.token))
      if (!('ws' in c)) throw new Error(`refused ${c.refused}`)
      const next = () => new Promise<ServerMessage>((resolve) => c.ws.once('message', (d: Buffer) => resolve(JSON.parse(d.toString()) as ServerMessage)))
      try {
        let reply = next()
        c.ws.send('{oops')
        expect(await reply).toMatchObject({ type: 'error', id: 0, error: { code: 'invalid_input' } })
        reply = next()
        c.ws.send(JSON.stringify({ type: 'call', id: 9, method: 42 }))
        expect(await reply).toMatchObject({ type: 'error', id: 9, error: { code: 'invalid_input' } })
        // Still usable afterwards.
        expect(await callWs(c.ws, 10, 'app.info', {})).toMatchObject({ type: 'result', id: 10 })
      } finally {
        c.ws.close()
      }
    })

    it("keeps an annotator's WebSocket to annotator methods", async () => {
      const c = await connect(wsUrl(ANNOTATOR_TOKEN))
      if (!('ws' in c)) throw new Error(`refused ${c.refused}`)
      try {
        expect(await callWs(c.ws, 1, 'app.info', {})).toMatchObject({ type: 'result', result: { role: 'annotator', annotatorId: 7 } })
        expect(await callWs(c.ws, 2, 'imhi.search', {})).toEqual({
          type: 'error',
          id: 2,
          error: { code: 'forbidden', message: `An annotator's token may not call "imhi.search".` }
        })
      } finally {
        c.ws.close()
      }
    })

    it('closes a connection whose message is over the size limit', async () => {
      const c = await connect(wsUrl(server.token))
      if (!('ws' in c)) throw new Error(`refused ${c.refused}`)
      const code = await new Promise<number>((resolve) => {
        c.ws.once('close', (code) => resolve(code))
        c.ws.send(JSON.stringify({ type: 'call', id: 1, method: 'imhi.import', params: { path: 'x'.repeat(100 * 1024) } }))
      })
      expect(code).toBe(1009)
    })
  })

  it('refuses a short owner token, and survives a failing token lookup', async () => {
    await expect(startServer({ handlers: createHandlers(services), events: services.events, rendererDir, token: 'short' })).rejects.toThrow(/at least 16/)
    const flaky = await startServer({
      handlers: createHandlers(services),
      events: services.events,
      rendererDir,
      resolveToken: () => {
        throw new Error('database is locked')
      }
    })
    try {
      expect(await connect(`ws://127.0.0.1:${flaky.port}/api/ws?token=someone-else`)).toEqual({ refused: 401 })
      const r = await fetch(`http://127.0.0.1:${flaky.port}/api/call/app.info`, { method: 'POST', headers: { authorization: 'Bearer someone-else' } })
      expect(r.status).toBe(401)
      expect((await fetch(`http://127.0.0.1:${flaky.port}/api/call/app.info`, { method: 'POST', headers: { authorization: `Bearer ${flaky.token}` } })).status).toBe(200)
    } finally {
      await flaky.close()
    }
  })

  it('refuses to start when the renderer is not built', async () => {
    await expect(startServer({ handlers: createHandlers(services), events: services.events, rendererDir: join(dir, 'nope') })).rejects.toThrow(/npm run build/)
  })
})
