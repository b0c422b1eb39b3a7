import { cpSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Page } from '@playwright/test'
import { test, expect, imhi, tempDir, ROOT, SCREENSHOTS, SHARED_IMHI, hasSharedImhi } from './fixtures'

// BART-score and BERTScore picked in the UI (imhi serve + Chromium) on the committed tiny ONNX
// exports; the figures shown must be the ones torch computed (test/fixtures/onnx/*-reference.json).
const FIXTURES = join(ROOT, 'test', 'fixtures', 'onnx')
const BART = join(FIXTURES, 'bart-tiny')
const ROBERTA = join(FIXTURES, 'roberta-tiny-l3')
const bartRef = JSON.parse(readFileSync(join(FIXTURES, 'bart-score-reference.json'), 'utf8')) as { generated: string[]; golden: string[]; script_scores: number[] }
const mean = (xs: number[]) => xs.reduce((a, x) => a + x, 0) / xs.length

function outputFolder(root: string): string {
  const dir = join(root, 'model_output')
  mkdirSync(dir, { recursive: true })
  const q = (x: string) => '"' + x.replace(/"/g, '""') + '"'
  writeFileSync(join(dir, 'DR.csv'), ['goldens,generated_text', ...bartRef.generated.map((g, i) => `${q(bartRef.golden[i])},${g === '' ? '' : q(g)}`)].join('\n') + '\n')
  return dir
}

async function open(page: Page): Promise<void> {
  await page.evaluate(() => localStorage.setItem('imhi-notice-acknowledged', '1'))
  await page.goto(page.url().split('#')[0] + '#/evaluate')
  await page.reload()
  await expect(page.getByTestId('evaluate-page')).toBeVisible()
}

test.describe('BART-score and BERTScore in the Evaluate page (Chromium against imhi serve)', () => {
  test('pick both scorers for an output folder: the dashboard, the rows and the distribution show them', async ({ appPage: page }) => {
    const folder = outputFolder(tempDir())
    await open(page)
    await page.getByText('An output folder / CSV').click()
    // keyboard only: type each field and submit with Enter in the path field
    await page.getByTestId('bart-model').fill(BART)
    await page.getByTestId('bertscore-model').fill(ROBERTA)
    await page.getByTestId('bertscore-layer').fill('3')
    await page.getByTestId('outputs-path').fill(folder)
    await page.getByTestId('outputs-path').press('Enter')
    await expect(page.getByTestId('metrics-table')).toBeVisible({ timeout: 90_000 })
    const header = page.getByTestId('metrics-table').locator('thead th')
    const names = await header.allTextContents()
    const bartCol = names.indexOf('BART')
    const bertCol = names.indexOf('BERTS F1')
    expect(bartCol).toBeGreaterThan(0)
    expect(bertCol).toBeGreaterThan(0)
    const dr = page.getByTestId('metrics-row-DR')
    await expect(dr.locator('td').nth(bartCol)).toHaveText(mean(bartRef.script_scores).toFixed(4))
    await expect(dr.locator('td').nth(bertCol)).toHaveText(/^\d+\.\d\d$/)
    await dr.click()
    const rows = page.getByTestId('rows-table')
    await expect(rows.locator('thead')).toContainText('BART')
    await expect(rows.locator('thead')).toContainText('BERTS F1')
    await expect(rows.locator('tbody tr').first()).toContainText(bartRef.script_scores[0].toFixed(3))
    await page.getByTestId('chart-scores').getByText('BART-score', { exact: true }).click()
    await expect(page.getByTestId('chart-scores')).toContainText('Score distribution: BART-score')
    await page.screenshot({ path: join(SCREENSHOTS, 'evaluate-onnx-scores.png'), fullPage: true })
    await page.getByRole('tab', { name: 'Definitions' }).click()
    await expect(page.getByTestId('definitions')).toContainText('BART-score')
    await expect(page.getByTestId('definitions')).toContainText('BERTScore')
  })

  test('a BART export without its decoder: a clear error naming the file, nothing stored', async ({ appPage: page }) => {
    const root = tempDir()
    const folder = outputFolder(root)
    const broken = join(root, 'bart-no-decoder')
    cpSync(BART, broken, { recursive: true })
    unlinkSync(join(broken, 'decoder_model.onnx'))
    await open(page)
    await page.getByText('An output folder / CSV').click()
    await page.getByTestId('bart-model').fill(broken)
    await page.getByTestId('outputs-path').fill(folder)
    await page.getByTestId('evaluate-button').click()
    await expect(page.getByText(`${join(broken, 'encoder_model.onnx')} is there but no decoder_model.onnx`, { exact: false })).toBeVisible({ timeout: 30_000 })
    await expect(page.getByTestId('evaluate-page')).toBeVisible()
    await expect(page.getByTestId('evaluation-select')).toHaveValue('')
  })

  test('agreement with the released human ratings adds BART-score and BERTScore', async ({ appPage: page, serve }) => {
    test.skip(!hasSharedImhi, `skipped: ${SHARED_IMHI} not found`)
    test.setTimeout(300_000)
    imhi(['import', SHARED_IMHI, '--db', serve.dbFile, '--json'])
    await open(page)
    await page.getByRole('tab', { name: 'Agreement with people' }).click()
    await page.getByTestId('agreement-bart-model').fill(BART)
    await page.getByTestId('agreement-bertscore-model').fill(ROBERTA)
    await page.getByTestId('run-correlations').click()
    const table = page.getByTestId('correlation-table')
    await expect(table).toContainText('bertscore', { timeout: 240_000 })
    await expect(table).toContainText('bart')
    await page.locator('[data-testid="chart-scatter"] input').first().click()
    await page.getByRole('option', { name: 'bart', exact: true }).click()
    await expect(page.getByTestId('chart-scatter').locator('.recharts-scatter-symbol').first()).toBeVisible()
    await page.screenshot({ path: join(SCREENSHOTS, 'evaluate-agreement-onnx.png'), fullPage: true })
  })
})
