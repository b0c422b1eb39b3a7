import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Page } from '@playwright/test'
import { test, expect, imhi, tempDir, SCREENSHOTS, SHARED_IMHI, hasSharedImhi } from './fixtures'
import { openDatabase } from '../src/main/db/open'

const csvCell = (v: string) => `"${v.replace(/"/g, '""')}"`
function writeOutputs(dir: string, name: string, rows: [string, string][]): void {
  writeFileSync(join(dir, `${name}.csv`), ['goldens,generated_text', ...rows.map(([g, t]) => `${csvCell(g)},${csvCell(t)}`)].join('\n') + '\n')
}

const YES = 'Yes, the poster suffers from depression. Reasoning: The poster describes hopelessness and losing interest in everything.'
const NO = 'No, the poster does not suffer from depression. Reasoning: The poster describes a good week with friends.'
const SAD_LABELS = ['school', 'financial problem', 'family issues', 'social relationships', 'work', 'health issues', 'emotion turmoil', 'everyday decision making']
const sadGold = (l: string) => `This post shows the stress cause related to ${l}. Reasoning: The poster worries about ${l}.`

/** A model-output folder in the benchmark layout with known answers: DR 8/10 right (one OOD), SAD 7/9 right (one empty). */
function outputFolder(root: string): string {
  const dir = join(root, 'model_output')
  mkdirSync(dir, { recursive: true })
  const dr: [string, string][] = [
    ...Array.from({ length: 5 }, (): [string, string] => [YES, 'Yes, the poster suffers from depression. Reasoning: they feel hopeless.']),
    [YES, 'Reasoning: I cannot tell from this text.'],
    ...Array.from({ length: 3 }, (): [string, string] => [NO, 'No, the poster does not suffer from depression. Reasoning: a calm week.']),
    [NO, 'Yes, the poster suffers from depression. Reasoning: tired.']
  ]
  writeOutputs(dir, 'DR', dr)
  const sad: [string, string][] = SAD_LABELS.map((l) => [sadGold(l), l === 'work' ? 'This post shows the stress cause related to school.' : `This post shows the stress cause related to ${l}. Reasoning: ...`])
  sad.push(['This post shows other stress causes. Reasoning: unclear.', ''])
  writeOutputs(dir, 'SAD', sad)
  return dir
}

async function open(page: Page): Promise<void> {
  await page.evaluate(() => localStorage.setItem('imhi-notice-acknowledged', '1'))
  await page.goto(page.url().split('#')[0] + '#/evaluate')
  await page.reload()
  await expect(page.getByTestId('evaluate-page')).toBeVisible()
}

async function evaluateFolder(page: Page, path: string): Promise<void> {
  await page.getByText('An output folder / CSV').click()
  await page.getByTestId('outputs-path').fill(path)
  await page.getByTestId('evaluate-button').click()
  await expect(page.getByTestId('metrics-table')).toBeVisible({ timeout: 60_000 })
}

