import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Page } from '@playwright/test'
import type { ImportReport } from '../src/shared/api/imhi'
import { test, expect, imhi, tempDir, SCREENSHOTS, SHARED_IMHI, hasSharedImhi } from './fixtures'
import { writeImhiFixture, IMHI_FIXTURE } from '../test/support/imhi-fixture'

/** Items added by an import (its `added` also counts reference ratings). */
function itemsAdded(report: ImportReport): number {
  return report.files.filter((f) => f.kind === 'items').reduce((n, f) => n + f.added, 0)
}

/** Acknowledges the first-run notice if it is showing. */
async function acknowledgeNotice(page: Page): Promise<void> {
  const ack = page.getByTestId('notice-ack')
  await expect(ack).toBeVisible()
  await ack.click()
  await expect(page.getByRole('dialog', { name: 'Research use only' })).toBeHidden()
}

/** The fixture folder, imported with the CLI into the server's database, then the page reloaded. */
async function importFixture(page: Page, dbFile: string): Promise<string> {
  const root = writeImhiFixture(tempDir())
  const r = imhi(['import', root, '--db', dbFile, '--json'])
  expect(itemsAdded(JSON.parse(r.stdout) as ImportReport)).toBe(IMHI_FIXTURE.items)
  await page.reload()
  await acknowledgeNotice(page)
  await expect(page.getByTestId('result-count')).toHaveText(`${IMHI_FIXTURE.items} items`)
  return root
}

type LabelCounts = Record<string, Record<string, Record<string, number>>>
const FIXTURE_LABELS = IMHI_FIXTURE.labels as unknown as LabelCounts
/** Items of the fixture with this dataset / split / label (any when omitted), from IMHI_FIXTURE. */
function fixtureCount(where: { dataset?: string; split?: string; label?: string }): number {
  let n = 0
  for (const [dataset, splits] of Object.entries(FIXTURE_LABELS)) {
    if (where.dataset && dataset !== where.dataset) continue
    for (const [split, labels] of Object.entries(splits)) {
      if (where.split && split !== where.split) continue
      for (const [label, count] of Object.entries(labels)) if (!where.label || label === where.label) n += count
    }
  }
  return n
}
const items = (n: number) => (n === 1 ? '1 item' : `${n} items`)

async function pickOption(page: Page, testId: string, option: RegExp): Promise<void> {
  await page.getByTestId(testId).click()
  await page.getByRole('option', { name: option }).click()
  await page.keyboard.press('Escape')
}

