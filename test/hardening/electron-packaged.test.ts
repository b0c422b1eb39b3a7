import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { join } from 'node:path'
import { tempDir } from '../support/tmp'
import { settle } from '../support/electron-stand-in'

/**
 * Defect 10: a packaged app would load ELECTRON_RENDERER_URL if the environment set it (any page
 * would then run with the app's API). The same recording stand-in for 'electron' as
 * test/app/electron-main.test.ts, with app.isPackaged true and the variable set.
 */
const rec = await vi.hoisted(async () => (await import('../support/electron-stand-in')).createRecorder())
vi.mock('electron', async () => (await import('../support/electron-stand-in')).electronModule(rec, { isPackaged: true }))

describe('a packaged app ignores ELECTRON_RENDERER_URL', () => {
  const dir = tempDir()
  beforeAll(async () => {
    rec.userData = dir
    process.env.IMHI_DB = join(dir, 'packaged.db')
    process.env.ELECTRON_RENDERER_URL = 'http://evil.example:5173/'
    await import('../../src/main/electron/index')
    await settle(rec)
  })
  afterAll(async () => {
    rec.appHandlers.get('will-quit')?.()
    await new Promise((r) => setTimeout(r, 50))
    delete process.env.IMHI_DB
    delete process.env.ELECTRON_RENDERER_URL
  })

  it('loads the built page from disk, never the URL from the environment, and keeps the CSP header', () => {
    expect(rec.windows).toHaveLength(1)
    expect(rec.urls).toEqual([])
    expect(rec.windows[0].loaded[0]).toMatch(/renderer[\\/]index\.html$/)
    expect(rec.headers).not.toBeNull()
  })
})
