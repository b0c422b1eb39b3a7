import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { BrowserContext, Page } from '@playwright/test'
import { test, expect, imhi, tempDir, SCREENSHOTS, SHARED_IMHI, hasSharedImhi, type ServeHandle } from './fixtures'
import { writeImhiFixture } from '../test/support/imhi-fixture'
import { writeTinyGguf } from '../test/support/tiny-gguf'
import { axeViolations, formatFindings, type AxeFinding } from './a11y/axe'

/**
 * Accessibility: axe-core's WCAG 2.0/2.1 A and AA rules on every page and state a user reaches, in
 * both themes, against `imhi serve` with a small fixture import (and, where ../shared exists, the
 * released IMHI data). The contexts here bypass the page's CSP so that axe can be injected; no
 * other spec does.
 */

type Theme = 'light' | 'dark'

/** Calls the API as the owner over plain HTTP. */
async function call<T>(serve: ServeHandle, method: string, params: unknown): Promise<T> {
  const res = await fetch(new URL(`/api/call/${method}`, serve.url), {
    method: 'POST',
    headers: { authorization: `Bearer ${serve.token}`, 'content-type': 'application/json' },
    body: JSON.stringify(params)
  })
  const body = (await res.json()) as { result?: T; error?: { message: string } }
  if (!res.ok) throw new Error(`${method}: ${body.error?.message ?? `HTTP ${res.status}`}`)
  return body.result as T
}

async function a11yContext(browser: import('@playwright/test').Browser, theme: Theme, opts: { acknowledged?: boolean; reducedMotion?: 'reduce' | 'no-preference' } = {}): Promise<BrowserContext> {
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 }, bypassCSP: true, colorScheme: theme, reducedMotion: opts.reducedMotion ?? 'no-preference' })
  await context.addInitScript(
    ([t, ack]) => {
      localStorage.setItem('imhi-color-scheme', t)
      if (ack) localStorage.setItem('imhi-notice-acknowledged', '1')
    },
    [theme, opts.acknowledged ?? false] as const
  )
  return context
}

const csvCell = (v: string) => `"${v.replace(/"/g, '""')}"`
/** Model outputs in the benchmark layout (DR: 8 of 10 right, one unmatched), enough for every chart. */
function outputFolder(root: string): string {
  const dir = join(root, 'model_output')
  mkdirSync(dir, { recursive: true })
  const yes = 'Yes, the poster suffers from depression. Reasoning: The poster describes hopelessness.'
  const no = 'No, the poster does not suffer from depression. Reasoning: The poster describes a good week.'
  const rows: [string, string][] = [
    ...Array.from({ length: 5 }, (): [string, string] => [yes, 'Yes, the poster suffers from depression. Reasoning: they feel hopeless.']),
    [yes, 'Reasoning: I cannot tell from this text.'],
    ...Array.from({ length: 3 }, (): [string, string] => [no, 'No, the poster does not suffer from depression. Reasoning: a calm week.']),
    [no, 'Yes, the poster suffers from depression. Reasoning: tired.']
  ]
  writeFileSync(join(dir, 'DR.csv'), ['goldens,generated_text', ...rows.map(([g, t]) => `${csvCell(g)},${csvCell(t)}`)].join('\n') + '\n')
  return dir
}

interface StudySetup {
  studyId: number
  /** The annotator who rates in the browser (the other two have rated everything through the API). */
  raterId: number
}

/**
 * A study of 3 DR posts (and, with `withNotice`, the fixture's 2 CAMS posts, which always carry a
 * content notice), 3 annotators each; two have rated every aspect (so agreement has figures).
 */
async function seedStudy(serve: ServeHandle, opts: { withNotice?: boolean } = {}): Promise<StudySetup> {
  const sources = [{ kind: 'gold', dataset: 'DR', split: 'test_instruction' }]
  if (opts.withNotice) sources.push({ kind: 'gold', dataset: 'CAMS', split: 'test_instruction' })
  const study = await call<{ id: number }>(serve, 'annotation.createStudy', {
    name: 'Accessibility study',
    sources,
    sampleSize: 3,
    annotatorsPerItem: 3,
    annotators: ['ana', 'ben', 'cam'],
    guidelines: 'Rate the explanation, not the post.',
    seed: 7
  })
  const people = await call<{ id: number; name: string }[]>(serve, 'annotation.annotators', {})
  const id = (name: string) => people.find((p) => p.name === name)!.id
  for (const [who, offset] of [['ana', 0], ['ben', 1]] as const) {
    const queue = await call<{ entries: { studyItemId: number }[]; study: { aspects: { key: string; max: number }[] } }>(serve, 'annotation.queue', { studyId: study.id, annotatorId: id(who) })
    for (const [i, e] of queue.entries.entries()) {
      for (const a of queue.study.aspects) {
        await call(serve, 'annotation.rate', { studyId: study.id, annotatorId: id(who), studyItemId: e.studyItemId, aspect: a.key, score: (i + offset) % (a.max + 1), seconds: 5 })
      }
    }
  }
  return { studyId: study.id, raterId: id('cam') }
}

