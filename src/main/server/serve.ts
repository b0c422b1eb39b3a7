import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import { randomBytes, randomUUID, timingSafeEqual } from 'node:crypto'
import { createReadStream, existsSync, statSync } from 'node:fs'
import { extname, join, normalize, resolve, sep } from 'node:path'
import type { AddressInfo } from 'node:net'
import { WebSocketServer, type WebSocket } from 'ws'
import { dispatch, type CallContext, type ClientInfo, type Handlers } from '../api/dispatch'
import type { EventHub } from '../api/events'
import { AppError } from '../../shared/api/errors'
import type { CallMessage, ServerMessage } from '../../shared/api/protocol'

export interface TokenIdentity {
  role: 'owner' | 'annotator'
  annotatorId: number | null
}

export interface ServeOptions {
  handlers: Handlers
  events: EventHub
  /** The built renderer (out/renderer). */
  rendererDir: string
  host?: string
  port?: number
  /** The owner's token; a random one when omitted. */
  token?: string
  /** Other tokens (an annotator's, on a LAN): returns who they belong to, or null. */
  resolveToken?: (token: string) => TokenIdentity | null
  /** Largest accepted request body / WebSocket message. */
  maxMessageBytes?: number
}

export interface RunningServer {
  url: string
  host: string
  port: number
  token: string
  close(): Promise<void>
}

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.woff': 'font/woff',
  '.ttf': 'font/ttf',
  '.map': 'application/json; charset=utf-8'
}

/** The same CSP as the Electron window, plus connect-src for this server's own WebSocket. */
export const SERVE_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; font-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'none'"

function safeEqual(a: string, b: string): boolean {
  const ab = Buffer.from(a)
  const bb = Buffer.from(b)
  return ab.length === bb.length && timingSafeEqual(ab, bb)
}

/**
 * `imhi serve`: the renderer as static files and the API over a WebSocket (and plain HTTP POST for
 * scripts). Bound to 127.0.0.1 unless the user names another host; every API request needs a token.
 */