test.describe('Evaluate in Chromium against imhi serve', () => {
  test('an output folder: metrics, confusion heat map, distributions, CSV and PNG/SVG exports', async ({ appPage: page }) => {
    const folder = outputFolder(tempDir())
    await open(page)
    await evaluateFolder(page, folder)
    const dr = page.getByTestId('metrics-row-DR')
    // Columns: dataset, n, Acc, wF1, miF1, maF1, OOD, ...
    await expect(dr.locator('td').nth(1)).toHaveText('10')
    await expect(dr.locator('td').nth(2)).toHaveText('80.00')
    await expect(dr.locator('td').nth(6)).toHaveText('1')
    await expect(page.getByTestId('metrics-row-SAD').locator('td').nth(2)).toHaveText('77.78')
    await dr.click()
    await expect(page.getByTestId('chart-confusion')).toBeVisible()
    await expect(page.getByTestId('cm-yes-ood')).toContainText('1')
    await expect(page.getByTestId('cm-no-yes')).toContainText('1')
    await expect(page.getByTestId('chart-labels').locator('.recharts-bar-rectangle').first()).toBeVisible()
    await expect(page.getByTestId('chart-scores')).toBeVisible()
    const rows = page.getByTestId('rows-table')
    await expect(rows.locator('tbody tr')).toHaveCount(10)
    await rows.getByText('OOD', { exact: true }).first().click()
    await expect(rows.locator('tbody tr')).toHaveCount(1)
    await expect(rows.locator('tbody tr')).toContainText('Reasoning: I cannot tell from this text.')
    await rows.getByText('Wrong', { exact: true }).click()
    await expect(rows.locator('tbody tr')).toHaveCount(2)
    await page.screenshot({ path: join(SCREENSHOTS, 'evaluate-metrics.png'), fullPage: true })
    await page.getByTestId('dataset-detail').screenshot({ path: join(SCREENSHOTS, 'evaluate-dataset-detail.png') })

    const [csv] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-metrics-csv').click()])
    const text = readFileSync((await csv.path())!, 'utf8')
    expect(text.split('\r\n')[0]).toBe('\ufeffdataset,n,accuracy,weighted_f1,micro_f1,macro_f1,ood,unmatched_gold,clf_accuracy,clf_weighted_f1,bleu,rouge1,rouge2,rougeL,lm,bart,bertscore_f1')
    expect(text).toContain('\r\nDR,10,0.8,')

    const frame = page.getByTestId('chart-confusion')
    const [png] = await Promise.all([page.waitForEvent('download'), frame.getByRole('button', { name: 'PNG' }).click()])
    expect(readFileSync((await png.path())!).subarray(1, 4).toString('latin1')).toBe('PNG')
    const [svg] = await Promise.all([page.waitForEvent('download'), frame.getByRole('button', { name: 'SVG' }).click()])
    expect(readFileSync((await svg.path())!, 'utf8')).toMatch(/^<svg[^>]+xmlns="http:\/\/www.w3.org\/2000\/svg"/)

    await page.getByRole('tab', { name: 'Definitions' }).click()
    await expect(page.getByTestId('definitions')).toContainText('sklearn average="macro"')
  })

  test('a run side by side with an output folder; bad input shows a clear error', async ({ appPage: page, serve }) => {
    // A run of the database: DR test items answered with their own gold responses on 6 of 8 items.
    const db = openDatabase(serve.dbFile)
    try {
      db.prepare(`INSERT OR IGNORE INTO datasets (name, task, labels) VALUES ('DR', 'depression', '["no","yes"]')`).run()
      const file = db.prepare("INSERT INTO source_files (path, kind, dataset, split, rows, sha256) VALUES ('e2e/DR.csv', 'items', 'DR', 'test_instruction', 8, 'x')").run()
      const item = db.prepare("INSERT INTO items (dataset, split, source_file_id, source_row, query, post, gold_response) VALUES ('DR', 'test_instruction', ?, ?, 'q', ?, ?)")
      const run = db.prepare("INSERT INTO runs (name, model_file, prompt_format, datasets, split, status) VALUES ('e2e run', 'tiny.gguf', 'raw', '[\"DR\"]', 'test_instruction', 'completed')").run()
      const expl = db.prepare("INSERT INTO explanations (item_id, run_id, model_file, text, prompt_format) VALUES (?, ?, 'tiny.gguf', ?, 'raw')")
      for (let i = 0; i < 8; i++) {
        const gold = i % 2 ? YES : NO
        const id = item.run(file.lastInsertRowid, i + 1, `post ${i}`, gold).lastInsertRowid
        expl.run(id, run.lastInsertRowid, i < 6 ? gold : i % 2 ? NO : YES)
      }
    } finally {
      db.close()
    }
    const folder = outputFolder(tempDir())
    await open(page)
    await evaluateFolder(page, folder)
    await page.getByText('A run', { exact: true }).click()
    await page.getByTestId('run-select').click()
    await page.getByRole('option', { name: /e2e run/ }).click()
    await page.getByTestId('evaluate-button').click()
    await expect(page.getByTestId('metrics-row-DR').locator('td').nth(2)).toHaveText('75.00', { timeout: 60_000 })
    await page.getByTestId('compare-select').click()
    await page.getByRole('option', { name: /model_output/ }).click()
    await expect(page.getByTestId('chart-compare')).toBeVisible()
    await expect(page.getByTestId('compare-table')).toContainText('75.00 / 80.00')
    await page.screenshot({ path: join(SCREENSHOTS, 'evaluate-compare.png'), fullPage: true })

    // A folder with a broken file: the error names the file and the missing column; the page stays usable.
    const bad = tempDir()
    writeFileSync(join(bad, 'DR.csv'), 'goldens,text\na,b\n')
    await page.getByRole('tab', { name: 'Metrics' }).click()
    await page.getByText('An output folder / CSV').click()
    await page.getByTestId('outputs-path').fill(bad)
    await page.getByTestId('evaluate-button').click()
    await expect(page.getByText(/DR\.csv: missing column generated_text/)).toBeVisible()
    await expect(page.getByTestId('evaluate-page')).toBeVisible()
  })

  test('classifiers and agreement with the released human ratings', async ({ appPage: page, serve }) => {
    test.skip(!hasSharedImhi, `skipped: ${SHARED_IMHI} not found`)
    test.setTimeout(240_000)
    imhi(['import', SHARED_IMHI, '--db', serve.dbFile, '--json'])
    await open(page)
    await page.getByRole('tab', { name: 'Classifiers' }).click()
    await page.getByTestId('train-classifiers').click()
    await expect(page.getByTestId('classifiers-table')).toContainText('SAD', { timeout: 180_000 })
    await expect(page.getByTestId('classifiers-table')).toContainText('trained on train, scored on val')
    await page.screenshot({ path: join(SCREENSHOTS, 'evaluate-classifiers.png'), fullPage: true })
    await page.getByRole('tab', { name: 'Agreement with people' }).click()
    await page.getByTestId('run-correlations').click()
    await expect(page.getByTestId('correlation-table')).toContainText('rougeL', { timeout: 60_000 })
    await expect(page.getByTestId('chart-scatter').locator('.recharts-scatter-symbol').first()).toBeVisible()
    await page.screenshot({ path: join(SCREENSHOTS, 'evaluate-agreement.png'), fullPage: true })
    // The released example outputs, now with classifier labels beside the rule-based ones.
    await page.getByRole('tab', { name: 'Metrics' }).click()
    await evaluateFolder(page, join(SHARED_IMHI, 'examples/response_generation_examples'))
    await expect(page.getByTestId('metrics-row-Irf').locator('td').nth(8)).not.toHaveText('—')
  })
})
