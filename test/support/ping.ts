import { performance } from 'node:perf_hooks'
import { WebSocket } from 'ws'
import type { ServerMessage } from '../../src/shared/api/protocol'

/** A WebSocket client of `imhi serve` that answers calls by id and keeps the events it hears. */
export async function wsClient(port: number, token: string) {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/api/ws?token=${encodeURIComponent(token)}`)
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve())
    ws.once('error', reject)
  })
  let nextId = 1
  const waiting = new Map<number, (msg: ServerMessage) => void>()
  const events: { event: string; payload: unknown }[] = []
  ws.on('message', (data) => {
    const msg = JSON.parse(String(data)) as ServerMessage
    if (msg.type === 'event') events.push({ event: msg.event, payload: msg.payload })
    else waiting.get(msg.id)?.(msg)
  })
  const call = (method: string, params: unknown = {}): Promise<ServerMessage> =>
    new Promise((resolve) => {
      const id = nextId++
      waiting.set(id, (msg) => {
        waiting.delete(id)
        resolve(msg)
      })
      ws.send(JSON.stringify({ type: 'call', id, method, params }))
    })
  return { ws, call, events, close: () => ws.close() }
}

export interface PingFigures {
  n: number
  p50: number
  p95: number
  max: number
}

export function figures(ms: number[]): PingFigures {
  const s = [...ms].sort((a, b) => a - b)
  const at = (p: number) => (s.length ? s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] : NaN)
  return { n: s.length, p50: at(50), p95: at(95), max: s.length ? s[s.length - 1] : NaN }
}

/**
 * Pings `imhi serve` while `job` runs, one ping after another with `gapMs` between: a cheap call
 * over the WebSocket (app.info: a round trip through the core lane) and a plain HTTP request
 * (/api/health: answered by the server's own thread). Returns the job's result and the latencies.
 */
export async function pingWhile<T>(port: number, token: string, job: Promise<T>, gapMs = 20): Promise<{ result: T; ws: number[]; http: number[] }> {
  const client = await wsClient(port, token)
  const ws: number[] = []
  const http: number[] = []
  let done = false
  const settled = job.finally(() => (done = true))
  const wsLoop = (async () => {
    while (!done) {
      const t0 = performance.now()
      const answer = await client.call('app.info')
      if (answer.type !== 'result') throw new Error(`ping failed: ${JSON.stringify(answer)}`)
      ws.push(performance.now() - t0)
      await new Promise((r) => setTimeout(r, gapMs))
    }
  })()
  const httpLoop = (async () => {
    while (!done) {
      const t0 = performance.now()
      const res = await fetch(`http://127.0.0.1:${port}/api/health`)
      await res.text()
      http.push(performance.now() - t0)
      await new Promise((r) => setTimeout(r, gapMs))
    }
  })()
  try {
    const result = await settled
    await Promise.all([wsLoop, httpLoop])
    return { result, ws, http }
  } finally {
    client.close()
  }
}
