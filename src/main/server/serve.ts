import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import { randomBytes, randomUUID, timingSafeEqual } from 'node:crypto'
import { createReadStream, existsSync } from 'node:fs'
import { checkRegularFileSync, openRegularFileSync } from '../files/regular'
import { extname, join, normalize, resolve, sep } from 'node:path'
import type { AddressInfo } from 'node:net'
import { WebSocketServer, type WebSocket } from 'ws'
import type { CallContext, ClientInfo, Handlers } from '../api/dispatch'
import type { EventHub } from '../api/events'
import { inProcessBackend, type ApiBackend, type OnHeld, type TokenIdentity } from '../api/backend'
import { AppError } from '../../shared/api/errors'
import type { CallMessage, ServerMessage } from '../../shared/api/protocol'
import { parseCall } from '../../shared/api/rpc'
import { SERVE_CSP } from '../../shared/api/csp'
import { sendOpenAiError } from './openai-api'

export type { TokenIdentity }
export { SERVE_CSP }

export type ServeOptions = ServeCommonOptions &
  (
    | {
        /** The services' own thread(s) (core/host.ts): `imhi serve`. */
        backend: ApiBackend
      }
    | {
        /** The services in this thread (tests, the old layout in the benchmark). */
        handlers: Handlers
        events: EventHub
        /** Other tokens (an annotator's, on a LAN): returns who they belong to, or null. */
        resolveToken?: (token: string) => TokenIdentity | null
      }
  )

interface ServeCommonOptions {
  /** The built renderer (out/renderer). */
  rendererDir: string
  host?: string
  port?: number
  /** The owner's token; a random one when omitted. */
  token?: string
  /** Largest accepted request body / WebSocket message. */
  maxMessageBytes?: number
  /**
   * The OpenAI-compatible endpoints under /v1/ (`imhi serve --engine`), for the owner token only.
   * Without them /v1/ answers 404.
   */
  openAiApi?: (req: IncomingMessage, res: ServerResponse, url: URL) => boolean
  /** Serve the API (and /v1/) even when the renderer is not built: a headless engine box. */
  allowMissingRenderer?: boolean
  /**
   * Most bytes of answers and events waiting to be sent to one WebSocket client. A client that
   * stops reading is told (close 1008) and disconnected past it, instead of growing the server's
   * memory without end.
   */
  maxQueuedBytes?: number
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

function isLoopbackName(name: string): boolean {
  return name === '127.0.0.1' || name === 'localhost' || name === '::1'
}

/** The Host header's name part ("127.0.0.1:7860", "[::1]:80", "localhost") is a loopback name. */
export function isLoopbackHost(hostHeader: string | undefined): boolean {
  if (!hostHeader) return false
  const m = /^(\[[^\]]+\]|[^:]+)(?::\d+)?$/.exec(hostHeader)
  if (!m) return false
  return isLoopbackName(m[1].replace(/^\[|\]$/g, '').toLowerCase())
}

/** The whole request body, or null as soon as it is over `max` bytes. */
function readBody(req: IncomingMessage, max: number): Promise<Buffer | null> {
  return new Promise((resolveBody, reject) => {
    if (Number(req.headers['content-length'] ?? 0) > max) return resolveBody(null)
    const chunks: Buffer[] = []
    let size = 0
    const onData = (chunk: Buffer): void => {
      size += chunk.length
      if (size > max) {
        req.off('data', onData)
        req.pause()
        resolveBody(null)
        return
      }
      chunks.push(chunk)
    }
    req.on('data', onData)
    req.once('end', () => resolveBody(Buffer.concat(chunks)))
    req.once('error', reject)
  })
}

/** The renderer's largest asset is a few MB; anything bigger (or not a regular file) is not served. */
const MAX_STATIC_BYTES = 64 * 1024 * 1024

function isServableFile(file: string): boolean {
  try {
    checkRegularFileSync(file, { maxBytes: MAX_STATIC_BYTES })
    return true
  } catch {
    return false
  }
}