export async function startServer(opts: ServeOptions): Promise<RunningServer> {
  const host = opts.host ?? '127.0.0.1'
  const token = opts.token ?? randomBytes(24).toString('base64url')
  const maxBytes = opts.maxMessageBytes ?? 16 * 1024 * 1024
  const rendererDir = resolve(opts.rendererDir)
  if (!existsSync(join(rendererDir, 'index.html'))) {
    throw new AppError('not_found', `The renderer is not built (${join(rendererDir, 'index.html')} is missing). Run "npm run build" first.`)
  }
  const loopback = host === '127.0.0.1' || host === 'localhost' || host === '::1'

  const identify = (candidate: string | null): TokenIdentity | null => {
    if (!candidate) return null
    if (safeEqual(candidate, token)) return { role: 'owner', annotatorId: null }
    return opts.resolveToken?.(candidate) ?? null
  }

  // DNS-rebinding guard: on loopback, only loopback Host headers are served.
  const hostAllowed = (req: IncomingMessage): boolean => {
    if (!loopback) return true
    const h = (req.headers.host ?? '').replace(/:\d+$/, '').replace(/^\[|\]$/g, '')
    return h === '127.0.0.1' || h === 'localhost' || h === '::1'
  }

  const tokenOf = (req: IncomingMessage, url: URL): string | null => {
    const auth = req.headers.authorization
    if (auth?.startsWith('Bearer ')) return auth.slice(7).trim()
    return url.searchParams.get('token')
  }

  const send = (res: ServerResponse, status: number, body: unknown): void => {
    const text = JSON.stringify(body)
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' })
    res.end(text)
  }

  const httpCall = async (req: IncomingMessage, res: ServerResponse, url: URL, method: string): Promise<void> => {
    const who = identify(tokenOf(req, url))
    if (!who) return send(res, 401, { error: { code: 'forbidden', message: 'Missing or wrong token.' } })
    const chunks: Buffer[] = []
    let size = 0
    for await (const chunk of req) {
      size += (chunk as Buffer).length
      if (size > maxBytes) return send(res, 413, { error: { code: 'invalid_input', message: `Request body over ${maxBytes} bytes.` } })
      chunks.push(chunk as Buffer)
    }
    let params: unknown = {}
    if (size > 0) {
      try {
        params = JSON.parse(Buffer.concat(chunks).toString('utf8'))
      } catch {
        return send(res, 400, { error: { code: 'invalid_input', message: 'The request body is not valid JSON.' } })
      }
    }
    const client: ClientInfo = { id: `http-${randomUUID()}`, transport: 'serve', ...who }
    const ctx: CallContext = { client, emit: () => {} }
    try {
      send(res, 200, { result: await dispatch(opts.handlers, method, params, ctx) })
    } catch (err) {
      const e = AppError.from(err)
      const status = e.code === 'forbidden' ? 403 : e.code === 'unknown_method' || e.code === 'not_found' ? 404 : e.code === 'internal' ? 500 : 400
      send(res, status, { error: e.toBody() })
    }
  }

  const serveStatic = (res: ServerResponse, pathname: string): void => {
    const rel = normalize(decodeURIComponent(pathname)).replace(/^([/\\])+/, '')
    let file = resolve(rendererDir, rel || 'index.html')
    if (file !== rendererDir && !file.startsWith(rendererDir + sep)) {
      res.writeHead(403).end()
      return
    }
    if (!existsSync(file) || !statSync(file).isFile()) file = join(rendererDir, 'index.html') // SPA fallback
    res.writeHead(200, {
      'content-type': MIME[extname(file)] ?? 'application/octet-stream',
      'content-security-policy': SERVE_CSP,
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
      'cache-control': file.endsWith('index.html') ? 'no-store' : 'max-age=3600'
    })
    createReadStream(file).pipe(res)
  }

  const server = createServer((req, res) => {
    if (!hostAllowed(req)) {
      res.writeHead(421).end('Misdirected request')
      return
    }
    const url = new URL(req.url ?? '/', 'http://localhost')
    if (url.pathname.startsWith('/api/call/') && req.method === 'POST') {
      void httpCall(req, res, url, url.pathname.slice('/api/call/'.length))
      return
    }
    if (url.pathname === '/api/health') return send(res, 200, { ok: true })
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405).end()
      return
    }
    serveStatic(res, url.pathname)
  })

  const wss = new WebSocketServer({ noServer: true, maxPayload: maxBytes })
  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', 'http://localhost')
    const who = identify(url.searchParams.get('token'))
    const origin = req.headers.origin
    const sameOrigin = !origin || origin === `http://${req.headers.host}`
    if (url.pathname !== '/api/ws' || !who || !hostAllowed(req) || !sameOrigin) {
      socket.write('HTTP/1.1 401 Unauthorized\r\nConnection: close\r\n\r\n')
      socket.destroy()
      return
    }
    wss.handleUpgrade(req, socket, head, (ws) => onConnection(ws, who))
  })

  const onConnection = (ws: WebSocket, who: TokenIdentity): void => {
    const client: ClientInfo = { id: `ws-${randomUUID()}`, transport: 'serve', ...who }
    const post = (msg: ServerMessage): void => {
      if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(msg))
    }
    const ctx: CallContext = { client, emit: (event, payload) => post({ type: 'event', event, payload }) }
    const unsubscribe = opts.events.subscribe((event, payload) => post({ type: 'event', event, payload }))
    ws.on('close', unsubscribe)
    ws.on('message', (data) => {
      let msg: CallMessage
      try {
        msg = JSON.parse(data.toString()) as CallMessage
      } catch {
        return
      }
      if (!msg || msg.type !== 'call' || typeof msg.id !== 'number' || typeof msg.method !== 'string') return
      dispatch(opts.handlers, msg.method, msg.params, ctx).then(
        (result) => post({ type: 'result', id: msg.id, result }),
        (err) => post({ type: 'error', id: msg.id, error: AppError.from(err).toBody() })
      )
    })
  }

  await new Promise<void>((resolvePromise, reject) => {
    server.once('error', reject)
    server.listen(opts.port ?? 0, host, () => {
      server.off('error', reject)
      resolvePromise()
    })
  })
  const port = (server.address() as AddressInfo).port
  const urlHost = host.includes(':') ? `[${host}]` : host
  return {
    url: `http://${urlHost}:${port}/?token=${encodeURIComponent(token)}`,
    host,
    port,
    token,
    close: () =>
      new Promise<void>((resolveClose) => {
        for (const ws of wss.clients) ws.terminate()
        wss.close()
        server.closeAllConnections?.()
        server.close(() => resolveClose())
      })
  }
}
