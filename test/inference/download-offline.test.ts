// A download that never started (offline, nothing answering) says so instead of "broke off ... start it
// again to resume", and a finished download can be dismissed from the list.
import { describe, expect, it } from 'vitest'
import { createServer as createTcpServer, type AddressInfo } from 'node:net'
import { createServer, type Server } from 'node:http'
import { testServices } from '../support/services'
import { tinyGguf } from '../support/tiny-gguf'

/** A port with nothing listening on it (bound, then closed). */
async function deadPort(): Promise<number> {
  const s = createTcpServer()
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()))
  const port = (s.address() as AddressInfo).port
  await new Promise<void>((r) => s.close(() => r()))
  return port
}

describe('a download that never started', () => {
  // The downloader retries a refused connection; the stall watchdog ends it (shortened here).
  process.env.IMHI_DOWNLOAD_STALL_MS = '1500'
  const s = testServices('download-offline.db')
  delete process.env.IMHI_DOWNLOAD_STALL_MS

  it('says it could not start (not "broke off", not "resume"), and can be dismissed', async () => {
    const uri = `http://127.0.0.1:${await deadPort()}/model.gguf`
    const d = await s.inference.download({ uri })
    const end = await s.inference.waitForDownload(d.downloadId)
    expect(end.status).toBe('failed')
    expect(end.error).toMatch(new RegExp(`^The download of ${uri.replace(/[./:]/g, '\\$&')} could not start: .+\\. Check that this computer is online.*, then start it again\\.$`))
    expect(end.error).not.toMatch(/broke off|resume/)
    expect(s.inference.status().downloads.map((x) => x.downloadId)).toContain(d.downloadId)

    expect(s.inference.dismissDownload(d.downloadId)).toEqual({ dismissed: d.downloadId })
    expect(s.inference.status().downloads.map((x) => x.downloadId)).not.toContain(d.downloadId)
    expect(() => s.inference.dismissDownload(d.downloadId)).toThrow(expect.objectContaining({ code: 'not_found' }))
  }, 60_000)

  it('a server that accepts but never sends a byte: "could not start: no answer in N s"', async () => {
    process.env.IMHI_DOWNLOAD_STALL_MS = '1500'
    const t = testServices('download-silent.db')
    delete process.env.IMHI_DOWNLOAD_STALL_MS
    const server: Server = createServer(() => {
      /* never answers */
    })
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()))
    try {
      const uri = `http://127.0.0.1:${(server.address() as AddressInfo).port}/silent.gguf`
      const d = await t.inference.download({ uri })
      // Still running: dismissing is refused, cancelling is the way.
      expect(() => t.inference.dismissDownload(d.downloadId)).toThrow(expect.objectContaining({ code: 'conflict' }))
      const end = await t.inference.waitForDownload(d.downloadId)
      expect(end.status).toBe('failed')
      expect(end.error).toMatch(/could not start: no answer in 2 s\. Check that this computer is online, then start it again\.$/)
    } finally {
      server.closeAllConnections()
      server.close()
    }
  }, 60_000)

  it('a download that did send bytes and then stopped still says "broke off ... resume"', async () => {
    process.env.IMHI_DOWNLOAD_STALL_MS = '1500'
    const t = testServices('download-partial.db')
    delete process.env.IMHI_DOWNLOAD_STALL_MS
    const body = tinyGguf()
    const server: Server = createServer((req, res) => {
      res.writeHead(200, { 'Content-Length': String(body.length), 'Content-Type': 'application/octet-stream' })
      if (req.method === 'HEAD') return res.end()
      res.write(body.subarray(0, 20_000))
    })
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()))
    try {
      const d = await t.inference.download({ uri: `http://127.0.0.1:${(server.address() as AddressInfo).port}/partial.gguf` })
      const end = await t.inference.waitForDownload(d.downloadId)
      expect(end.status).toBe('failed')
      expect(end.error).toMatch(/broke off after .* MiB.*Start it again to resume/)
    } finally {
      server.closeAllConnections()
      server.close()
    }
  }, 60_000)
})
