// Browser-mode parity: in a tab served by `imhi serve`, no desktop-only control is shown (a path
// field says whose disk the path is on instead), and the layout keeps the header and the filters on
// screen while the item pane scrolls on its own. Keyboard only, as a new user would.
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Page } from '@playwright/test'
import { test, expect, imhi, tempDir, SCREENSHOTS } from './fixtures'
import { writeTinyGguf } from '../test/support/tiny-gguf'

/** A tiny IMHI folder: three DR posts, one of them very long (a long read in the item pane). */
function writeLongPostFolder(): string {
  const root = tempDir()
  const dir = join(root, 'test_data', 'test_instruction')
  mkdirSync(dir, { recursive: true })
  const paragraph = 'I keep writing this down because nobody listens, the days run into each other and sleep does not come. '
  const long = Array.from({ length: 120 }, (_, i) => `Night ${i + 1}: ${paragraph}`).join('\n')
  const q = (post: string) => `Consider this post: "${post}" Question: Does the poster suffer from depression?`
  const cell = (v: string) => `"${v.replace(/"/g, '""')}"`
  const rows = [
    [q(`longread ${long}`), 'Yes, the poster suffers from depression. Reasoning: A long account of sleepless nights.'],
    [q('Went hiking with friends today, the weather was great.'), 'No, the poster does not suffer from depression. Reasoning: An ordinary day.'],
    [q('Everything feels grey lately.'), 'Yes, the poster suffers from depression. Reasoning: Low mood.']
  ]
  writeFileSync(join(dir, 'DR.csv'), ['query,gpt-3.5-turbo', ...rows.map((r) => r.map(cell).join(','))].join('\n') + '\n')
  return root
}

async function acknowledgeNotice(page: Page): Promise<void> {
  await expect(page.getByTestId('notice-ack')).toBeVisible()
  await page.keyboard.press('Tab')
  await page.getByTestId('notice-ack').focus()
  await page.keyboard.press('Enter')
  await expect(page.getByRole('dialog', { name: 'Research use only' })).toBeHidden()
}

test.describe('browser mode', () => {
  test('the header and the filters stay on screen while a long open item scrolls in its own pane', async ({ appPage: page, serve }) => {
    imhi(['import', writeLongPostFolder(), '--db', serve.dbFile, '--json'])
    await page.reload()
    await acknowledgeNotice(page)
    await expect(page.getByTestId('result-count')).toHaveText('3 items')

    // Keyboard only: "/" to search, type, ↓ to the list, Enter to open.
    await page.keyboard.press('/')
    await expect(page.getByTestId('search-input')).toBeFocused()
    await page.keyboard.type('longread')
    await expect(page.getByTestId('result-row')).toHaveCount(1)
    await page.keyboard.press('ArrowDown')
    await page.keyboard.press('Enter')
    await expect(page.getByTestId('item-post')).toContainText('Night 120:')

    // Scroll the open item to its end.
    const pane = page.locator('.imhi-browse-detailPane')
    await pane.hover()
    for (let i = 0; i < 30; i++) await page.mouse.wheel(0, 1200)
    await expect.poll(() => pane.evaluate((el) => el.scrollTop)).toBeGreaterThan(1000)

    // The window itself never scrolled: the header, the search box and the filters are where they were.
    expect(await page.evaluate(() => window.scrollY)).toBe(0)
    expect(await page.evaluate(() => document.scrollingElement!.scrollHeight <= window.innerHeight)).toBe(true)
    await expect(page.getByRole('banner')).toBeInViewport({ ratio: 1 })
    await expect(page.getByText('IMHI Workbench', { exact: true })).toBeInViewport()
    await expect(page.getByTestId('search-input')).toBeInViewport({ ratio: 1 })
    await expect(page.getByTestId('result-count')).toBeInViewport({ ratio: 1 })
    const searchBox = await page.getByTestId('search-input').boundingBox()
    expect(searchBox!.y).toBeGreaterThanOrEqual(52)
    await page.screenshot({ path: join(SCREENSHOTS, 'browser-mode-long-item.png') })

    // The list pane did not move with it.
    await expect(page.getByTestId('result-row').first()).toBeInViewport()
  })

  test('no desktop-only "Browse…" buttons in a browser: path fields say whose disk the path is on', async ({ appPage: page }) => {
    await acknowledgeNotice(page)
    // Models (Alt+2): the model path field, and no native-dialog button.
    await page.keyboard.press('Alt+2')
    await expect(page.getByTestId('models-page')).toBeVisible()
    await expect(page.getByTestId('model-source')).toBeVisible()
    await expect(page.getByText('A path on the computer running imhi serve.')).toBeVisible()
    await expect(page.getByRole('button', { name: /^(Browse|Choose)…$/ })).toHaveCount(0)
    await page.screenshot({ path: join(SCREENSHOTS, 'browser-mode-models.png') })
    // Evaluate (Alt+4) and the import panel: none there either.
    await page.keyboard.press('Alt+4')
    await expect(page.getByRole('button', { name: /^(Browse|Choose)…$/ })).toHaveCount(0)
    await page.getByTestId('open-import').focus()
    await page.keyboard.press('Enter')
    await expect(page.getByTestId('import-panel').first()).toBeVisible()
    await expect(page.getByRole('button', { name: /^(Browse|Choose)…$|^Import IMHI folder…$/ })).toHaveCount(0)
  })
})