/** 32 MiB: a few hundred pages of search results; a reading client never comes near it. */
export const DEFAULT_MAX_QUEUED_BYTES = 32 * 1024 * 1024
/** Answers unread beyond this hold back the client's next calls (not the other clients'). */
const SOFT_QUEUED_BYTES = 1024 * 1024
/** Calls of one client running at once (a streamed generation is one of them). */
const MAX_IN_FLIGHT = 8
/** Calls of one client waiting to start; more is a client that does not read: disconnected. */
const MAX_PENDING = 1024
/** A client whose unread answers hold back its calls this long is disconnected. */
const STALL_MS = 10_000
/**
 * One client may keep the event loop that answers the short calls busy for at most this share of
 * the time once it has used its allowance: beyond it, its next call waits (others' calls go first).
 * Ordinary use (searches of a few ms, ratings) never comes near it; a client firing 1,000-result
 * searches does. That loop is this thread's with the in-process backend, the core lane's through
 * the lanes (core/host.ts); the jobs lane's time is not charged (see `charge` in onConnection).
 */
const FAIR_SHARE = 0.25
const DEBT_ALLOWANCE_MS = 250
/** How long a client past the bound gets to read the close frame before its socket is cut. */
const OVERFLOW_GRACE_MS = 2_000

function bytes(n: number): string {
  return n >= 1048576 ? `${(n / 1048576).toFixed(1)} MB` : `${Math.round(n / 1024)} KB`
}

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
  const maxQueued = opts.maxQueuedBytes ?? DEFAULT_MAX_QUEUED_BYTES
  const rendererDir = resolve(opts.rendererDir)
  const hasRenderer = existsSync(join(rendererDir, 'index.html'))
  if (!hasRenderer && !opts.allowMissingRenderer) {
    throw new AppError('not_found', `The renderer is not built (${join(rendererDir, 'index.html')} is missing). Run "npm run build" first.`)
  }
  const loopback = isLoopbackName(host)
  const backend: ApiBackend = 'backend' in opts ? opts.backend : inProcessBackend(opts.handlers, opts.events, opts.resolveToken)

  if (opts.token !== undefined && opts.token.length < 16) {
    throw new AppError('invalid_input', 'The owner token must be at least 16 characters (leave --token out for a random one).')
  }

  const identify = async (candidate: string | null): Promise<TokenIdentity | null> => {
    if (!candidate) return null
    if (safeEqual(candidate, token)) return { role: 'owner', annotatorId: null }
    try {
      return (await backend.resolveToken(candidate)) ?? null
    } catch (err) {
      // A failing lookup (database busy, ...) refuses the request; it must not take the server down.
      console.error('imhi serve: token lookup failed:', err)
      return null
    }
  }

  // DNS-rebinding guard: on loopback, only loopback Host headers are served (a page on
  // evil.example that resolves its name to 127.0.0.1 sends Host: evil.example).
  const hostAllowed = (req: IncomingMessage): boolean => {
    if (!loopback) return true
    return isLoopbackHost(req.headers.host)
  }

  // A browser page from another origin may not drive the API (CSRF / cross-site WebSocket
  // hijacking); scripts without an Origin header (curl, the CLI) still need the token.
  const originAllowed = (req: IncomingMessage): boolean => {
    const origin = req.headers.origin
    if (origin === undefined) return true
    return origin === `http://${req.headers.host}` || origin === `https://${req.headers.host}`
  }

  const tokenOf = (req: IncomingMessage, url: URL): string | null => {
    const auth = req.headers.authorization
    if (auth?.startsWith('Bearer ')) return auth.slice(7).trim()
    return url.searchParams.get('token')
  }
  // HTTP calls take the token only in the Authorization header: a URL ends up in logs and
  // histories. (The WebSocket upgrade keeps ?token=: a browser cannot set headers on it.)
  const headerToken = (req: IncomingMessage): string | null => {
    const auth = req.headers.authorization
    return auth?.startsWith('Bearer ') ? auth.slice(7).trim() : null
  }

  const send = (res: ServerResponse, status: number, body: unknown): void => {
    const text = JSON.stringify(body)
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' })
    res.end(text)
  }

  const httpCall = async (req: IncomingMessage, res: ServerResponse, url: URL, method: string): Promise<void> => {
    if (!originAllowed(req)) return send(res, 403, { error: { code: 'forbidden', message: 'Cross-origin API requests are refused.' } })
    if (url.searchParams.has('token')) {
      return send(res, 401, { error: { code: 'forbidden', message: 'Send the token in the Authorization header (Bearer), not in the URL: URLs end up in logs.' } })
    }
    const who = await identify(headerToken(req))
    if (!who) return send(res, 401, { error: { code: 'forbidden', message: 'Missing or wrong token.' } })
    const body = await readBody(req, maxBytes)
    if (body === null) {
      // Answer, then drop the connection rather than read the rest of an oversized body.
      res.setHeader('connection', 'close')
      res.once('finish', () => req.destroy())
      return send(res, 413, { error: { code: 'invalid_input', message: `Request body over ${maxBytes} bytes.` } })
    }
    let params: unknown = {}
    if (body.length > 0) {
      try {
        params = JSON.parse(body.toString('utf8'))
      } catch {
        return send(res, 400, { error: { code: 'invalid_input', message: 'The request body is not valid JSON.' } })
      }
    }
    const client: ClientInfo = { id: `http-${randomUUID()}`, transport: 'serve', ...who }
    const ctx: CallContext = { client, emit: () => {} }
    try {
      send(res, 200, { result: await backend.call(method, params, ctx) })
    } catch (err) {
      const e = AppError.from(err)
      if (e.code === 'internal') console.error(`imhi serve: ${method} failed:`, err)
      const status = e.code === 'forbidden' ? 403 : e.code === 'unknown_method' || e.code === 'not_found' ? 404 : e.code === 'internal' ? 500 : 400
      send(res, status, { error: e.toBody() })
    }
  }

  const serveStatic = (req: IncomingMessage, res: ServerResponse, pathname: string): void => {
    let decoded: string
    try {
      decoded = decodeURIComponent(pathname)
    } catch {
      res.writeHead(400).end('Bad request')
      return
    }
    if (decoded.includes('\0')) {
      res.writeHead(400).end('Bad request')
      return
    }
    const rel = normalize(decoded).replace(/^([/\\])+/, '')
    let file = resolve(rendererDir, rel || 'index.html')
    if (file !== rendererDir && !file.startsWith(rendererDir + sep)) {
      res.writeHead(403).end('Forbidden')
      return
    }
    if (!isServableFile(file)) {
      // A missing asset is a 404; any other path is a client-side route (SPA fallback).
      if (extname(file) !== '') {
        res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('Not found')
        return
      }
      file = join(rendererDir, 'index.html')
    }
    res.writeHead(200, {
      'content-type': MIME[extname(file)] ?? 'application/octet-stream',
      'content-security-policy': SERVE_CSP,
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
      'x-frame-options': 'DENY',
      'cache-control': file.endsWith('index.html') ? 'no-store' : 'max-age=3600'
    })
    if (req.method === 'HEAD') {
      res.end()
      return
    }
    let fd: number
    try {
      fd = openRegularFileSync(file, { maxBytes: MAX_STATIC_BYTES }).fd
    } catch {
      res.end()
      return
    }
    createReadStream(file, { fd }).pipe(res)
  }

  // A client that sends its headers slowly (or never) is cut after 10 s instead of Node's 60 s
  // (checked every 2 s, not every 30 s), and a whole request gets 60 s: slow-header connections
  // cannot pile up.
  const server = createServer({ headersTimeout: 10_000, requestTimeout: 60_000, connectionsCheckingInterval: 2_000 }, (req, res) => {
    if (!hostAllowed(req)) {
      res.writeHead(421, { 'content-type': 'text/plain; charset=utf-8' }).end('Misdirected request: unknown Host header')
      return
    }
    let url: URL
    try {
      url = new URL(req.url ?? '/', 'http://localhost')
    } catch {
      res.writeHead(400).end('Bad request')
      return
    }
    if (url.pathname.startsWith('/api/call/') && req.method === 'POST') {
      httpCall(req, res, url, url.pathname.slice('/api/call/'.length)).catch(() => {
        // The client went away mid-request: nothing to answer.
        if (!res.headersSent) res.writeHead(400).end()
        req.destroy()
      })
      return
    }
    if (url.pathname === '/v1' || url.pathname.startsWith('/v1/')) {
      if (!originAllowed(req)) return sendOpenAiError(res, 403, 'Cross-origin requests are refused.')
      // The owner's token is checked here at once; only an annotator's needs the core.
      const candidate = tokenOf(req, url)
      const owner = candidate !== null && safeEqual(candidate, token)
      if (!owner) return sendOpenAiError(res, 401, 'Missing or wrong API key: send the serve token as the bearer token.', 'invalid_api_key')
      if (!opts.openAiApi?.(req, res, url)) {
        sendOpenAiError(res, 404, `No such endpoint: ${req.method} ${url.pathname}${opts.openAiApi ? '' : ' (start imhi serve with --engine MODEL to answer the OpenAI-compatible API)'}.`)
      }
      return
    }
    if (url.pathname === '/api/health') return send(res, 200, { ok: true })
    if (url.pathname.startsWith('/api/')) return send(res, req.method === 'POST' ? 404 : 405, { error: { code: 'unknown_method', message: `No such API endpoint: ${req.method} ${url.pathname}` } })
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405).end()
      return
    }
    if (!hasRenderer) {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('The renderer is not built (npm run build); this server answers the API only.')
      return
    }
    serveStatic(req, res, url.pathname)
  })

  const wss = new WebSocketServer({ noServer: true, maxPayload: maxBytes })
  server.on('upgrade', (req, socket, head) => {
    const refuse = (status: string): void => {
      socket.write(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`)
      socket.destroy()
    }
    let url: URL
    try {
      url = new URL(req.url ?? '/', 'http://localhost')
    } catch {
      return refuse('400 Bad Request')
    }
    if (url.pathname !== '/api/ws') return refuse('404 Not Found')
    if (!hostAllowed(req)) return refuse('421 Misdirected Request')
    if (!originAllowed(req)) return refuse('403 Forbidden')
    // The socket may close while an annotator's token is looked up: nothing is upgraded then.
    socket.on('error', () => socket.destroy())
    identify(tokenOf(req, url)).then(
      (who) => {
        if (socket.destroyed) return
        if (!who) return refuse('401 Unauthorized')
        wss.handleUpgrade(req, socket, head, (ws) => onConnection(ws, who))
      },
      () => refuse('401 Unauthorized')
    )
  })

  const onConnection = (ws: WebSocket, who: TokenIdentity): void => {
    const client: ClientInfo = { id: `ws-${randomUUID()}`, transport: 'serve', ...who }
    let overflowed = false
    const overflow = (why: string): void => {
      if (overflowed) return
      overflowed = true
      pending.length = 0
      console.error(`imhi serve: ${client.role === 'owner' ? "the owner's" : `annotator ${client.annotatorId}'s`} WebSocket ${why}; disconnected.`)
      // Told (the close frame goes after what is queued), then cut if it still does not read.
      ws.close(1008, `${why}: disconnected`.slice(0, 120))
      setTimeout(() => ws.terminate(), OVERFLOW_GRACE_MS).unref()
    }
    // Every answer and event goes through here: a bounded outbound queue per client.
    const post = (msg: ServerMessage): void => {
      if (overflowed || ws.readyState !== ws.OPEN) return
      if (ws.bufferedAmount > maxQueued) return overflow(`left over ${bytes(maxQueued)} of unread messages`)
      ws.send(JSON.stringify(msg))
    }

    // Calls are taken in turn: at most MAX_IN_FLIGHT at once per client, none started while the
    // client has not read what it was sent (so a client that stops reading stops costing work),
    // and at most MAX_PENDING waiting. One greedy client thus cannot starve the others.
    const pending: CallMessage[] = []
    let inFlight = 0
    let stalledSince: number | null = null
    let retry: NodeJS.Timeout | null = null
    let debt = 0
    let debtAt = performance.now()
    /** Pays back what the time since the last look allows (FAIR_SHARE of it), then adds `ms`. */
    const charge = (ms: number): void => {
      const now = performance.now()
      debt = Math.max(0, debt - (now - debtAt) * FAIR_SHARE) + ms
      debtAt = now
    }
    /**
     * What this client's last core-lane call held (0 in one thread, where each call is charged as
     * it runs): the guess for its calls still in a lane, so that near its allowance it starts one
     * call at a time, as in one thread, rather than MAX_IN_FLIGHT at once before their time is known.
     */
    let lastHeld = 0
    /**
     * What the lanes report: the core lane's time is the shared time every client's short calls
     * wait for, so it is charged when the answer arrives. The jobs lane's is not: an import or a
     * training holds its own lane for seconds to minutes, and charging that would hold back this
     * client's searches and ratings for four times as long, although they never wait for that lane.
     * A client's jobs are bounded instead by MAX_IN_FLIGHT (and each job service runs one job of a
     * kind at a time), and that lane runs at a lower CPU priority (core/priority.ts).
     */
    const onHeld: OnHeld = (heldMs, lane) => {
      if (lane !== 'core') return
      charge(heldMs)
      lastHeld = heldMs
    }
    const pump = (): void => {
      while (!overflowed && pending.length > 0 && inFlight < MAX_IN_FLIGHT) {
        if (ws.bufferedAmount > SOFT_QUEUED_BYTES) {
          stalledSince ??= Date.now()
          if (Date.now() - stalledSince > STALL_MS) return overflow(`did not read its answers for ${STALL_MS / 1000} s`)
          retry ??= setTimeout(() => {
            retry = null
            pump()
          }, 25)
          return
        }
        stalledSince = null
        // Fair share: a client whose calls kept the event loop busy waits its turn.
        charge(0)
        const owed = debt + inFlight * lastHeld
        if (owed > DEBT_ALLOWANCE_MS) {
          // Calls in flight wake it up too, when their answer comes.
          retry ??= setTimeout(() => {
            retry = null
            pump()
          }, Math.ceil((owed - DEBT_ALLOWANCE_MS) / FAIR_SHARE))
          return
        }
        const msg = pending.shift()!
        inFlight++
        const t0 = performance.now()
        const answer = backend.call(msg.method, msg.params, ctx, onHeld)
        // In this thread (the in-process backend) the synchronous part of a call (a search, a
        // rating) is the event loop time it took. Through the lanes it only posts the call; the
        // lane's own time comes with the answer (onHeld).
        charge(performance.now() - t0)
        answer
          .then(
            (result) => post({ type: 'result', id: msg.id, result }),
            (err) => post({ type: 'error', id: msg.id, error: AppError.from(err).toBody() })
          )
          .finally(() => {
            inFlight--
            // Yield to the other connections between this client's calls.
            setImmediate(pump)
          })
      }
    }
    ws.on('close', () => {
      if (retry) clearTimeout(retry)
      pending.length = 0
    })

    // The backend applies api/audience.ts to what it emits to this caller.
    const ctx: CallContext = { client, emit: (event, payload) => post({ type: 'event', event, payload }) }
    // Addressed by role and study: an annotator's socket hears only what api/audience.ts allows.
    const unsubscribe = backend.subscribe(client, (event, payload) => post({ type: 'event', event, payload }))
    ws.on('close', unsubscribe)
    // An oversized or malformed frame: ws closes the socket (1009/1002); without this listener the
    // error would be thrown and take the whole server down.
    ws.on('error', () => ws.terminate())
    ws.on('message', (data) => {
      if (overflowed) return
      let data_: unknown
      try {
        data_ = JSON.parse(data.toString())
      } catch {
        post({ type: 'error', id: 0, error: { code: 'invalid_input', message: 'The message is not valid JSON.' } })
        return
      }
      // The envelope's shape only (a browser's `as` is dropped); the dispatcher checks the rest.
      const parsed = parseCall(data_)
      if (!parsed.ok) {
        post({ type: 'error', id: parsed.id, error: { code: 'invalid_input', message: parsed.message } })
        return
      }
      const msg = parsed.call
      if (pending.length >= MAX_PENDING) return overflow(`sent over ${MAX_PENDING} calls without reading the answers`)
      pending.push(msg)
      pump()
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