test.describe('Browse in Chromium against imhi serve', () => {
  test('first paint: one facets, one stats and one search call (the search used to be sent twice)', async ({ appPage: page, serve }) => {
    await importFixture(page, serve.dbFile)
    const sent: string[] = []
    page.on('websocket', (ws) => ws.on('framesent', (f) => sent.push(String(f.payload))))
    await page.reload()
    const ack = page.getByTestId('notice-ack')
    if (await ack.isVisible().catch(() => false)) await ack.click()
    await expect(page.getByTestId('result-count')).toHaveText(`${IMHI_FIXTURE.items} items`)
    // Anything late would arrive within this.
    await page.waitForTimeout(750)
    const calls = (method: string) => sent.filter((p) => p.includes(`"method":"${method}"`)).length
    expect(calls('imhi.search')).toBe(1)
    expect(calls('imhi.facets')).toBe(1)
    expect(calls('imhi.stats')).toBe(1)
  })

  test('first run: the notice, then importing a folder through the UI with a per-file report', async ({ appPage: page }) => {
    // The research-use notice comes first and must be acknowledged.
    await expect(page.getByRole('dialog', { name: 'Research use only' })).toBeVisible()
    await expect(page.getByRole('dialog', { name: 'Research use only' }).getByText('does not diagnose, screen or treat anyone')).toBeVisible()
    await page.screenshot({ path: join(SCREENSHOTS, 'notice.png') })
    await acknowledgeNotice(page)

    // An empty database shows the first-run screen, with a path field (a browser has no native picker).
    await expect(page.getByTestId('first-run')).toBeVisible()
    await expect(page.getByTestId('import-pick')).toHaveCount(0)
    await page.screenshot({ path: join(SCREENSHOTS, 'first-run.png') })

    // A folder that is not in the IMHI layout: a clear error naming it; the app keeps running.
    const empty = tempDir()
    await page.getByTestId('import-path').fill(empty)
    await page.getByTestId('import-submit').click()
    await expect(page.getByTestId('import-error')).toContainText(empty)
    await expect(page.getByTestId('first-run')).toBeVisible()

    // The fixture folder plus one broken CSV: everything else is imported, the broken file is reported.
    const root = writeImhiFixture(tempDir())
    const brokenRel = 'test_data/test_instruction/MultiWD.csv'
    writeFileSync(join(root, brokenRel), 'query,gpt-3.5-turbo\n"an unterminated cell,\n')
    // If the fixture has that file, its rows are the ones not imported.
    const lost = (IMHI_FIXTURE.files as Record<string, { rows: number }>)[brokenRel]?.rows ?? 0
    const expected = IMHI_FIXTURE.items - lost
    await page.getByTestId('import-path').fill(root)
    await page.getByTestId('import-submit').click()
    const report = page.getByTestId('import-report')
    await expect(report).toBeVisible()
    await expect(report).toContainText(`${expected} new items`)
    await expect(report).toContainText('1 file could not be imported')
    const errorRow = report.locator('tr[data-error]')
    await expect(errorRow).toHaveCount(1)
    await expect(errorRow).toContainText(brokenRel)
    await page.screenshot({ path: join(SCREENSHOTS, 'import-report.png') })
    await page.keyboard.press('Escape')

    // The list replaces the first-run screen.
    await expect(page.getByTestId('browse-page')).toBeVisible()
    await expect(page.getByTestId('result-count')).toHaveText(`${expected} items`)
    await expect(page.getByTestId('item-total')).toHaveText(`${expected} items`)

    // The acknowledgement and the theme are remembered across reloads.
    await page.getByTestId('theme-toggle').click()
    const scheme = await page.locator('html').getAttribute('data-mantine-color-scheme')
    await page.reload()
    await expect(page.getByTestId('browse-page')).toBeVisible()
    await expect(page.getByRole('dialog', { name: 'Research use only' })).toHaveCount(0)
    await expect(page.locator('html')).toHaveAttribute('data-mantine-color-scheme', scheme!)
    // The footer brings the notice back on demand.
    await page.getByTestId('footer-notice').click()
    await expect(page.getByRole('dialog', { name: 'Research use only' })).toBeVisible()
    await page.getByTestId('notice-ack').click()
  })

  test('filters with counts, full-text search with highlighted matches, the detail pane, a deep link', async ({ appPage: page, serve, browserInstance }) => {
    await importFixture(page, serve.dbFile)

    // Dataset filter, with its count in the option.
    const sad = fixtureCount({ dataset: 'SAD' })
    const sadFinancial = fixtureCount({ dataset: 'SAD', label: 'financial problem' })
    const expert = fixtureCount({ split: 'expert' })
    expect(sad * sadFinancial * expert).toBeGreaterThan(0)
    await pickOption(page, 'filter-dataset', new RegExp(`^SAD\\s*${sad}$`))
    await expect(page.getByTestId('result-count')).toHaveText(items(sad))
    await expect(page).toHaveURL(/dataset=SAD/)
    // Gold label options follow the dataset, with counts.
    await page.getByTestId('filter-label').click()
    await expect(page.getByRole('option', { name: new RegExp(`^financial problem\\s*${sadFinancial}$`) })).toBeVisible()
    await expect(page.getByRole('option', { name: /^yes/ })).toHaveCount(0)
    await page.getByRole('option', { name: /^financial problem/ }).click()
    await page.keyboard.press('Escape')
    await expect(page.getByTestId('result-count')).toHaveText(items(sadFinancial))
    await expect(page.getByTestId('result-row')).toHaveCount(sadFinancial)
    for (const row of await page.getByTestId('result-row').all()) await expect(row).toContainText('financial problem')
    await page.getByTestId('clear-filters').click()
    await expect(page.getByTestId('result-count')).toHaveText(`${IMHI_FIXTURE.items} items`)

    // Split filter.
    await pickOption(page, 'filter-split', new RegExp(`^expert\\s*${expert}$`))
    await expect(page.getByTestId('result-count')).toHaveText(items(expert))
    await page.getByTestId('clear-filters').click()

    // Full-text search: every row shows the match marked, as <mark>, never as injected HTML.
    await page.getByTestId('search-input').fill('sleep')
    await expect(page).toHaveURL(/q=sleep/)
    const rows = page.getByTestId('result-row')
    await expect(rows.first()).toBeVisible()
    const n = await rows.count()
    expect(n).toBeGreaterThan(0)
    await expect(page.getByTestId('result-count')).toHaveText(n === 1 ? '1 item' : `${n} items`)
    for (const row of await rows.all()) await expect(row.locator('mark').first()).toHaveText(/^sleep/i)
    await expect(page.locator('[data-testid="result-row"] mark')).not.toHaveCount(0)

    // Open the first hit: post, question, gold label and explanation side by side, source file and row.
    await rows.first().click()
    const detail = page.getByTestId('item-detail')
    await expect(detail).toBeVisible()
    await expect(page).toHaveURL(/#\/item\/\d+\?q=sleep/)
    await expect(detail.getByTestId('item-post')).toContainText('My mom said "just rest", but')
    await expect(detail.getByTestId('item-post').locator('mark').first()).toHaveText(/^sleep/i)
    await expect(detail.getByTestId('item-question')).toContainText('depression')
    await expect(detail.getByTestId('item-gold-label')).toContainText('yes')
    await expect(detail.getByTestId('item-gold-explanation')).toContainText('persistent low mood')
    await expect(detail.getByTestId('item-source')).toContainText(/DR\.csv/)
    await expect(detail.getByTestId('item-source')).toContainText(/row \d+/)
    const id = await detail.getAttribute('data-item-id')
    await page.screenshot({ path: join(SCREENSHOTS, 'browse.png') })

    // The URL reproduces the view in a fresh tab: the item and the query.
    const context = await browserInstance.newContext({ viewport: { width: 1400, height: 900 } })
    await context.addInitScript(() => localStorage.setItem('imhi-notice-acknowledged', '1'))
    const fresh = await context.newPage()
    await fresh.goto(page.url())
    await expect(fresh.getByTestId('item-detail')).toHaveAttribute('data-item-id', id!)
    await expect(fresh.getByTestId('search-input')).toHaveValue('sleep')
    await expect(fresh.getByTestId('result-count')).toHaveText(n === 1 ? '1 item' : `${n} items`)
    await expect(fresh.locator(`[data-testid="result-row"][data-item-id="${id}"]`)).toHaveAttribute('aria-selected', 'true')

    // A deep link to an item that does not exist says so, and the list still works.
    await fresh.goto(serve.url + '#/item/999999')
    await expect(fresh.getByTestId('item-error')).toContainText('999999')
    await expect(fresh.getByTestId('result-count')).toHaveText(`${IMHI_FIXTURE.items} items`)
    await context.close()

    // A search with no hits.
    await page.getByTestId('search-input').fill('zzzunmatchedzzz')
    await expect(page.getByTestId('no-results')).toBeVisible()
  })

  test('keyboard: / searches, j/k and arrows move, Enter opens, Esc clears', async ({ appPage: page, serve }) => {
    await importFixture(page, serve.dbFile)
    const rows = page.getByTestId('result-row')
    await expect(rows.first()).toBeVisible()

    await page.locator('body').click({ position: { x: 5, y: 5 } })
    await page.keyboard.press('j')
    await expect(rows.nth(0)).toHaveAttribute('aria-selected', 'true')
    await page.keyboard.press('j')
    await page.keyboard.press('ArrowDown')
    await expect(rows.nth(2)).toHaveAttribute('aria-selected', 'true')
    await page.keyboard.press('k')
    await expect(rows.nth(1)).toHaveAttribute('aria-selected', 'true')
    const secondId = await rows.nth(1).getAttribute('data-item-id')
    await page.keyboard.press('Enter')
    await expect(page.getByTestId('item-detail')).toHaveAttribute('data-item-id', secondId!)
    await expect(page).toHaveURL(new RegExp(`#/item/${secondId}`))
    await page.keyboard.press('ArrowUp')
    await page.keyboard.press('ArrowRight')
    await expect(page.getByTestId('item-detail')).toHaveAttribute('data-item-id', (await rows.nth(0).getAttribute('data-item-id'))!)

    // "/" focuses the search box; typing filters; Enter/↓ go back to the list.
    await page.keyboard.press('/')
    await expect(page.getByTestId('search-input')).toBeFocused()
    await page.keyboard.type('hiking')
    await expect(page).toHaveURL(/q=hiking/)
    await expect(rows.first().locator('mark')).toHaveText(/hiking/i)
    await page.keyboard.press('ArrowDown')
    await expect(page.getByTestId('result-list')).toBeFocused()
    await expect(rows.nth(0)).toHaveAttribute('aria-selected', 'true')
    await page.keyboard.press('Enter')
    await expect(page.getByTestId('item-post')).toContainText('Went hiking with friends')

    // Esc clears the search first, then closes the item.
    await page.keyboard.press('Escape')
    await expect(page.getByTestId('search-input')).toHaveValue('')
    await expect(page.getByTestId('result-count')).toHaveText(`${IMHI_FIXTURE.items} items`)
    await expect(page.getByTestId('item-detail')).toBeVisible()
    await page.keyboard.press('Escape')
    await expect(page.getByTestId('no-item')).toBeVisible()
    await expect(page).toHaveURL(/#\/browse$/)

    // Esc inside the search box clears it too.
    await page.keyboard.press('/')
    await page.keyboard.type('rested')
    await expect(page).toHaveURL(/q=rested/)
    await page.keyboard.press('Escape')
    await expect(page.getByTestId('search-input')).toHaveValue('')
    await expect(page).not.toHaveURL(/q=/)

    // Dark theme, for the README.
    await page.getByTestId('theme-toggle').click()
    await page.mouse.move(700, 500)
    await page.keyboard.press('j')
    await page.keyboard.press('Enter')
    await expect(page.getByTestId('item-detail')).toBeVisible()
    await page.screenshot({ path: join(SCREENSHOTS, 'browse-dark.png') })
  })

  test('says when imhi serve goes away, and carries on when it is back', async ({ appPage: page, serve }) => {
    await importFixture(page, serve.dbFile)
    await serve.kill()
    await expect(page.getByTestId('offline')).toBeVisible()
    // A search typed while the server is down waits and is answered once it is back.
    await page.getByTestId('search-input').fill('hiking')
    await serve.restart()
    await expect(page.getByTestId('offline')).toBeHidden({ timeout: 20_000 })
    await expect(page.getByTestId('result-row').first().locator('mark')).toHaveText(/hiking/i)
  })

  test('a snippet with markup is shown as text, never run as HTML', async ({ appPage: page, serve }) => {
    const dir = tempDir()
    const root = join(dir, 'imhi')
    mkdirSync(join(root, 'test_data', 'test_instruction'), { recursive: true })
    const post = 'payload <img src=x onerror="window.__pwned=1"> <b>bold</b> trailing words'
    writeFileSync(
      join(root, 'test_data', 'test_instruction', 'DR.csv'),
      `query,gpt-3.5-turbo\n"Consider this post: ""${post.replace(/"/g, '""')}"" Question: Does the poster suffer from depression?","No, the poster does not suffer from depression. Reasoning: invented."\n`
    )
    imhi(['import', root, '--db', serve.dbFile, '--json'])
    await page.reload()
    await acknowledgeNotice(page)
    await page.getByTestId('search-input').fill('payload')
    const row = page.getByTestId('result-row').first()
    await expect(row).toContainText('<img src=x')
    await expect(row.locator('img')).toHaveCount(0)
    await row.click()
    await expect(page.getByTestId('item-post')).toContainText('<b>bold</b>')
    await expect(page.getByTestId('item-post').locator('b, img')).toHaveCount(0)
    expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined()
  })

  test('stays light with every released item: a handful of rows in the DOM, pages loaded as you scroll', async ({ appPage: page, serve }) => {
    test.skip(!hasSharedImhi, `skipped: ${SHARED_IMHI} not found`)
    test.setTimeout(180_000)
    if (!hasSharedImhi) console.log(`browse e2e: skipped the full-data test: ${SHARED_IMHI} not found`)
    // Imported through the UI, with progress file by file.
    await acknowledgeNotice(page)
    await page.getByTestId('import-path').fill(SHARED_IMHI)
    await page.getByTestId('import-submit').click()
    await expect(page.getByTestId('import-progress')).toContainText(/\d+ of \d+ files · [\d,]+ rows/)
    const reportText = await page.getByTestId('import-report').textContent({ timeout: 60_000 })
    const m = /([\d,]+) new items/.exec(reportText ?? '')
    const r = { added: Number(m![1].replace(/,/g, '')) }
    expect(r.added).toBeGreaterThan(40_000)
    await page.keyboard.press('Escape')
    const count = page.getByTestId('result-count')
    await expect(count).toHaveText(`${r.added.toLocaleString('en-US')} items`)
    const rows = page.getByTestId('result-row')
    await expect(rows.first()).toBeVisible()
    expect(await rows.count()).toBeLessThan(80)

    // Jump to the end: the last page loads, and still only a few rows exist.
    await page.getByTestId('result-list').focus()
    const t0 = Date.now()
    await page.keyboard.press('End')
    const last = page.locator(`#browse-row-${r.added - 1}`)
    await expect(last).toHaveAttribute('data-item-id', /\d+/)
    const endMs = Date.now() - t0
    expect(await rows.count()).toBeLessThan(80)
    console.log(`browse e2e: ${r.added} items, ${await rows.count()} rows in the DOM, End → last row shown in ${endMs} ms`)
    await page.screenshot({ path: join(SCREENSHOTS, 'browse-all.png') })

    // Scroll through the list frame by frame (about 400 px a frame) and time the frames.
    await page.keyboard.press('Home')
    const frames = await page.evaluate(async () => {
      const list = document.querySelector('[data-testid="result-list"]') as HTMLElement
      const times: number[] = []
      let last = performance.now()
      for (let i = 0; i < 300; i++) {
        list.scrollTop += 400
        await new Promise((r) => requestAnimationFrame(() => r(null)))
        const now = performance.now()
        times.push(now - last)
        last = now
      }
      times.sort((a, b) => a - b)
      return { p50: times[Math.floor(times.length * 0.5)], p95: times[Math.floor(times.length * 0.95)], max: times[times.length - 1], rows: list.querySelectorAll('[data-testid="result-row"]').length }
    })
    console.log(`browse e2e: scrolling 300 frames x 400 px: frame p50 ${frames.p50.toFixed(1)} ms, p95 ${frames.p95.toFixed(1)} ms, max ${frames.max.toFixed(1)} ms; ${frames.rows} rows in the DOM`)
    expect(frames.rows).toBeLessThan(80)

    // A search over everything.
    const t1 = Date.now()
    await page.getByTestId('search-input').fill('insomnia')
    await expect(page.getByTestId('result-row').first().locator('mark').first()).toHaveText(/insomnia/i)
    console.log(`browse e2e: search "insomnia" → first highlighted row in ${Date.now() - t1} ms (includes the 200 ms typing pause)`)

    // A word in most posts: the count stops 10,000 past the page and says so; End reaches the bound,
    // and the page there raises it (the list grows as it is read).
    await page.getByTestId('search-input').fill('i')
    await expect(count).toHaveText('10,200+ items')
    await page.screenshot({ path: join(SCREENSHOTS, 'browse-bounded-total.png') })
    await page.getByTestId('result-list').focus()
    await page.keyboard.press('End')
    await expect(count).toHaveText(/^(1\d|2\d),\d{3}\+? items$/)
    await expect(page.locator('#browse-row-10199')).toHaveAttribute('data-item-id', /\d+/)
  })
})
