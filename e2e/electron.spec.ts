import { _electron as electron, type ElectronApplication } from '@playwright/test'
import { existsSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { test, expect, imhi, tempDir, ROOT, SCREENSHOTS } from './fixtures'
import { writeImhiFixture, IMHI_FIXTURE } from '../test/support/imhi-fixture'

/**
 * The desktop app itself, driven by Playwright's Electron support. Needs Electron's binary
 * (skipped under ELECTRON_SKIP_BINARY_DOWNLOAD), the built app (npm run build) and better-sqlite3
 * built for Electron's ABI (npm run rebuild:electron).
 */
function electronBinary(): string | null {
  try {
    const require = createRequire(join(ROOT, 'package.json'))
    const dir = dirname(require.resolve('electron/package.json'))
    const pathFile = join(dir, 'path.txt')
    if (!existsSync(pathFile)) return null
    const bin = join(dir, 'dist', readFileSync(pathFile, 'utf8').trim())
    return existsSync(bin) ? bin : null
  } catch {
    return null
  }
}

const binary = electronBinary()
const mainEntry = join(ROOT, 'out', 'main', 'index.js')
const sqliteForElectron = join(ROOT, 'build-electron', 'better_sqlite3.node')
const skipReason = !binary
  ? "Electron's binary is not installed (ELECTRON_SKIP_BINARY_DOWNLOAD, or no network for its download): the Electron e2e is skipped; the same renderer is tested in Chromium by browse.spec.ts"
  : !existsSync(mainEntry)
    ? `${mainEntry} is missing: run "npm run build" first`
    : !existsSync(sqliteForElectron)
      ? `${sqliteForElectron} is missing: run "npm run rebuild:electron" (needs network for Electron's headers or a prebuilt binary)`
      : null
if (skipReason) console.log(`electron e2e: skipped: ${skipReason}`)

test.describe('the Electron app', () => {
  test.skip(skipReason !== null, skipReason ?? '')

  let app: ElectronApplication
  let dbFile: string

  test.beforeAll(async () => {
    const dir = tempDir()
    dbFile = join(dir, 'electron.db')
    const root = writeImhiFixture(dir)
    imhi(['import', root, '--db', dbFile, '--json'])
    app = await electron.launch({
      executablePath: binary!,
      args: [mainEntry],
      env: { ...process.env, IMHI_DB: dbFile, ELECTRON_ENABLE_LOGGING: '1' }
    })
  })
  test.afterAll(async () => {
    await app?.close()
  })

  test('opens the workbench on the database, behind the notice', async () => {
    const page = await app.firstWindow()
    await expect(page.getByRole('dialog', { name: 'Research use only' })).toBeVisible()
    await page.getByTestId('notice-ack').click()
    await expect(page.getByTestId('result-count')).toHaveText(`${IMHI_FIXTURE.items} items`)
    await page.screenshot({ path: join(SCREENSHOTS, 'electron.png') })
  })

  test('gives the page no Node, only the two-function bridge', async () => {
    const page = await app.firstWindow()
    const probe = await page.evaluate(() => ({
      require: typeof (window as unknown as { require?: unknown }).require,
      process: typeof (window as unknown as { process?: unknown }).process,
      bridge: Object.keys((window as unknown as { imhiBridge: object }).imhiBridge).sort()
    }))
    expect(probe).toEqual({ require: 'undefined', process: 'undefined', bridge: ['call', 'onEvent'] })
  })

  test('validates IPC payloads in the main process', async () => {
    const page = await app.firstWindow()
    const reply = await page.evaluate(() =>
      (window as unknown as { imhiBridge: { call(m: unknown): Promise<unknown> } }).imhiBridge.call({ type: 'call', id: 1, method: 'imhi.item', params: { id: 'x' } })
    )
    expect(reply).toMatchObject({ type: 'error', id: 1, error: { code: 'invalid_input' } })
    const info = await page.evaluate(() =>
      (window as unknown as { imhiBridge: { call(m: unknown): Promise<unknown> } }).imhiBridge.call({ type: 'call', id: 2, method: 'app.info', params: {} })
    )
    expect(info).toMatchObject({ type: 'result', id: 2, result: { transport: 'electron', canPickFolder: true, dbFile } })
  })

  test('blocks navigation away from the app and new windows', async () => {
    const page = await app.firstWindow()
    const before = page.url()
    await page.evaluate(() => {
      window.location.href = 'https://example.com/'
    })
    await page.waitForTimeout(500)
    expect(page.url().split('#')[0]).toBe(before.split('#')[0])
    const opened = await page.evaluate(() => window.open('https://example.com/') === null)
    expect(opened).toBe(true)
    expect(app.windows()).toHaveLength(1)
  })
})
