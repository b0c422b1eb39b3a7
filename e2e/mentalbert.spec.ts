import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Page } from '@playwright/test'
import { test, expect, SCREENSHOTS, ROOT } from './fixtures'

// The MentalBERT labeller in the Evaluate page, on the tiny random-weight classifiers of
// test/fixtures/onnx (scripts/fixtures/make_onnx_fixtures.py) and their reference numbers.
const FIXTURES = join(ROOT, 'test', 'fixtures', 'onnx')
const reference = JSON.parse(readFileSync(join(FIXTURES, 'reference.json'), 'utf8')) as { outputs: Record<string, { labels: string[]; calculate: { printed: string } }> }

async function open(page: Page): Promise<void> {
  await page.evaluate(() => localStorage.setItem('imhi-notice-acknowledged', '1'))
  await page.goto(page.url().split('#')[0] + '#/evaluate')
  await page.reload()
  await expect(page.getByTestId('evaluate-page')).toBeVisible()
}

test.describe('MentalBERT labeller in Chromium against imhi serve', () => {
  test('pick MentalBERT, give the classifier folder, see its labels, the script numbers and which labeller made them', async ({ appPage: page }) => {
    await open(page)
    await page.getByText('An output folder / CSV').click()
    await page.getByTestId('outputs-path').fill(join(FIXTURES, 'outputs'))
    // Keyboard: focus the labeller select, open it, move to MentalBERT, choose it.
    await page.getByTestId('labeller-select').focus()
    await page.keyboard.press('ArrowDown')
    await page.keyboard.press('ArrowDown')
    await page.keyboard.press('Enter')
    await expect(page.getByTestId('labeller-select')).toHaveValue('MentalBERT (label_inference.py, ONNX)')
    await expect(page.getByTestId('evaluate-button')).toBeDisabled() // no folder yet
    await page.getByTestId('mentalbert-path').fill(join(FIXTURES, 'models'))
    await page.getByTestId('mentalbert-path').press('Enter')
    await expect(page.getByTestId('metrics-table')).toBeVisible({ timeout: 60_000 })
    await expect(page.getByTestId('labeller-name')).toHaveText(`MentalBERT (label_inference.py) from ${join(FIXTURES, 'models')}`)
    const lines = page.getByTestId('label-inference-lines')
    for (const name of ['DR', 'SAD']) await expect(lines).toContainText(reference.outputs[name].calculate.printed)
    await expect(page.getByTestId('labeller-summary')).toContainText(/DR: .*models\/DR on (cpu|cuda), batch 8, 1 response\(s\) cut to 512 tokens/)
    await expect(page.getByTestId('evaluation-select')).toHaveValue(/· MentalBERT$/)
    // The classifier-label view of DR uses MentalBERT's labels.
    await page.getByTestId('metrics-row-DR').click()
    await page.getByText('Classifier labels', { exact: true }).click()
    await page.screenshot({ path: join(SCREENSHOTS, 'mentalbert-labeller.png'), fullPage: true })

    // A bad folder: a clear error, nothing stored, the page keeps working.
    const before = await page.getByTestId('evaluation-select').inputValue()
    await page.getByTestId('mentalbert-path').fill(join(FIXTURES, 'outputs'))
    await page.getByTestId('evaluate-button').click()
    await expect(page.getByText(/No MentalBERT classifier folder under .*outputs for DR, SAD/)).toBeVisible({ timeout: 60_000 })
    await expect(page.getByTestId('evaluation-select')).toHaveValue(before)
    await page.screenshot({ path: join(SCREENSHOTS, 'mentalbert-labeller-error.png'), fullPage: true })
  })
})
