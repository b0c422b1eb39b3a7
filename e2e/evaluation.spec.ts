import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Page } from '@playwright/test'
import { test, expect, imhi, tempDir, SCREENSHOTS, SHARED_IMHI, hasSharedImhi } from './fixtures'
import { openDatabase } from '../src/main/db/open'
import { insertItem } from '../test/support/items'

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
    expect(text.split('\r\n')[0]).toBe('\ufeffdataset,rules,ood_convention,n,accuracy,weighted_f1,micro_f1,macro_f1,ood,unmatched_gold,clf_accuracy,clf_weighted_f1,bleu,rouge1,rouge2,rougeL,lm,bart,bertscore_f1')
    expect(text).toContain('\r\nDR,workbench,workbench,10,0.8,')

    const frame = page.getByTestId('chart-confusion')
    const [png] = await Promise.all([page.waitForEvent('download'), frame.getByRole('button', { name: 'PNG' }).click()])
    expect(readFileSync((await png.path())!).subarray(1, 4).toString('latin1')).toBe('PNG')
    const [svg] = await Promise.all([page.waitForEvent('download'), frame.getByRole('button', { name: 'SVG' }).click()])
    expect(readFileSync((await svg.path())!, 'utf8')).toMatch(/^<svg[^>]+xmlns="http:\/\/www.w3.org\/2000\/svg"/)

    await page.getByRole('tab', { name: 'Definitions' }).click()
    await expect(page.getByTestId('definitions')).toContainText('sklearn average="macro"')
  })

  test("IMHI.py's rules and the benchmark's OOD convention, chosen by keyboard", async ({ appPage: page }) => {
    const folder = outputFolder(tempDir())
    await open(page)
    await evaluateFolder(page, folder)
    const dr = page.getByTestId('metrics-row-DR')
    const cells = async (row: typeof dr) => (await row.locator('td').allInnerTexts()).slice(1, 7)
    // Workbench rules, OOD an extra wrong class: DR 8 of 10, macro F1 over no, yes and ood = (6/7 + 10/12 + 0) / 3 (sklearn: 56.35).
    expect(await cells(dr)).toEqual(['10', '80.00', '84.29', '80.00', '56.35', '1'])
    await expect(page.getByTestId('metrics-convention')).toContainText('extra wrong class (workbench)')

    // Keyboard only: the rules control's checked radio, arrow to "IMHI.py as released".
    await page.getByTestId('rules-control').getByRole('radio', { name: 'Workbench' }).focus()
    await page.keyboard.press('ArrowRight')
    await expect(page.getByTestId('metrics-convention')).toContainText('IMHI.py’s calculate_f1 as released')
    // IMHI.py: the OOD response is its class 0 ("no"): yes F1 5/6, no F1 3/4 -> macro 79.17, printed as Python prints.
    expect(await cells(dr)).toEqual(['10', '80.0', '80.0', '80.0', '79.17', '1'])
    // SAD's goldens say "emotion turmoil" and "other stress causes", which IMHI.py's golden rules miss: no number, and why.
    await expect(page.getByTestId('metrics-row-SAD')).toContainText('IMHI.py fails')
    await expect(page.getByTestId('metrics-row-SAD').locator('td').nth(2)).toHaveText('—')
    await expect(page.getByTestId('imhi-py-failures')).toContainText('Found input variables with inconsistent numbers of samples: [7, 9]')
    await expect(page.getByTestId('ood-control').getByRole('radio').first()).toBeDisabled()
    await dr.press('Enter')
    await expect(page.getByTestId('imhi-py-line')).toContainText('Dataset: DR, average acc:80.0, weighted F1 80.0, micro F1 80.0, macro F1 79.17, OOD count: 1')
    await page.screenshot({ path: join(SCREENSHOTS, 'evaluate-imhi-py.png'), fullPage: true })
    const [csv] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-metrics-csv').click()])
    const text = readFileSync((await csv.path())!, 'utf8')
    expect(text.split('\r\n')[0]).toMatch(/^\ufeffdataset,rules,ood_convention,n,accuracy,.*,imhi_py_error$/)
    expect(text).toContain('\r\nDR,imhi-py,imhi-py,10,80,80,80,79.17,1,')

    // Back to the workbench rules, then Tab to the OOD control and arrow to the benchmark convention.
    await page.getByTestId('rules-control').getByRole('radio', { name: 'IMHI.py as released' }).focus()
    await page.keyboard.press('ArrowLeft')
    await expect(page.getByTestId('ood-control').getByRole('radio').first()).toBeEnabled()
    await page.keyboard.press('Tab')
    await expect(page.getByTestId('ood-control').getByRole('radio', { name: /Extra wrong class/ })).toBeFocused()
    await page.keyboard.press('ArrowRight')
    await expect(page.getByTestId('metrics-convention')).toContainText('class 0, as IMHI.py (benchmark)')
    // The workbench's labels with OOD as class 0: the same 8 of 10 here, macro F1 over no and yes only.
    expect(await cells(dr)).toEqual(['10', '80.00', '80.00', '80.00', '79.17', '1'])
    // SAD: the empty response (gold "other stress causes") is IMHI.py's class 8, "other": right, 8 of 9 (77.78 with OOD as a wrong class).
    await expect(page.getByTestId('metrics-row-SAD').locator('td').nth(2)).toHaveText('88.89')
    await expect(page.getByTestId('cm-yes-no')).toContainText('1')
    await page.screenshot({ path: join(SCREENSHOTS, 'evaluate-ood-benchmark.png'), fullPage: true })
  })

  test('cross-fitted classifier labels: a run of CAMS-like test posts is labelled out-of-fold, and the page says so', async ({ appPage: page, serve }) => {
    const SENT: Record<string, string> = {
      none: 'This post shows no causes of depression.',
      relationship: 'This post shows causes of depression related to relationship.',
      alienation: 'This post shows causes of depression related to alienation.'
    }
    const labels = Object.keys(SENT)
    const db = openDatabase(serve.dbFile)
    try {
      db.prepare(`INSERT OR IGNORE INTO datasets (name, task, labels) VALUES ('CAMS', 'depression_cause', '["none","bias or abuse","jobs and career","medication","relationship","alienation"]')`).run()
      const file = db.prepare("INSERT INTO source_files (path, kind, dataset, split, rows, sha256) VALUES ('e2e/CAMS.csv', 'items', 'CAMS', 'test_instruction', 60, 'x')").run()
      const item = (sourceRow: number, post: string, goldResponse: string) =>
        insertItem(db, { dataset: 'CAMS', split: 'test_instruction', sourceFileId: file.lastInsertRowid, sourceRow, query: 'q', post, goldResponse })
      const run = db.prepare("INSERT INTO runs (name, model_file, prompt_format, datasets, split, status) VALUES ('cams run', 'tiny.gguf', 'raw', '[\"CAMS\"]', 'test_instruction', 'completed')").run()
      const expl = db.prepare("INSERT INTO explanations (item_id, run_id, model_file, text, prompt_format) VALUES (?, ?, 'tiny.gguf', ?, 'raw')")
      for (let i = 0; i < 60; i++) {
        const label = labels[(i * 7) % 3]
        const words = `word${i % 11} thing${i % 5} matter${i % 7} topic${i}`
        const id = item(i + 1, `CAMS post ${i} about ${words}`, `${SENT[label]} Reasoning: The post mentions ${words} and ${label}.`)
        expl.run(id, run.lastInsertRowid, `Reasoning: The post mentions ${words} and ${label}.`)
      }
    } finally {
      db.close()
    }
    imhi(['classifiers', 'train', '--db', serve.dbFile, '--dataset', 'CAMS', '--json'])
    await open(page)
    await page.getByText('A run', { exact: true }).click()
    await page.getByTestId('run-select').click()
    await page.getByRole('option', { name: /cams run/ }).click()
    await page.getByTestId('evaluate-button').click()
    const row = page.getByTestId('metrics-row-CAMS')
    await expect(row).toContainText('clf: out-of-fold', { timeout: 60_000 })
    await row.press('Enter')
    await page.getByTestId('dataset-detail').getByText('Classifier labels', { exact: true }).click()
    await expect(page.getByTestId('crossfit-note')).toContainText('60 row(s) labelled by the model of the 5-fold split that held their post out')
    await expect(page.getByTestId('rows-table').getByText('out-of-fold').first()).toBeVisible()
    await page.screenshot({ path: join(SCREENSHOTS, 'evaluate-cross-fitted.png'), fullPage: true })
    await page.getByRole('tab', { name: 'Classifiers' }).click()
    await expect(page.getByTestId('classifiers-table')).toContainText('cross-fitted: each by the fold model that held it out')
  })

  test('a run side by side with an output folder; bad input shows a clear error', async ({ appPage: page, serve }) => {
    // A run of the database: DR test items answered with their own gold responses on 6 of 8 items.
    const db = openDatabase(serve.dbFile)
    try {
      db.prepare(`INSERT OR IGNORE INTO datasets (name, task, labels) VALUES ('DR', 'depression', '["no","yes"]')`).run()
      const file = db.prepare("INSERT INTO source_files (path, kind, dataset, split, rows, sha256) VALUES ('e2e/DR.csv', 'items', 'DR', 'test_instruction', 8, 'x')").run()
      const item = (sourceRow: number, post: string, goldResponse: string) =>
        insertItem(db, { dataset: 'DR', split: 'test_instruction', sourceFileId: file.lastInsertRowid, sourceRow, query: 'q', post, goldResponse })
      const run = db.prepare("INSERT INTO runs (name, model_file, prompt_format, datasets, split, status) VALUES ('e2e run', 'tiny.gguf', 'raw', '[\"DR\"]', 'test_instruction', 'completed')").run()
      const expl = db.prepare("INSERT INTO explanations (item_id, run_id, model_file, text, prompt_format) VALUES (?, ?, 'tiny.gguf', ?, 'raw')")
      for (let i = 0; i < 8; i++) {
        const gold = i % 2 ? YES : NO
        const id = item(i + 1, `post ${i}`, gold)
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