test('import report: a failed file\'s error has a row of its own across the table, and paths wrap at slashes', async ({ appPage: page }) => {
  const root = tempDir()
  const dir = join(root, 'test_data', 'test_instruction')
  mkdirSync(dir, { recursive: true })
  writeFileSync(join(dir, 'DR.csv'), 'query,gpt-3.5-turbo\n"Consider this post: ""fine"" Question: Does the poster suffer from depression?","No, the poster does not suffer from depression. Reasoning: fine."\n')
  // A broken file: an unclosed quote.
  writeFileSync(join(dir, 'SAD.csv'), 'query,gpt-3.5-turbo\n"Consider this post: never closed,yes\n')
  await acknowledgeNotice(page)
  // Keyboard only: the first-run path field, typed, Enter.
  const field = page.getByTestId('import-path')
  await field.focus()
  await page.keyboard.type(root)
  await page.keyboard.press('Enter')
  // The first import opens Browse with the report in a dialog.
  const report = page.getByRole('dialog', { name: 'Import report' })
  const error = report.getByTestId('import-file-error')
  await expect(error).toBeVisible()
  await expect(error).toContainText('test_data/test_instruction/SAD.csv')
  await page.waitForTimeout(500) // the dialog's opening transition
  const table = await report.locator('table').boundingBox()
  const errorBox = await error.boundingBox()
  const fileCell = await report.getByTestId('import-file-row').first().locator('td').first().boundingBox()
  // Wider than the file column (it used to be squeezed into it), nearly the table's width.
  expect(errorBox!.width).toBeGreaterThan(fileCell!.width * 1.5)
  expect(errorBox!.width).toBeGreaterThan(table!.width * 0.8)
  // The error sits below its file row, not over the next columns.
  expect(errorBox!.y).toBeGreaterThanOrEqual(fileCell!.y + fileCell!.height - 1)
  await page.screenshot({ path: join(SCREENSHOTS, 'browser-mode-import-report.png') })
})

test('pickers, not free text: the LM-score model comes from the library, the agreement study from the list', async ({ appPage: page, serve }) => {
  const gguf = writeTinyGguf(join(tempDir(), 'picker-tiny.gguf'))
  imhi(['models', 'add', gguf, '--db', serve.dbFile])
  await page.reload()
  await acknowledgeNotice(page)
  await page.keyboard.press('Alt+4')
  const lm = page.getByTestId('lm-model')
  await expect(lm).toBeVisible()
  await lm.focus()
  await page.keyboard.press('ArrowDown')
  await expect(page.getByRole('option', { name: 'picker-tiny.gguf' })).toBeVisible()
  await page.keyboard.press('ArrowDown')
  await page.keyboard.press('Enter')
  await expect(lm).toHaveValue('picker-tiny.gguf')
  // A typed path that is not in the library is not taken.
  await lm.fill('/somewhere/else.gguf')
  await expect(page.getByText('no such model')).toBeVisible()
  await page.keyboard.press('Tab')
  await expect(lm).not.toHaveValue('/somewhere/else.gguf')
  await page.screenshot({ path: join(SCREENSHOTS, 'browser-mode-pickers.png') })

  // Agreement with people: the study is a picker over the studies (none yet here), the model one over the library.
  await page.evaluate(() => (window.location.hash = '#/evaluate?tab=agreement'))
  const study = page.getByTestId('agreement-study')
  await expect(study).toBeVisible()
  await expect(study).toHaveAttribute('placeholder', 'no studies yet')
  await expect(page.getByTestId('agreement-lm-model')).toBeVisible()
})
