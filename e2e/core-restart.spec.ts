import { test, expect, chromium } from '@playwright/test'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { CHROMIUM_ARGS, CHROMIUM_PATH, ROOT, SCREENSHOTS } from './fixtures'
import { startServer, type RunningServer } from '../src/main/server/serve'
import { CoreHost } from '../src/main/core/host'
import { threadLanes } from '../src/main/core/thread-lanes'
import { writeImhiFixture } from '../test/support/imhi-fixture'

/**
 * The core's jobs lane dies while an import runs (here: this test kills its worker thread, as a
 * crash would): the owner's tab says so, then that it is back and what to do; the page keeps
 * working and the import, started again, completes.
 */
test('a core lane that dies mid-import: the tab says so, it comes back, the import completes', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'imhi-e2e-core-'))
  const dbFile = join(dir, 'core.db')
  const host = new CoreHost({ spawn: threadLanes({ dbFile, dataDir: dir, transport: 'serve', version: 'e2e' }), dbFile })
  let server: RunningServer | null = null
  const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS })
  try {
    await host.start()
    server = await startServer({ backend: host, rendererDir: join(ROOT, 'out', 'renderer'), port: 0 })
    const page = await browser.newPage({ viewport: { width: 1300, height: 700 } })
    await page.goto(server.url)
    await page.getByTestId('notice-ack').click()
    const fixture = writeImhiFixture(join(dir, 'imhi'))
    const owner = { client: { id: 'e2e', transport: 'serve' as const, role: 'owner' as const, annotatorId: null }, emit: () => {} }
    const importing = host.call('imhi.import', { path: fixture }, owner).catch((e: Error) => e)
    host.kill('jobs')
    expect(((await importing) as Error).message).toMatch(/jobs lane stopped .* while running imhi\.import/)

    const banner = page.getByTestId('core-status')
    await expect(banner).toContainText(/stopped|was restarted/)
    await expect(banner).toContainText('was restarted', { timeout: 30_000 })
    await expect(banner).toContainText('start it again to resume')
    await page.screenshot({ path: join(SCREENSHOTS, 'core-restarted.png') })
    await page.getByRole('button', { name: 'Dismiss' }).click()
    await expect(banner).toHaveCount(0)

    // Started again from the page: it completes and the items are there.
    await page.getByPlaceholder('/data/MentalLLaMA').fill(fixture)
    await page.getByRole('button', { name: 'Import', exact: true }).click()
    await expect(page.getByTestId('item-total')).toBeVisible({ timeout: 30_000 })
  } finally {
    await browser.close()
    await server?.close()
    await host.close()
    rmSync(dir, { recursive: true, force: true })
  }
})
