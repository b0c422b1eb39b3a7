import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Socket } from 'node:net'
import { WebSocket } from 'ws'
import { startServer, type RunningServer } from '../../src/main/server/serve'
import { createHandlers } from '../../src/main/api/handlers'
import { testServices } from '../support/services'
import { tempDir } from '../support/tmp'
import { writeImhiFixture } from '../support/imhi-fixture'

// Defect 2: a WebSocket client that stops reading made the server queue every reply (167 MB ->
// 1.15 GB). Every outbound queue now has a bound; past it the client is told and disconnected,
// and the other clients carry on.

describe('bounded outbound queue per WebSocket client', () => {
  const s = testServices()
  const dir = tempDir()
  let server: RunningServer
  const BOUND = 256 * 1024

  beforeAll(async () => {
    await s.imhi.importPath(writeImhiFixture(dir))
    const rendererDir = join(dir, 'renderer')
    mkdirSync(rendererDir, { recursive: true })
    writeFileSync(join(rendererDir, 'index.html'), '<!doctype html>')
    server = await startServer({ handlers: createHandlers(s), events: s.events, rendererDir, port: 0, maxQueuedBytes: BOUND })
  })
  afterAll(() => server?.close())

  const open = (): Promise<WebSocket> =>
    new Promise((resolve, reject) => {
      const ws = new WebSocket(`ws://127.0.0.1:${server.port}/api/ws?token=${encodeURIComponent(server.token)}`)
      ws.once('open', () => resolve(ws))
      ws.once('error', reject)
    })

  it('a client that never reads is told (close 1008) and disconnected; a reading client is still answered', async () => {
    const stalled = await open()
    const socket = (stalled as unknown as { _socket: Socket })._socket
    socket.pause() // stops reading: the server's replies pile up
    const closed = new Promise<{ code: number; reason: string }>((resolve) => stalled.once('close', (code, reason) => resolve({ code, reason: String(reason) })))
    // 3,000 searches of every item: about 40 MB of answers if the server queued them all.
    const call = JSON.stringify({ type: 'call', id: 1, method: 'imhi.search', params: { limit: 1000 } })
    for (let i = 0; i < 3000; i++) stalled.send(call)
    await new Promise((r) => setTimeout(r, 1500))

    const rss = process.memoryUsage().rss
    // A reading client is answered as usual meanwhile.
    const good = await open()
    const answer = await new Promise<{ type: string }>((resolve) => {
      good.once('message', (d) => resolve(JSON.parse(String(d))))
      good.send(JSON.stringify({ type: 'call', id: 9, method: 'app.info', params: {} }))
    })
    expect(answer.type).toBe('result')
    good.close()

    socket.resume() // reads what was sent before the bound, then the close frame
    const { code, reason } = await closed
    expect(code).toBe(1008)
    expect(reason).toMatch(/(over 256 KB of unread messages|calls without reading the answers|did not read its answers for 10 s): disconnected/)
    // The queue was cut at the bound: far from the 40 MB the answers would take.
    expect(process.memoryUsage().rss - rss).toBeLessThan(64 * 1024 * 1024)
  }, 30_000)
})
