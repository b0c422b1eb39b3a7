import { join } from 'node:path'
import { test, expect, imhi, ROOT, SCREENSHOTS } from './fixtures'
import { writeImhiFixture } from '../test/support/imhi-fixture'

// A converted MentalBART-shaped folder (test/fixtures/onnx/bart-gen-tiny, random weights) registered
// on the Models page, chosen for a run over the completion split and for one post; no network warning.
const FOLDER = join(ROOT, 'test', 'fixtures', 'onnx', 'bart-gen-tiny')

test('register a MentalBART folder, run it over the completion split, generate one post with it', async ({ serve, appPage: page }) => {
  imhi(['import', writeImhiFixture(serve.dir), '--db', serve.dbFile])
  await page.goto(`${serve.url}#/models`)
  await page.reload()
  await page.getByTestId('notice-ack').click()
  const panel = page.getByTestId('seq2seq-models')
  // keyboard only: type the name, Tab to the folder, Enter on the button
  await panel.getByTestId('seq2seq-name').fill('mentalbart-tiny')
  await page.keyboard.press('Tab')
  await page.keyboard.type(FOLDER)
  await page.keyboard.press('Tab')
  await page.keyboard.press('Enter')
  const table = page.getByTestId('seq2seq-table')
  await expect(table).toContainText('mentalbart-tiny')
  await expect(table).toContainText(FOLDER)
  await expect(table).toContainText('bart export, decoder with past key values, on cpu; greedy decoding')
  // not among the remote servers
  await expect(page.getByTestId('servers')).not.toContainText('mentalbart-tiny')
  await panel.scrollIntoViewIfNeeded()
  await page.screenshot({ path: join(SCREENSHOTS, 'seq2seq-models.png'), fullPage: true })

  // a bad folder: the error names what is missing
  await panel.getByTestId('seq2seq-name').fill('roberta')
  await panel.getByTestId('seq2seq-path').fill(join(ROOT, 'test', 'fixtures', 'onnx', 'roberta-tiny-l3'))
  await panel.getByTestId('seq2seq-add').click()
  await expect(page.getByText(/not a seq2seq export: it holds model\.onnx/).first()).toBeVisible()

  await page.goto(`${serve.url}#/runs`)
  const run = page.getByTestId('new-run')
  await run.getByTestId('run-model').click()
  await page.getByRole('option', { name: 'mentalbart-tiny' }).click()
  await run.getByTestId('run-datasets').click()
  await page.getByRole('option', { name: 'DR', exact: true }).click()
  await page.keyboard.press('Escape')
  await run.getByRole('textbox', { name: 'Split' }).click()
  await page.getByRole('option', { name: /completion/i }).click()
  await run.getByLabel('Batch size').fill('2')
  await run.getByLabel('Max tokens').fill('30')
  await expect(page.getByTestId('run-network-warning')).toHaveCount(0)
  await expect(run.getByTestId('run-start')).toBeEnabled()
  await run.getByTestId('run-start').click()
  await expect(page.getByTestId('run-status-1')).toHaveText('completed', { timeout: 60_000 })
  await expect(page.getByTestId('run-progress-1')).toContainText('3/3 items')
  await expect(page.getByTestId('run-row-1')).toContainText('bart-gen-tiny')
  await expect(page.getByTestId('run-row-1')).toContainText('2 per batch')
  await page.screenshot({ path: join(SCREENSHOTS, 'seq2seq-run-done.png') })

  await page.goto(`${serve.url}#/browse`)
  await page.getByTestId('result-row').first().click()
  const pane = page.getByTestId('item-explanations')
  await pane.getByTestId('gen-model').click()
  await page.getByRole('option', { name: 'mentalbart-tiny' }).click()
  await expect(page.getByTestId('gen-network-warning')).toHaveCount(0)
  const before = await pane.getByTestId('explanation').count()
  await pane.getByTestId('gen-start').click()
  await expect(pane.getByTestId('explanation')).toHaveCount(before + 1, { timeout: 30_000 })
  await expect(pane.getByTestId('explanation-provenance').first()).toContainText('mentalbart-tiny (ONNX seq2seq, decoder with-past, batch 1)')
  await page.screenshot({ path: join(SCREENSHOTS, 'seq2seq-single-post.png') })
})