/** Collects axe findings state by state; the test fails at the end with all of them listed. */
class Audit {
  readonly findings: AxeFinding[] = []
  readonly states: string[] = []
  constructor(
    private readonly page: Page,
    private readonly theme: Theme
  ) {}
  async check(state: string): Promise<void> {
    const label = `${this.theme}: ${state}`
    this.states.push(label)
    this.findings.push(...(await axeViolations(this.page, label)))
  }
  async shot(name: string): Promise<void> {
    await this.page.screenshot({ path: join(SCREENSHOTS, `a11y-${this.theme}-${name}.png`) })
  }
  assertClean(): void {
    const list = formatFindings(this.findings)
    expect(this.findings.length, `axe-core WCAG 2.1 A/AA violations (${this.states.length} states checked):\n${list}`).toBe(0)
  }
}

/** Opens a hash route afresh (the page reads the database anew). */
async function go(page: Page, serve: ServeHandle, hash: string): Promise<void> {
  await page.goto(`${serve.url}#${hash}`)
  await page.reload()
}

async function walkEverything(page: Page, serve: ServeHandle, theme: Theme): Promise<Audit> {
  const audit = new Audit(page, theme)
  const data = tempDir('imhi-a11y-data-')

  // First run: the research-use notice, then the empty database's import screen.
  await page.goto(serve.url)
  await expect(page.getByRole('dialog', { name: 'Research use only' })).toBeVisible()
  await audit.check('research-use notice (first run)')
  await audit.shot('notice')
  await page.getByTestId('notice-ack').click()
  await expect(page.getByTestId('first-run')).toBeVisible()
  await audit.check('first run, empty database')
  // An import through the UI, with its per-file report.
  const root = writeImhiFixture(data)
  await page.getByTestId('import-path').fill(root)
  await page.getByTestId('import-submit').click()
  await expect(page.getByTestId('import-report')).toBeVisible({ timeout: 60_000 })
  await audit.check('import report')

  // The rest of the data: a model, a study with ratings, model outputs to evaluate.
  const model = writeTinyGguf(join(data, 'imhi-tiny.gguf'), { contextLength: 4096 })
  imhi(['models', 'add', model, '--db', serve.dbFile])
  const { studyId, raterId } = await seedStudy(serve, { withNotice: true })
  const outputs = outputFolder(data)

  // Browse: the list, a search with highlights, an open item, the import dialog.
  await go(page, serve, '/browse')
  await expect(page.getByTestId('result-row').first()).toBeVisible()
  await audit.check('browse')
  await audit.shot('browse')
  await page.getByTestId('search-input').fill('sleep')
  await expect(page.getByTestId('result-row').first().locator('mark').first()).toBeVisible()
  await page.getByTestId('result-row').first().click()
  await expect(page.getByTestId('item-detail')).toBeVisible()
  await audit.check('browse: search with highlights and an open item')
  await audit.shot('item')
  await page.getByTestId('open-import').click()
  await expect(page.getByRole('dialog', { name: 'Import IMHI data' })).toBeVisible()
  await audit.check('import dialog')
  await page.keyboard.press('Escape')
  await expect(page.getByRole('dialog', { name: 'Import IMHI data' })).toBeHidden()
  await page.getByTestId('footer-notice').click()
  await expect(page.getByRole('dialog', { name: 'Research use only' })).toBeVisible()
  await audit.check('research-use notice (from the footer)')
  await page.keyboard.press('Escape')

  // Models.
  await go(page, serve, '/models')
  await expect(page.getByTestId('models-table')).toContainText('imhi-tiny.gguf')
  await audit.check('models')
  await audit.shot('models')

  // Runs: a run in progress (tokens/s and ETA live), then cancelled.
  const models = await call<{ id: number }[]>(serve, 'inference.models.list', {})
  const run = await call<{ id: number }>(serve, 'inference.runs.create', { modelId: models[0].id, datasets: ['DR'], split: 'test_instruction', parallel: 1, params: { maxTokens: 3000 } })
  try {
    await go(page, serve, '/runs')
    await expect(page.getByTestId(`run-status-${run.id}`)).toHaveText('running', { timeout: 60_000 })
    await expect(page.getByTestId(`run-progress-${run.id}`)).toContainText(/tokens\/s/, { timeout: 60_000 })
    await audit.check('runs: a run in progress')
    await audit.shot('run-progress')
  } finally {
    await call(serve, 'inference.runs.cancel', { id: run.id }).catch(() => {})
  }

  // Evaluate: the dashboard with its charts, then the other tabs.
  await go(page, serve, '/evaluate')
  await expect(page.getByTestId('evaluate-page')).toBeVisible()
  await audit.check('evaluate: empty')
  await page.getByText('An output folder / CSV').click()
  await page.getByTestId('outputs-path').fill(outputs)
  await page.getByTestId('evaluate-button').click()
  await expect(page.getByTestId('metrics-table')).toBeVisible({ timeout: 60_000 })
  await page.getByTestId('metrics-row-DR').click()
  await expect(page.getByTestId('chart-confusion')).toBeVisible()
  await expect(page.getByTestId('chart-labels').locator('.recharts-bar-rectangle').first()).toBeVisible()
  await audit.check('evaluate: dashboard with charts')
  // Each chart's numbers, as a table under its "Show the numbers" disclosure (the text alternative).
  for (const chart of ['chart-confusion', 'chart-labels', 'chart-scores']) {
    await page.getByTestId(chart).getByText('Show the numbers').click()
    await expect(page.getByTestId(chart).getByRole('table')).toBeVisible()
  }
  // The same numbers as the heat map draws (DR: 3 no→no, 1 no→yes; 5 yes→yes, 1 yes→ood).
  await expect(page.getByTestId('chart-confusion').getByRole('table').locator('tbody tr')).toHaveText(['no310', 'yes051'])
  await audit.check('evaluate: charts with their numbers shown')
  await page.screenshot({ path: join(SCREENSHOTS, `a11y-${theme}-evaluate.png`), fullPage: true })
  // A second evaluation, compared side by side with the first (a bar chart per dataset).
  await page.getByTestId('outputs-path').fill(outputFolder(tempDir('imhi-a11y-b-')))
  await page.getByTestId('evaluate-button').click()
  await expect(page.getByTestId('evaluation-select')).toHaveValue(/#2/, { timeout: 60_000 })
  await page.getByTestId('compare-select').click()
  await page.getByRole('option').first().click()
  await expect(page.getByTestId('chart-compare')).toBeVisible()
  await page.getByTestId('chart-compare').getByText('Show the numbers').click()
  await audit.check('evaluate: side by side')
  for (const tab of ['Classifiers', 'Agreement with people', 'Definitions']) {
    await page.getByRole('tab', { name: tab }).click()
    await audit.check(`evaluate: ${tab} tab`)
  }

  // Annotate: the list, the two dialogs, the study page and each tab.
  await go(page, serve, '/annotate')
  await expect(page.getByTestId('study-table')).toBeVisible()
  await audit.check('annotate: studies')
  await page.getByTestId('new-study').click()
  await expect(page.getByTestId('study-name')).toBeVisible()
  await audit.check('annotate: new study dialog')
  await page.keyboard.press('Escape')
  await expect(page.getByTestId('study-name')).toBeHidden()
  await page.getByTestId('import-ratings').click()
  await expect(page.getByTestId('import-path')).toBeVisible()
  await audit.check('annotate: import ratings dialog')
  await page.keyboard.press('Escape')
  await expect(page.getByTestId('import-path')).toBeHidden()

  await go(page, serve, `/annotate/study/${studyId}`)
  await expect(page.getByTestId('progress-table')).toContainText('cam')
  await audit.check('study: progress tab')
  await audit.shot('study')
  for (const tab of ['Agreement', 'Export', 'Packages', 'Guidelines']) {
    await page.getByRole('tab', { name: new RegExp(`^${tab}`) }).click()
    await audit.check(`study: ${tab} tab`)
  }

  // The rating screen: a content notice (if the first post carries one), rating, and its dialogs.
  await go(page, serve, `/annotate/rate/${studyId}?annotator=${raterId}`)
  const screen = page.getByTestId('rating-screen')
  await expect(screen).toHaveAttribute('data-loaded', '1')
  // Arrow right to the first post behind a content notice (a CAMS post), check it, show it.
  for (let i = 0; i < 5 && (await screen.getAttribute('data-notice')) !== '1'; i++) {
    await page.keyboard.press('ArrowRight')
    await expect(screen).toHaveAttribute('data-pos', String(i + 1))
    await expect(screen).toHaveAttribute('data-loaded', '1')
  }
  await expect(page.getByTestId('content-notice')).toBeVisible()
  await audit.check('rating screen: content notice')
  await page.keyboard.press('Enter')
  await expect(page.getByTestId('explanation-text')).toBeVisible()
  await page.keyboard.press('2')
  await expect(page.getByTestId('save-state')).toHaveText('all saved')
  await audit.check('rating screen')
  await audit.shot('rating')
  await page.keyboard.press('?')
  await expect(page.getByRole('dialog', { name: 'Rating keys' })).toBeVisible()
  await audit.check('rating screen: keys dialog')
  await page.keyboard.press('Escape')
  await expect(page.getByRole('dialog', { name: 'Rating keys' })).toBeHidden()
  await page.keyboard.press('g')
  await expect(page.getByRole('dialog', { name: 'Guidelines' })).toBeVisible()
  await audit.check('rating screen: guidelines dialog')
  await page.keyboard.press('Escape')
  await expect(page.getByRole('dialog', { name: 'Guidelines' })).toBeHidden()
  await page.keyboard.press('n')
  await expect(page.getByTestId('note-input')).toBeVisible()
  await page.getByTestId('note-input').pressSequentially('unclear')
  await audit.check('rating screen: note dialog')
  await page.keyboard.press('Escape')
  await expect(page.getByTestId('note-input')).toBeHidden()
  return audit
}

test.describe('Accessibility (axe-core, WCAG 2.1 A/AA)', () => {
  for (const theme of ['light', 'dark'] as const) {
    test(`every page and state, ${theme} theme`, async ({ browserInstance, serve }) => {
      test.setTimeout(300_000)
      const context = await a11yContext(browserInstance, theme)
      const page = await context.newPage()
      try {
        const audit = await walkEverything(page, serve, theme)
        audit.assertClean()
      } finally {
        await context.close()
      }
    })
  }
})

test.describe('Accessibility with the released IMHI data', () => {
  test('browse, an item, the released example outputs evaluated and the DR human ratings, both themes', async ({ browserInstance, serve }) => {
    test.skip(!hasSharedImhi, `skipped: ${SHARED_IMHI} not found (../shared is beside the repo on the project's machines and in CI)`)
    test.setTimeout(420_000)
    imhi(['import', SHARED_IMHI, '--db', serve.dbFile, '--json'])
    for (const f of ['chatgpt_data', 'gpt3_data']) {
      imhi(['annotations', 'import', join(SHARED_IMHI, 'human_evaluation', 'DR_annotation', `${f}.csv`), '--db', serve.dbFile, '--study', 'DR human evaluation'])
    }
    const findings: AxeFinding[] = []
    for (const theme of ['light', 'dark'] as const) {
      const context = await a11yContext(browserInstance, theme, { acknowledged: true })
      const page = await context.newPage()
      try {
        const check = async (state: string) => findings.push(...(await axeViolations(page, `${theme}: released data: ${state}`)))
        await go(page, serve, '/browse')
        await expect(page.getByTestId('result-row').first()).toBeVisible()
        await check('browse')
        await page.getByTestId('search-input').fill('sleep')
        await expect(page.getByTestId('result-row').first().locator('mark').first()).toBeVisible()
        await page.getByTestId('result-row').first().click()
        await expect(page.getByTestId('item-detail')).toBeVisible()
        await check('search and an open item')
        await go(page, serve, '/evaluate')
        await page.getByText('An output folder / CSV').click()
        await page.getByTestId('outputs-path').fill(join(SHARED_IMHI, 'examples', 'response_generation_examples'))
        await page.getByTestId('evaluate-button').click()
        await expect(page.getByTestId('metrics-table')).toBeVisible({ timeout: 120_000 })
        await page.getByTestId('metrics-table').locator('tbody tr').first().click()
        await expect(page.getByTestId('dataset-detail')).toBeVisible()
        await check('evaluation of the released example outputs')
        const studies = await call<{ id: number }[]>(serve, 'annotation.studies', {})
        expect(studies).toHaveLength(1)
        await go(page, serve, `/annotate/study/${studies[0].id}`)
        await expect(page.getByTestId('progress-table')).toBeVisible()
        await check('DR human ratings: progress')
        await page.getByTestId('tab-agreement').click()
        await expect(page.getByTestId('disagreements')).toBeVisible()
        await check('DR human ratings: agreement and disagreements')
      } finally {
        await context.close()
      }
    }
    expect(findings.length, formatFindings(findings)).toBe(0)
  })
})

test.describe('Accessibility of the rating screen (keyboard only, screen reader)', () => {
  test('a rating session by keyboard alone: announcements, focus that follows the work, the accessibility tree', async ({ browserInstance, serve }) => {
    imhi(['import', writeImhiFixture(tempDir('imhi-a11y-kb-')), '--db', serve.dbFile])
    const { studyId, raterId } = await seedStudy(serve)
    const context = await a11yContext(browserInstance, 'light', { acknowledged: true })
    const page = await context.newPage()
    try {
      await go(page, serve, `/annotate/rate/${studyId}?annotator=${raterId}`)
      const screen = page.getByTestId('rating-screen')
      const announcer = page.getByTestId('rating-announcer')
      await expect(screen).toHaveAttribute('data-loaded', '1')
      if ((await screen.getAttribute('data-notice')) === '1') {
        await expect(announcer).toHaveText(/Content notice/)
        await page.keyboard.press('Enter')
      }
      // The live region names the item, the aspect and its scale.
      await expect(announcer).toHaveText(/^Item 1 of 3, 0 done\. Rate Fluency, 0 to 3: press a digit\.$/)
      await expect(page.getByTestId('save-state')).toHaveAttribute('role', 'status')

      // Tab from the top of the page reaches the score buttons in reading order: header, post,
      // explanation, then the aspects (fluency first).
      await page.locator('body').focus()
      const order: string[] = []
      for (let i = 0; i < 40; i++) {
        await page.keyboard.press('Tab')
        const where = await page.evaluate(() => {
          const el = document.activeElement as HTMLElement | null
          if (!el) return ''
          const group = el.closest('[role="group"][data-aspect]')
          return `${el.getAttribute('aria-label') ?? el.textContent?.trim().slice(0, 30) ?? ''}${group ? ` @${group.getAttribute('data-aspect')}` : ''}`
        })
        order.push(where)
        if (where.endsWith('@fluency')) break
      }
      const at = (re: RegExp) => order.findIndex((x) => re.test(x))
      expect(at(/^Post$/), order.join(' | ')).toBeGreaterThan(at(/^Keys/))
      expect(at(/^Explanation to rate$/)).toBe(at(/^Post$/) + 1)
      expect(order.at(-1)).toBe('0 @fluency')

      // Rate fluency with the buttons alone (arrow along with Tab, Space to press): focus moves on to
      // completeness, the live region says the score and what comes next, the save state says saved.
      await page.keyboard.press('Tab')
      await page.keyboard.press('Tab')
      await page.keyboard.press('Space')
      await expect(page.getByTestId('score-fluency-2')).toHaveAttribute('aria-pressed', 'true')
      await expect(announcer).toHaveText('Fluency: 2 of 3. Rate Completeness, 0 to 3: press a digit.')
      await expect(page.getByTestId('save-state')).toHaveText('all saved')
      await expect(page.locator(':focus')).toHaveAttribute('data-testid', 'score-completeness-0')

      // Digits work while a score button has focus; after the last aspect the next item comes, and
      // focus follows onto its first aspect.
      await page.keyboard.press('3')
      await expect(announcer).toHaveText('Completeness: 3 of 3. Rate Reliability, 0 to 3: press a digit.')
      await page.keyboard.press('1')
      await page.keyboard.press('2')
      await expect(screen).toHaveAttribute('data-pos', '1')
      await expect(screen).toHaveAttribute('data-loaded', '1')
      if ((await screen.getAttribute('data-notice')) === '1') await page.keyboard.press('Enter')
      await expect(announcer).toHaveText(/Item 2 of 3, 1 done\. Rate Fluency, 0 to 3: press a digit\.$/)
      await expect(page.locator(':focus')).toHaveAttribute('data-testid', 'score-fluency-0')

      // Undo is announced too.
      await page.keyboard.press('u')
      await expect(announcer).toHaveText(/Overall: rating removed\./)
      await page.keyboard.press('2')
      await expect(screen).toHaveAttribute('data-pos', '1')

      // The rating screen as a screen reader sees it (item 2: fluency rated 1, completeness current).
      await page.keyboard.press('1')
      await expect(screen).toHaveAttribute('data-aspect', 'completeness')
      await expect(page.getByTestId('save-state')).toHaveText('all saved')
      await expect(page.getByTestId('rating-screen')).toMatchAriaSnapshot(`
        - button "← Studies"
        - heading "Accessibility study" [level=5]
        - textbox "Rating as": rating as cam
        - img
        - paragraph: 1 / 3 done
        - status: all saved
        - button "Guidelines G"
        - button "Keys ?"
        - progressbar "Items done"
        - button "← prev"
        - paragraph: Item 2 of 3
        - button "next →"
        - paragraph: F flag N note S skip U undo
        - paragraph: Post
        - region "Post":
          - paragraph: /.+/
        - paragraph: Explanation to rate
        - region "Explanation to rate":
          - paragraph: /.+/
        - group "Fluency, 0 to 3":
          - paragraph: Fluency
          - button "0"
          - button "1" [pressed]
          - button "2"
          - button "3"
        - group "Completeness, 0 to 3":
          - paragraph: ▸ Completeness
          - button "0"
          - button "1"
          - button "2"
          - button "3"
        - group "Reliability, 0 to 3":
          - paragraph: Reliability
          - button "0"
          - button "1"
          - button "2"
          - button "3"
        - group "Overall, 0 to 3":
          - paragraph: Overall
          - button "0"
          - button "1"
          - button "2"
          - button "3"
        - paragraph: "Completeness: press a digit"
        - paragraph: "0 : no explanation of the decision at all"
        - paragraph: "1 : mentions the decision but hardly supports it with the post"
        - paragraph: "2 : supports the decision with some evidence from the post, missing important points"
        - paragraph: "3 : fully explains the decision with the relevant evidence from the post"
        - paragraph: /If you or someone you know is in crisis/
        - status: "Fluency: 1 of 3. Rate Completeness, 0 to 3: press a digit."
      `)
      await page.screenshot({ path: join(SCREENSHOTS, 'a11y-keyboard-rating.png') })
      const violations = await axeViolations(page, 'keyboard session: rating screen')
      expect(violations, formatFindings(violations)).toEqual([])
    } finally {
      await context.close()
    }
  })
})

test.describe('Accessibility: the user\u2019s settings (reduced motion, 200% zoom, high contrast)', () => {
  /** Seconds of the longest transition or animation on any element of the page. */
  const longestMotion = (page: Page) =>
    page.evaluate(() => {
      const secs = (v: string) => Math.max(...v.split(',').map((x) => (x.trim().endsWith('ms') ? parseFloat(x) / 1000 : parseFloat(x)) || 0))
      let longest = 0
      for (const el of document.querySelectorAll('*')) {
        const cs = getComputedStyle(el)
        longest = Math.max(longest, secs(cs.transitionDuration), cs.animationName === 'none' ? 0 : secs(cs.animationDuration))
      }
      return longest
    })

  test('reduced motion: no transitions or animations; without it the modal fades', async ({ browserInstance, serve }) => {
    for (const motion of ['no-preference', 'reduce'] as const) {
      const context = await a11yContext(browserInstance, 'light', { reducedMotion: motion })
      const page = await context.newPage()
      await page.goto(serve.url)
      await expect(page.getByRole('dialog', { name: 'Research use only' })).toBeVisible()
      const longest = await longestMotion(page)
      if (motion === 'reduce') expect(longest, 'longest transition/animation with reduced motion (s)').toBeLessThanOrEqual(0.001)
      else expect(longest).toBeGreaterThan(0.05)
      await context.close()
    }
  })

  test('200% zoom: every page fits the width, nothing is cut off, the rating keys still work', async ({ browserInstance, serve }) => {
    imhi(['import', writeImhiFixture(tempDir('imhi-a11y-zoom-')), '--db', serve.dbFile])
    const { studyId, raterId } = await seedStudy(serve)
    // 200% zoom of a 1400 x 900 window: a 700 x 450 CSS-pixel viewport at device scale 2.
    const context = await browserInstance.newContext({ viewport: { width: 700, height: 450 }, deviceScaleFactor: 2, bypassCSP: true })
    await context.addInitScript(() => localStorage.setItem('imhi-notice-acknowledged', '1'))
    const page = await context.newPage()
    try {
      const findings: AxeFinding[] = []
      const overflow = () => page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth)
      for (const [name, hash, ready] of [
        ['browse', '/browse', 'result-row'],
        ['evaluate', '/evaluate', 'evaluate-page'],
        ['study', `/annotate/study/${studyId}`, 'progress-table'],
        ['rating', `/annotate/rate/${studyId}?annotator=${raterId}`, 'rating-screen']
      ] as const) {
        await go(page, serve, hash)
        await expect(page.getByTestId(ready).first()).toBeVisible()
        await page.screenshot({ path: join(SCREENSHOTS, `a11y-zoom200-${name}.png`) })
        expect(await overflow(), `${name}: the page scrolls sideways at 200% zoom`).toBeLessThanOrEqual(0)
        // Every section stays reachable from the navigation.
        for (const s of ['Browse', 'Models', 'Runs', 'Evaluate', 'Annotate']) await expect(page.getByRole('link', { name: new RegExp(`^${s}`) })).toBeInViewport()
        findings.push(...(await axeViolations(page, `200% zoom: ${name}`)))
      }
      // The rating screen at 200%: the score buttons can be scrolled to and used; keys rate.
      const screen = page.getByTestId('rating-screen')
      if ((await screen.getAttribute('data-notice')) === '1') await page.keyboard.press('Enter')
      // Its header wraps instead of pushing the save state and the help buttons out of view.
      for (const b of [page.getByRole('button', { name: /Studies/ }), page.getByTestId('save-state'), page.getByRole('button', { name: /Guidelines/ }), page.getByTestId('open-hotkeys')]) await expect(b).toBeInViewport({ ratio: 1 })
      await page.getByTestId('score-fluency-2').scrollIntoViewIfNeeded()
      await expect(page.getByTestId('score-fluency-2')).toBeInViewport()
      await page.keyboard.press('2')
      await expect(page.getByTestId('score-fluency-2')).toHaveAttribute('aria-pressed', 'true')
      await expect(page.getByTestId('save-state')).toHaveText('all saved')
      expect(findings, formatFindings(findings)).toEqual([])
    } finally {
      await context.close()
    }
  })

  test('high-contrast mode (forced colors): selection, pressed scores and focus keep a visible outline', async ({ browserInstance, serve }) => {
    imhi(['import', writeImhiFixture(tempDir('imhi-a11y-hc-')), '--db', serve.dbFile])
    const { studyId, raterId } = await seedStudy(serve)
    const context = await browserInstance.newContext({ viewport: { width: 1400, height: 900 }, forcedColors: 'active', colorScheme: 'dark' })
    await context.addInitScript(() => localStorage.setItem('imhi-notice-acknowledged', '1'))
    const page = await context.newPage()
    try {
      await go(page, serve, `/annotate/rate/${studyId}?annotator=${raterId}`)
      expect(await page.evaluate(() => matchMedia('(forced-colors: active)').matches)).toBe(true)
      const screen = page.getByTestId('rating-screen')
      await expect(screen).toHaveAttribute('data-loaded', '1')
      if ((await screen.getAttribute('data-notice')) === '1') await page.keyboard.press('Enter')
      await page.keyboard.press('2')
      const pressed = page.getByTestId('score-fluency-2')
      await expect(pressed).toHaveAttribute('aria-pressed', 'true')
      // In forced colors backgrounds are flattened: the pressed score and the current aspect are
      // marked by an outline in the system highlight colour instead.
      await expect(pressed).toHaveCSS('outline-style', 'solid')
      await expect(page.locator('[role="group"][aria-current="true"]')).toHaveCSS('outline-style', 'solid')
      await expect(page.getByTestId('score-fluency-1')).toHaveCSS('outline-style', 'none')
      await page.keyboard.press('Tab')
      await expect(page.locator(':focus-visible')).toHaveCSS('outline-style', 'solid')
      await page.screenshot({ path: join(SCREENSHOTS, 'a11y-forced-colors-rating.png') })
    } finally {
      await context.close()
    }
  })
})
