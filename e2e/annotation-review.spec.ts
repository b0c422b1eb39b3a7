import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import Papa from 'papaparse'
import { test, expect, startServe, tempDir, SCREENSHOTS, type ServeHandle } from './fixtures'
import { openDatabase } from '../src/main/db/open'
import { seedBenchmark } from '../test/annotation/helpers'
import { defaultAspectsOn } from '../src/shared/api/annotation'

async function call<T>(serve: ServeHandle, method: string, params: unknown): Promise<T> {
  const res = await fetch(new URL(`/api/call/${method}`, serve.url), {
    method: 'POST',
    headers: { authorization: `Bearer ${serve.token}`, 'content-type': 'application/json' },
    body: JSON.stringify(params)
  })
  const body = (await res.json()) as { result?: T; error?: { message: string } }
  if (!res.ok) throw new Error(body.error?.message ?? `HTTP ${res.status}`)
  return body.result as T
}

const ASPECTS = ['fluency', 'completeness', 'reliability', 'overall']

test.describe("The lead's review, adjudication and charts (Chromium against imhi serve)", () => {
  test('a 1-5 study: a disagreement reviewed and adjudicated, a second lead refused, exports, charts', async ({ browserInstance }) => {
    const dir = tempDir()
    const dbFile = join(dir, 'review.db')
    const db = openDatabase(dbFile)
    seedBenchmark(db, 6)
    db.close()
    const serve = await startServe(dbFile, dir)
    const context = await browserInstance.newContext({ viewport: { width: 1400, height: 900 }, acceptDownloads: true })
    await context.addInitScript(() => localStorage.setItem('imhi-notice-acknowledged', '1'))
    const page = await context.newPage()
    try {
      const study = await call<{ id: number; annotatorProgress: { id: number; name: string }[] }>(serve, 'annotation.createStudy', {
        name: 'Likert review',
        sources: [{ kind: 'gold', dataset: 'DR', split: 'test_instruction' }],
        sampleSize: 4,
        annotatorsPerItem: 3,
        annotators: ['ana', 'ben', 'cy'],
        aspects: defaultAspectsOn(1, 5),
        seed: 11
      })
      const [ana, ben, cy] = study.annotatorProgress
      const queue = await call<{ entries: { studyItemId: number }[] }>(serve, 'annotation.queue', { studyId: study.id, annotatorId: ana.id })
      const items = queue.entries.map((e) => e.studyItemId)
      const rateAll = async (who: number, item: number, scores: number[]) => {
        for (const [k, aspect] of ASPECTS.entries()) await call(serve, 'annotation.rate', { studyId: study.id, annotatorId: who, studyItemId: item, aspect, score: scores[k] })
      }
      // ana finishes her queue; ben and cy rate the first item, far apart on overall.
      for (const it of items) await rateAll(ana.id, it, [4, 4, 4, it === items[0] ? 1 : 4])
      await rateAll(ben.id, items[0], [4, 4, 3, 5])
      await rateAll(cy.id, items[0], [4, 3, 3, 4])
      await call(serve, 'annotation.setItemState', { studyId: study.id, annotatorId: ben.id, studyItemId: items[0], flagged: true, note: 'overall: ana and I must have read different rubrics' })
      // A rating off the 1-5 scale is refused.
      await expect(call(serve, 'annotation.rate', { studyId: study.id, annotatorId: cy.id, studyItemId: items[1], aspect: 'overall', score: 0 })).rejects.toThrow(/outside Overall's scale 1-5/)
      const rawBefore = JSON.stringify(readRatings(dbFile))

      // The Progress tab says ana has finished (not "Resumes at item 1").
      await page.goto(serve.url + `#/annotate/study/${study.id}`)
      await expect(page.getByTestId('resume-ana')).toHaveText('finished')
      await expect(page.getByTestId('resume-ben')).toHaveText(/^item [1-4]$/) // ben rated one of his four

      // Review tab: the disagreement on overall comes first; open it from the keyboard.
      await page.getByTestId('tab-review').focus()
      await page.keyboard.press('Enter')
      await expect(page.getByTestId('review-list-disagreements')).toContainText('overall: ana 1, ben 5, cy 4 (range 4)')
      await expect(page.getByTestId('review-list-flagged')).toContainText('ben')
      await expect(page.getByTestId('review-list-notes')).toContainText('read different rubrics')
      await page.screenshot({ path: join(SCREENSHOTS, 'annotation-review-lists.png'), fullPage: true })
      await page.getByTestId('review-open-disagreements-0').focus()
      await page.keyboard.press('Enter')
      const view = page.getByTestId('review-view')
      await expect(view).toBeVisible()
      await expect(page.getByTestId('review-row-ana')).toContainText('1')
      await expect(page.getByTestId('review-row-ben')).toContainText('read different rubrics')
      await expect(page.getByTestId('review-row-ben')).toContainText('flagged')
      await expect(page.getByTestId('review-post')).toContainText('Post')

      // A second lead opens the same item in another tab before the first decides.
      const other = await context.newPage()
      await other.goto(page.url())
      await expect(other.getByTestId('review-view')).toBeVisible()

      // The first lead keeps cy's overall, resolves completeness to 4, gives a reason, Ctrl+Enter.
      await page.getByTestId('decide-overall').selectOption({ label: "keep cy's 4" })
      await page.getByTestId('decide-completeness').selectOption('s:4')
      await page.getByTestId('decide-lead').fill('Dr Lee')
      await page.getByTestId('decide-reason').focus()
      await page.keyboard.type('ana used the 0-3 rubric by mistake')
      await page.screenshot({ path: join(SCREENSHOTS, 'annotation-review-item.png'), fullPage: true })
      await page.keyboard.press('Control+Enter')
      await expect(page.getByTestId('review-adjudicated-row')).toContainText('4 (cy)')
      const adj = readAdjudications(dbFile)
      expect(adj.map((a) => [a.aspect, a.score, a.lead, a.reason])).toEqual([
        ['completeness', 4, 'Dr Lee', 'ana used the 0-3 rubric by mistake'],
        ['overall', 4, 'Dr Lee', 'ana used the 0-3 rubric by mistake']
      ])
      expect(JSON.stringify(readRatings(dbFile))).toBe(rawBefore)

      // The second lead, still on the old revision, is told; nothing of theirs is stored.
      await other.getByTestId('decide-overall').selectOption('s:5')
      await other.getByTestId('decide-lead').fill('Dr Kim')
      await other.getByTestId('decide-reason').fill('ben is right')
      await other.getByTestId('decide-save').click()
      await expect(other.getByTestId('decide-error')).toContainText(/adjudicated meanwhile by Dr Lee.*Nothing was stored/)
      await other.screenshot({ path: join(SCREENSHOTS, 'annotation-review-conflict.png') })
      expect(readAdjudications(dbFile)).toEqual(adj)
      await other.getByTestId('decide-reload').click()
      await expect(other.getByTestId('review-adjudicated-row')).toContainText('4 (cy)')
      await other.close()

      // Esc goes back to the lists; the item is marked adjudicated there.
      await page.locator('body').click({ position: { x: 5, y: 5 } })
      await page.keyboard.press('Escape')
      await expect(page.getByTestId('review-summary')).toContainText('1 of 4 items adjudicated')

      // Exports: the adjudicated layout, the adjudicated column of the long layout; agreement on the raw ratings.
      const adjCsv = await call<{ text: string }>(serve, 'annotation.export', { studyId: study.id, format: 'adjudicated' })
      const adjRows = Papa.parse<Record<string, string>>(adjCsv.text, { header: true, skipEmptyLines: true }).data
      expect(adjRows.map((r) => [r.aspect, r.adjudicated, r.kept_annotator, r.lead, r.raw_scores])).toEqual([
        ['completeness', '4', '', 'Dr Lee', 'ana=4; ben=4; cy=3'],
        ['overall', '4', 'cy', 'Dr Lee', 'ana=1; ben=5; cy=4']
      ])
      const long = await call<{ text: string }>(serve, 'annotation.export', { studyId: study.id, format: 'long' })
      const longRows = Papa.parse<Record<string, string>>(long.text, { header: true, skipEmptyLines: true }).data
      const overall = longRows.filter((r) => r.item_id === adjRows[0].item_id && r.aspect === 'overall')
      expect(overall.map((r) => [r.annotator, r.score, r.adjudicated, r.scale_min, r.scale_max])).toEqual([
        ['ana', '1', '4', '1', '5'],
        ['ben', '5', '4', '1', '5'],
        ['cy', '4', '4', '1', '5']
      ])
      const imhiCsv = await call<{ text: string }>(serve, 'annotation.export', { studyId: study.id, format: 'imhi' })
      expect(imhiCsv.text).toContain('"[1, 5, 4]"')
      const agreement = await call<{ aspects: Record<string, { ratings: number; mean: number }> }>(serve, 'annotation.agreement', { studyId: study.id })
      expect(agreement.aspects.overall.ratings).toBe(6)
      expect(agreement.aspects.overall.mean).toBeCloseTo((1 + 5 + 4 + 4 + 4 + 4) / 6, 9)

      // Charts: four charts, alpha with its interval, PNG and SVG export like the evaluation charts.
      await page.getByTestId('tab-charts').focus()
      await page.keyboard.press('Enter')
      await expect(page.getByTestId('chart-distribution').locator('svg.recharts-surface').first()).toBeVisible()
      await expect(page.getByTestId('chart-alpha')).toBeVisible()
      await expect(page.getByTestId('chart-time')).toBeVisible()
      await expect(page.getByTestId('chart-progress')).toBeVisible()
      await expect(page.getByTestId('alpha-ci-text')).toContainText(/overall -?\d\.\d{3} \[-?\d\.\d{3}, -?\d\.\d{3}\]/)
      await page.screenshot({ path: join(SCREENSHOTS, 'annotation-charts.png'), fullPage: true })
      const [svgDownload] = await Promise.all([page.waitForEvent('download'), page.getByTestId('chart-alpha').getByRole('button', { name: 'SVG' }).click()])
      expect(svgDownload.suggestedFilename()).toBe(`study${study.id}-alpha.svg`)
      expect(readFileSync((await svgDownload.path())!, 'utf8')).toMatch(/^<svg[^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/)
      const [pngDownload] = await Promise.all([page.waitForEvent('download'), page.getByTestId('chart-distribution').getByRole('button', { name: 'PNG' }).click()])
      expect(readFileSync((await pngDownload.path())!).subarray(1, 4).toString()).toBe('PNG')

      // The rating screen of a 1-5 study: digits 1-5 rate, 0 and 6 do nothing; the crisis line shows once.
      await page.goto(serve.url + `#/annotate/rate/${study.id}?annotator=${cy.id}&pos=1`)
      const screen = page.getByTestId('rating-screen')
      await expect(screen).toHaveAttribute('data-loaded', '1')
      if ((await screen.getAttribute('data-notice')) === '1') {
        await expect(page.getByText(/contact local emergency services or a crisis line/)).toHaveCount(1)
        await page.keyboard.press('Enter')
      }
      await expect(page.getByTestId('score-fluency-5')).toBeVisible()
      await expect(page.getByTestId('score-fluency-0')).toHaveCount(0)
      await page.keyboard.press('0')
      await page.keyboard.press('6')
      await expect(screen).toHaveAttribute('data-aspect', 'fluency')
      await page.keyboard.press('5')
      await expect(screen).toHaveAttribute('data-aspect', 'completeness')
      await expect(page.getByTestId('save-state')).toHaveText('all saved')
      await page.screenshot({ path: join(SCREENSHOTS, 'annotation-rating-likert.png') })
    } finally {
      await context.close()
      await serve.kill()
    }
  })

  test('the content notice shows the crisis line once', async ({ browserInstance }) => {
    const dir = tempDir()
    const dbFile = join(dir, 'notice.db')
    const db = openDatabase(dbFile)
    seedBenchmark(db, 4)
    db.close()
    const serve = await startServe(dbFile, dir)
    const context = await browserInstance.newContext({ viewport: { width: 1400, height: 900 } })
    await context.addInitScript(() => localStorage.setItem('imhi-notice-acknowledged', '1'))
    const page = await context.newPage()
    try {
      const study = await call<{ id: number }>(serve, 'annotation.createStudy', { name: 'n', sources: [{ kind: 'gold', dataset: 'DR', split: 'test_instruction' }], annotatorsPerItem: 1, annotators: ['dee'], seed: 2 })
      const ro = openDatabase(dbFile, { readonly: true })
      const pos = (ro.prepare('SELECT a.queue_pos AS p FROM assignments a JOIN study_items i ON i.id = a.study_item_id WHERE i.sensitive = 1').get() as { p: number }).p
      ro.close()
      await page.goto(serve.url + `#/annotate/rate/${study.id}?annotator=1&pos=${pos}`)
      await expect(page.getByTestId('content-notice')).toBeVisible()
      await expect(page.getByText(/contact local emergency services or a crisis line/)).toHaveCount(1)
      await page.screenshot({ path: join(SCREENSHOTS, 'annotation-content-notice-once.png') })
      await page.keyboard.press('Enter')
      await expect(page.getByTestId('support-footer')).toBeVisible()
      await expect(page.getByText(/contact local emergency services or a crisis line/)).toHaveCount(1)
    } finally {
      await context.close()
      await serve.kill()
    }
  })
})

function readRatings(dbFile: string): unknown[] {
  const db = openDatabase(dbFile, { readonly: true })
  try {
    return db.prepare('SELECT study_item_id, annotator_id, aspect, score, rated_at FROM ratings ORDER BY id').all()
  } finally {
    db.close()
  }
}
function readAdjudications(dbFile: string): { aspect: string; score: number; lead: string; reason: string }[] {
  const db = openDatabase(dbFile, { readonly: true })
  try {
    return db.prepare('SELECT aspect, score, lead, reason, revision FROM adjudications ORDER BY aspect').all() as { aspect: string; score: number; lead: string; reason: string }[]
  } finally {
    db.close()
  }
}
