import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { test, expect, imhi, SCREENSHOTS } from './fixtures'
import { writeImhiFixture } from '../test/support/imhi-fixture'
import { writeTinyGguf } from '../test/support/tiny-gguf'

test('generate an explanation for one item in Chromium: the text streams in, stop keeps it with provenance', async ({ serve, appPage: page }) => {
  // A long context lets the tiny model write long enough to watch it stream.
  const model = writeTinyGguf(join(serve.dir, 'imhi-tiny.gguf'), { contextLength: 4096 })
  imhi(['import', writeImhiFixture(serve.dir), '--db', serve.dbFile])
  imhi(['models', 'add', model, '--db', serve.dbFile])
  imhi(['generate', '--db', serve.dbFile, '--model', model, '--dataset', 'DR,SAD', '--split', 'instruction', '--parallel', '2', '--max-tokens', '40', '--quiet'])

  const db = new Database(serve.dbFile, { readonly: true })
  const itemId = (db.prepare("SELECT id FROM items WHERE dataset = 'DR' AND split = 'test_instruction' ORDER BY source_row LIMIT 1").get() as { id: number }).id
  db.close()

  // The page opened before the data existed: load it afresh.
  await page.goto(`${serve.url}#/models`)
  await page.reload()
  // The research-use notice comes first on a fresh profile.
  await page.getByTestId('notice-ack').click()
  await expect(page.getByRole('dialog', { name: 'Research use only' })).toBeHidden()
  await expect(page.getByTestId('models-table')).toContainText('imhi-tiny.gguf')
  await expect(page.getByTestId('models-table')).toContainText('llama')
  // The backend is shown with the reason it was chosen; loading sets each stage.
  await expect(page.getByTestId('backend-reason')).toHaveText(/^(CPU|CUDA|VULKAN|METAL): /)
  await page.getByTestId('models-table').getByRole('button', { name: 'Load' }).click()
  await expect(page.getByTestId('stage-model')).toHaveText(/loaded/)
  await expect(page.getByTestId('loaded-model')).toContainText('imhi-tiny.gguf')
  await page.screenshot({ path: join(SCREENSHOTS, 'inference-models.png') })

  await page.goto(`${serve.url}#/runs`)
  await expect(page.getByTestId('run-status-1')).toHaveText('completed')
  await expect(page.getByTestId('run-progress-1')).toContainText('6/6 items')
  await page.screenshot({ path: join(SCREENSHOTS, 'inference-runs.png') })

  await page.goto(`${serve.url}#/item/${itemId}`)
  const panel = page.getByTestId('item-explanations')
  await expect(panel).toBeVisible()
  // The run's explanation of this item is listed with its provenance.
  await expect(panel.getByTestId('explanation')).toHaveCount(1)
  await expect(panel.getByTestId('explanation-provenance').first()).toContainText('imhi-tiny.gguf')

  await panel.getByLabel('Max tokens').fill('3500')
  await panel.getByTestId('gen-start').click()
  const stream = page.getByTestId('gen-stream-text')
  await expect(stream).toBeVisible()
  // Watch it grow: several different, increasing lengths while it is generating.
  const lengths: number[] = []
  for (let i = 0; i < 40 && lengths.length < 3; i++) {
    const text = (await stream.textContent({ timeout: 1000 }).catch(() => '')) ?? ''
    const n = text.replace('▍', '').length
    if (n > 0 && n !== lengths.at(-1)) lengths.push(n)
    await page.waitForTimeout(100)
  }
  expect(lengths.length).toBeGreaterThanOrEqual(3)
  expect([...lengths].sort((a, b) => a - b)).toEqual(lengths)
  await page.screenshot({ path: join(SCREENSHOTS, 'inference-streaming.png') })

  await page.getByTestId('gen-stop').click()
  await expect(stream).toBeHidden()
  await expect(panel.getByTestId('explanation')).toHaveCount(2)
  const newest = panel.getByTestId('explanation').first()
  await expect(newest).toContainText('stopped')
  await expect(newest.getByTestId('explanation-provenance')).toContainText(/imhi-tiny\.gguf \(sha256 [0-9a-f]{12}…\)/)
  await expect(newest.getByTestId('explanation-provenance')).toContainText('greedy')
  expect(((await newest.getByTestId('explanation-text').textContent()) ?? '').length).toBeGreaterThan(lengths[0])
  await page.screenshot({ path: join(SCREENSHOTS, 'inference-explanations.png') })

  // Regenerate the run's explanation (greedy, 40 tokens): the same text again, now a single-post one.
  const fromRun = panel.getByTestId('explanation').filter({ hasText: 'run 1' })
  const runText = await fromRun.getByTestId('explanation-text').textContent()
  await fromRun.getByRole('button', { name: 'Regenerate' }).click()
  await expect(panel.getByTestId('explanation')).toHaveCount(3)
  await expect(panel.getByTestId('explanation').first().getByTestId('explanation-text')).toHaveText(runText!)
  await expect(panel.getByTestId('explanation').first()).not.toContainText('run 1')
})

test('a benchmark run from the Runs page: progress with items/s and ETA, pause, resume, export', async ({ serve, appPage: page }) => {
  const model = writeTinyGguf(join(serve.dir, 'imhi-tiny.gguf'), { contextLength: 4096 })
  imhi(['import', writeImhiFixture(serve.dir), '--db', serve.dbFile])
  imhi(['models', 'add', model, '--db', serve.dbFile])

  await page.goto(`${serve.url}#/runs`)
  await page.reload()
  await page.getByTestId('notice-ack').click()
  await expect(page.getByRole('dialog', { name: 'Research use only' })).toBeHidden()

  const form = page.getByTestId('new-run')
  await form.getByTestId('run-datasets').click()
  await page.getByRole('option', { name: 'DR', exact: true }).click()
  await page.keyboard.press('Escape')
  await form.getByLabel('Parallel sequences').fill('1')
  await form.getByLabel('Max tokens').fill('3000')
  await page.screenshot({ path: join(SCREENSHOTS, 'inference-run-form.png') })
  await form.getByTestId('run-start').click()
  await expect(page.getByTestId('run-row-1')).toContainText('1 parallel · max 3000 tokens')

  const status = page.getByTestId('run-status-1')
  const progress = page.getByTestId('run-progress-1')
  await expect(status).toHaveText('running')
  // Tokens/s is live before the first item finishes (the worker reports tokens twice a second).
  await expect(progress).toContainText(/\d\/3 items · [\d.]+ items\/s · [1-9]\d* tokens\/s · ETA/)
  await page.screenshot({ path: join(SCREENSHOTS, 'inference-run-progress.png') })

  await page.getByTestId('run-row-1').getByRole('button', { name: 'Pause' }).click()
  await expect(status).toHaveText('paused')
  await page.getByTestId('run-row-1').getByRole('button', { name: 'Resume' }).click()
  await expect(status).toHaveText('completed', { timeout: 90_000 })
  await expect(progress).toContainText('3/3 items')

  await page.getByTestId('run-row-1').getByRole('button', { name: 'Export' }).click()
  const out = join(serve.dir, 'outputs')
  await page.getByTestId('export-dir').fill(out)
  await page.getByTestId('export-go').click()
  await expect(page.getByText(`Run 1 exported`)).toBeVisible()
  const csv = readFileSync(join(out, 'DR.csv'), 'utf8')
  expect(csv.startsWith('goldens,generated_text\n')).toBe(true)
  await page.screenshot({ path: join(SCREENSHOTS, 'inference-run-done.png') })
})
