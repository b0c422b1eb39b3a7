import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { test, expect, imhi, tempDir, SCREENSHOTS } from './fixtures'
import { openDatabase } from '../src/main/db/open'
import { writeTinyGguf } from '../test/support/tiny-gguf'
import { drResponses, seedItems } from '../test/evaluation/seed'

const csvCell = (v: string) => `"${v.replace(/"/g, '""')}"`

// The project's own tiny GGUF (random weights): the embeddings mean nothing; this checks the UI path.
test('classifiers with embedding features: choose a library model, train, see the features, label a folder', async ({ appPage: page, serve }) => {
  test.setTimeout(180_000)
  const dir = tempDir()
  const model = writeTinyGguf(join(dir, 'tiny-e2e.gguf'))
  const db = openDatabase(serve.dbFile)
  seedItems(db, 'DR', 'train_instruction', drResponses(60, 31))
  seedItems(db, 'DR', 'val_instruction', drResponses(20, 32))
  const testRows = drResponses(10, 33)
  seedItems(db, 'DR', 'test_instruction', testRows)
  db.close()
  imhi(['models', 'add', model, '--db', serve.dbFile, '--json'])

  await page.evaluate(() => localStorage.setItem('imhi-notice-acknowledged', '1'))
  await page.goto(page.url().split('#')[0] + '#/evaluate')
  await page.reload()
  await page.getByRole('tab', { name: 'Classifiers' }).click()

  // Keyboard: focus the embedding-model select, open it, pick the model with the arrow keys.
  const select = page.getByRole('textbox', { name: 'Embedding model' })
  // Retried as a whole: the model list can arrive again while the dropdown is open (the library is
  // re-read after the CLI added the model), and a re-rendered list has no active option for Enter.
  await expect(async () => {
    await select.focus()
    await page.keyboard.press('ArrowDown')
    await expect(page.getByRole('option', { name: /tiny-e2e\.gguf/ })).toBeVisible({ timeout: 2_000 })
    await page.keyboard.press('Enter')
    await expect(select).toHaveValue(/tiny-e2e\.gguf/, { timeout: 2_000 })
  }).toPass({ timeout: 30_000 })
  await page.getByTestId('train-classifiers').click()
  const table = page.getByTestId('classifiers-table')
  await expect(table).toContainText('TF-IDF + embedding of tiny-e2e.gguf', { timeout: 120_000 })
  await expect(page.getByTestId('train-classifiers')).toBeEnabled()
  await page.screenshot({ path: join(SCREENSHOTS, 'evaluate-classifiers-embedding.png'), fullPage: true })

  // Evaluating an output folder labels with that classifier: the library model is found by SHA-256.
  const out = join(dir, 'outputs')
  mkdirSync(out)
  writeFileSync(join(out, 'DR.csv'), ['goldens,generated_text', ...testRows.map((r) => `${csvCell(r.response)},${csvCell(`Answer: ${r.response.slice(r.response.indexOf('Reasoning:'))}`)}`)].join('\n') + '\n')
  await page.getByRole('tab', { name: 'Metrics' }).click()
  await page.getByText('An output folder / CSV').click()
  await page.getByTestId('outputs-path').fill(out)
  await page.getByTestId('evaluate-button').click()
  await expect(page.getByTestId('metrics-table')).toBeVisible({ timeout: 60_000 })
  await expect(page.getByTestId('metrics-row-DR').locator('td').nth(8)).not.toHaveText('—')
})
