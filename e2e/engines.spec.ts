import { join } from 'node:path'
import type { ChildProcess } from 'node:child_process'
import { test, expect, imhi, ROOT, SCREENSHOTS, tempDir } from './fixtures'
import { writeImhiFixture } from '../test/support/imhi-fixture'
import { writeTinyGguf } from '../test/support/tiny-gguf'
import { spawnServe } from '../test/support/serve-process'

// A remote server registered from the Models page, chosen for a run and for one post; the warning
// before posts leave the machine. The "remote" server is a second `imhi serve --engine` on 127.0.0.1.
// Set before the fixtures start the UI server, which reads the key from its environment.
const ENGINE_TOKEN = 'e2e-engine-token-0123456789abcdef'
process.env.IMHI_E2E_ENGINE_KEY = ENGINE_TOKEN

test('register a server, send a run to it after the warning, generate one post on it', async ({ serve, appPage: page }) => {
  const dir = tempDir('imhi-e2e-engine-')
  const model = writeTinyGguf(join(dir, 'remote-tiny.gguf'), { contextLength: 1024 })
  let engine: { url: string; process: ChildProcess } | null = null
  try {
    engine = await spawnServe(ROOT, ['--db', join(dir, 'engine.db'), '--port', '0', '--token', ENGINE_TOKEN, '--engine', model, '--engine-parallel', '4'])
    const port = new URL(engine.url).port
    imhi(['import', writeImhiFixture(serve.dir), '--db', serve.dbFile])

    await page.goto(`${serve.url}#/models`)
    await page.reload()
    await page.getByTestId('notice-ack').click()
    const form = page.getByTestId('engine-form')
    await form.getByTestId('engine-name').fill('gpu-box')
    await form.getByTestId('engine-url').fill(`http://127.0.0.1:${port}`)
    await form.getByTestId('engine-key-env').fill('IMHI_E2E_ENGINE_KEY')
    await form.getByTestId('engine-add').click()
    const table = page.getByTestId('servers-table')
    await expect(table).toContainText('gpu-box')
    await expect(table).toContainText(`http://127.0.0.1:${port}/v1`)
    await expect(table).toContainText('$IMHI_E2E_ENGINE_KEY set')
    await expect(table).toContainText('answers with model remote-tiny.gguf')
    await page.getByTestId('servers').scrollIntoViewIfNeeded()
    await page.screenshot({ path: join(SCREENSHOTS, 'engines-servers.png'), fullPage: true })

    await page.goto(`${serve.url}#/runs`)
    const run = page.getByTestId('new-run')
    await run.getByTestId('run-model').click()
    await page.getByRole('option', { name: /gpu-box/ }).click()
    await run.getByTestId('run-datasets').click()
    await page.getByRole('option', { name: 'DR', exact: true }).click()
    await page.keyboard.press('Escape')
    await run.getByLabel('Requests in flight').fill('2')
    await run.getByLabel('Max tokens').fill('24')
    const warning = page.getByTestId('run-network-warning')
    await expect(warning).toContainText(`http://127.0.0.1:${port}/v1`)
    await expect(warning).toContainText('plain HTTP')
    // Nothing is sent until the user says so.
    await expect(run.getByTestId('run-start')).toBeDisabled()
    await page.screenshot({ path: join(SCREENSHOTS, 'engines-run-warning.png') })
    await page.getByTestId('run-network-confirm').check()
    await run.getByTestId('run-start').click()
    await expect(page.getByTestId('run-status-1')).toHaveText('completed', { timeout: 60_000 })
    await expect(page.getByTestId('run-progress-1')).toContainText('3/3 items')
    await expect(page.getByTestId('run-row-1')).toContainText('gpu-box')
    await expect(page.getByTestId('run-row-1')).toContainText('2 in flight')
    // The next run to a server asks again.
    await expect(page.getByTestId('run-network-confirm')).not.toBeChecked()
    await expect(run.getByTestId('run-start')).toBeDisabled()
    await page.screenshot({ path: join(SCREENSHOTS, 'engines-run-done.png') })

    // One post on the server: the warning under the model choice, the text stored with the server's provenance.
    await page.goto(`${serve.url}#/browse`)
    await page.getByTestId('result-row').first().click()
    const panel = page.getByTestId('item-explanations')
    await panel.getByTestId('gen-model').click()
    await page.getByRole('option', { name: /gpu-box/ }).click()
    await expect(page.getByTestId('gen-network-warning')).toContainText(`http://127.0.0.1:${port}/v1`)
    const before = await panel.getByTestId('explanation').count()
    await panel.getByTestId('gen-start').click()
    await expect(panel.getByTestId('explanation')).toHaveCount(before + 1, { timeout: 30_000 })
    await expect(panel.getByTestId('explanation-provenance').first()).toContainText('remote-tiny.gguf')
    await page.screenshot({ path: join(SCREENSHOTS, 'engines-single-post.png') })
  } finally {
    engine?.process.kill('SIGTERM')
  }
})
