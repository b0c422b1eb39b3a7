import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import Papa from 'papaparse'
import type { Page } from '@playwright/test'
import { test, expect, imhi, startServe, tempDir, SCREENSHOTS, SHARED_IMHI, hasSharedImhi, type ServeHandle } from './fixtures'
import { openDatabase } from '../src/main/db/open'
import { seedBenchmark } from '../test/annotation/helpers'

/** Calls the API as the owner over plain HTTP (what a script would do). */
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

/** The screen's state, read without waiting: position, current aspect, loaded, behind a notice. */
async function screenState(page: Page): Promise<string> {
  const el = page.getByTestId('rating-screen')
  return `${await el.getAttribute('data-pos')}:${await el.getAttribute('data-aspect')}:${await el.getAttribute('data-loaded')}`
}
async function currentAspect(page: Page): Promise<string | null> {
  return page.getByTestId('rating-screen').getAttribute('data-aspect')
}

/** Presses a digit and waits until the screen moved on (next aspect, or the next item loaded). */
async function rateKey(page: Page, digit: number): Promise<void> {
  const before = await screenState(page)
  await page.keyboard.press(String(digit))
  await expect.poll(() => screenState(page)).not.toBe(before)
  await expect(page.getByTestId('rating-screen')).toHaveAttribute('data-loaded', '1')
}

/** If the item is behind a content notice, the annotator chooses to see it (Enter). */
async function passNotice(page: Page): Promise<boolean> {
  const screen = page.getByTestId('rating-screen')
  await expect(screen).toHaveAttribute('data-loaded', '1')
  if ((await screen.getAttribute('data-notice')) === '1') {
    await expect(page.getByTestId('content-notice')).toBeVisible()
    await page.screenshot({ path: join(SCREENSHOTS, 'annotation-content-notice.png') })
    await page.keyboard.press('Enter')
    await expect(page.getByTestId('explanation-text')).toBeVisible()
    return true
  }
  return false
}

test.describe('Annotation in Chromium against imhi serve', () => {
  test('a study in a few clicks; keyboard-only rating; SIGKILL and restart lose nothing; the export matches', async ({ browserInstance }) => {
    const dir = tempDir()
    const dbFile = join(dir, 'annotate.db')
    const db = openDatabase(dbFile)
    seedBenchmark(db, 8)
    db.close()
    const serve = await startServe(dbFile, dir)
    const context = await browserInstance.newContext({ viewport: { width: 1400, height: 900 } })
    await context.addInitScript(() => localStorage.setItem('imhi-notice-acknowledged', '1'))
    const page = await context.newPage()
    try {
      await page.goto(serve.url + '#/annotate')

      // The lead creates a study: tick a source, name an annotator, create.
      await page.getByTestId('new-study').click()
      await page.getByTestId('study-name').fill('DR gold, 4 posts')
      await page.getByTestId('src-gold-DR-test_instruction').click()
      await page.getByTestId('sample-size').fill('4')
      await page.getByTestId('per-item').fill('1')
      await page.getByTestId('annotator-names').fill('alice')
      await page.keyboard.press('Enter')
      // A fixed seed: the same four posts every time (a random draw can open on a post behind the
      // content notice, which has its own test above).
      await page.getByLabel('Seed').fill('1')
      // One explanation form for every source (blinding), the reasoning only unless the lead chooses.
      await expect(page.getByTestId('explanation-form')).toHaveValue('reasoning')
      await page.getByTestId('create-study').click()
      await expect(page.getByTestId('progress-table')).toContainText('alice')
      {
        const check = openDatabase(dbFile)
        const spec = JSON.parse((check.prepare("SELECT spec FROM studies WHERE name = 'DR gold, 4 posts'").get() as { spec: string }).spec)
        check.close()
        expect(spec.explanationForm).toBe('reasoning')
      }
      await page.screenshot({ path: join(SCREENSHOTS, 'annotation-study.png') })

      await page.getByTestId('rate-as-alice').click()
      await expect(page.getByTestId('rating-screen')).toBeVisible()
      await expect(page.getByTestId('progress-text')).toHaveText('0 / 4 done')
      await expect(page.getByTestId('support-footer')).toContainText('crisis')

      // Keyboard only from here. The hotkey sheet on "?".
      await page.keyboard.press('?')
      await expect(page.getByRole('dialog', { name: 'Rating keys' })).toBeVisible()
      await page.waitForTimeout(400) // let the modal finish fading in before the screenshot
      await page.screenshot({ path: join(SCREENSHOTS, 'annotation-hotkeys.png') })
      await page.keyboard.press('Escape')
      await expect(page.getByRole('dialog', { name: 'Rating keys' })).toBeHidden()

      const typed = new Map<string, number>() // "pos:aspect" -> score
      const aspects = ['fluency', 'completeness', 'reliability', 'overall']
      const noticeAt = new Set<number>()
      const rateItem = async (pos: number, scores: number[]) => {
        await expect(page.getByTestId('rating-screen')).toHaveAttribute('data-pos', String(pos))
        if (await passNotice(page)) noticeAt.add(pos)
        for (const [i, s] of scores.entries()) {
          expect(await currentAspect(page)).toBe(aspects[i])
          await rateKey(page, s)
          typed.set(`${pos}:${aspects[i]}`, s)
        }
      }
      await rateItem(0, [3, 2, 2, 1])
      await page.screenshot({ path: join(SCREENSHOTS, 'annotation-rating.png') })
      await rateItem(1, [2, 2, 3, 3])
      // Undo (U) takes the last score back and returns to it; then a different score.
      await page.keyboard.press('ArrowLeft')
      await expect(page.getByTestId('rating-screen')).toHaveAttribute('data-pos', '1')
      await page.keyboard.press('u')
      await expect(page.getByTestId('rating-screen')).toHaveAttribute('data-aspect', 'overall')
      await expect(page.getByTestId('score-overall-3')).toHaveAttribute('aria-pressed', 'false')
      await rateKey(page, 0)
      typed.set('1:overall', 0)
      // Flag (F) and a note (N) on item 3, typed and closed with Escape.
      await expect(page.getByTestId('rating-screen')).toHaveAttribute('data-pos', '2')
      if (await passNotice(page)) noticeAt.add(2)
      await page.keyboard.press('f')
      await expect(page.getByTestId('flagged')).toBeVisible()
      await page.keyboard.press('n')
      await page.getByTestId('note-input').pressSequentially('ambiguous wording')
      await page.keyboard.press('Escape')
      await expect(page.getByTestId('note-input')).toBeHidden()
      await expect(page.getByTestId('save-state')).toHaveText('all saved')

      // The server dies mid-session (SIGKILL). The annotator keeps rating: ratings wait in the browser.
      await serve.kill('SIGKILL')
      await rateItem(2, [1, 0, 1, 2])
      await expect(page.getByTestId('save-state')).toHaveText(/[1-9]\d* unsent/)
      await page.screenshot({ path: join(SCREENSHOTS, 'annotation-offline.png') })
      await serve.restart()
      await expect(page.getByTestId('save-state')).toHaveText('all saved', { timeout: 30_000 })

      // Every rating is in the database, exactly as typed.
      const study = (await call<{ id: number; items: number }[]>(serve, 'annotation.studies', {}))[0]
      const longCsv = await call<{ text: string }>(serve, 'annotation.export', { studyId: study.id, format: 'long' })
      const rows = Papa.parse<Record<string, string>>(longCsv.text, { header: true, skipEmptyLines: true }).data
      expect(rows).toHaveLength(typed.size)
      const queue = await call<{ entries: { studyItemId: number; queuePos: number }[] }>(serve, 'annotation.queue', { studyId: study.id, annotatorId: 1 })
      const ro = openDatabase(dbFile, { readonly: true })
      const itemAt = (pos: number) =>
        ro.prepare('SELECT item_key, sensitive FROM study_items WHERE id = ?').get(queue.entries[pos].studyItemId) as { item_key: string; sensitive: number }
      for (const [k, score] of typed) {
        const [pos, aspect] = k.split(':')
        const itemKey = itemAt(Number(pos)).item_key
        const row = rows.find((r) => r.item_id === itemKey && r.aspect === aspect)
        expect(row, `${k} (${itemKey})`).toBeTruthy()
        expect(Number(row!.score)).toBe(score)
        expect(row!.annotator).toBe('alice')
      }
      // The content notice stood exactly before the posts flagged as sensitive.
      for (const pos of [0, 1, 2]) expect(noticeAt.has(pos)).toBe(Boolean(itemAt(pos).sensitive))
      ro.close()
      const flaggedRows = rows.filter((r) => r.flagged === '1')
      expect(flaggedRows.length).toBe(4)
      expect(flaggedRows[0].note).toBe('ambiguous wording')
      expect(rows.every((r) => Number(r.seconds) > 0)).toBe(true)

      // A fresh page after the restart resumes at the first unrated item and shows the same progress.
      await page.goto(serve.url + `#/annotate/rate/${study.id}?annotator=1`)
      await page.reload()
      await expect(page.getByTestId('progress-text')).toHaveText('3 / 4 done')
      await expect(page.getByTestId('rating-screen')).toHaveAttribute('data-pos', '3')

      // The imhi layout export has the same scores.
      const out = join(dir, 'export.csv')
      imhi(['annotations', 'export', '--db', dbFile, '--study', String(study.id), '--format', 'imhi', '--out', out])
      const imhiRows = Papa.parse<Record<string, string>>(readFileSync(out, 'utf8'), { header: true, skipEmptyLines: true }).data
      expect(imhiRows).toHaveLength(4)
      const rated = imhiRows.filter((r) => r.fluency !== '[null]')
      expect(rated).toHaveLength(3)

      // The lead's agreement tab renders (one annotator per item: figures undefined, shown as —).
      await page.goto(serve.url + `#/annotate/study/${study.id}`)
      await page.getByTestId('tab-agreement').click()
      await expect(page.getByTestId('agreement-table')).toContainText('fluency')
      await page.screenshot({ path: join(SCREENSHOTS, 'annotation-agreement.png') })
    } finally {
      await context.close()
      await serve.kill()
    }
  })

  test('an annotator token on the LAN sees only their own queue and cannot call the lead\u2019s methods', async ({ browserInstance }) => {
    const dir = tempDir()
    const dbFile = join(dir, 'lan.db')
    const db = openDatabase(dbFile)
    seedBenchmark(db, 4)
    db.close()
    const serve = await startServe(dbFile, dir)
    try {
      await call(serve, 'annotation.createStudy', { name: 'LAN', sources: [{ kind: 'gold', dataset: 'DR', split: 'test_instruction' }], annotatorsPerItem: 1, annotators: ['bea', 'cal'], seed: 1 })
      const people = await call<{ id: number; name: string; token: string }[]>(serve, 'annotation.annotators', {})
      const bea = people.find((p) => p.name === 'bea')!
      const denied = await fetch(new URL('/api/call/annotation.studies', serve.url), { method: 'POST', headers: { authorization: `Bearer ${bea.token}` }, body: '{}' })
      expect(denied.status).toBe(403)
      const context = await browserInstance.newContext({ viewport: { width: 1400, height: 900 } })
      await context.addInitScript(() => localStorage.setItem('imhi-notice-acknowledged', '1'))
      const page = await context.newPage()
      const url = new URL(serve.url)
      url.searchParams.set('token', bea.token)
      await page.goto(url.toString() + '#/annotate')
      await expect(page.getByText('Your annotation queues')).toBeVisible()
      await page.getByRole('button', { name: /Start|Resume/ }).click()
      await expect(page.getByTestId('rating-screen')).toBeVisible()
      await passNotice(page)
      await rateKey(page, 2)
      await expect(page.getByTestId('save-state')).toHaveText('all saved')
      const ratings = await call<{ aspects: Record<string, { ratings: number }> }>(serve, 'annotation.agreement', { studyId: 1 })
      expect(ratings.aspects.fluency.ratings).toBe(1)
      await page.screenshot({ path: join(SCREENSHOTS, 'annotation-lan.png') })
      await context.close()

      // Bea's package comes back from another machine with that score changed: the lead sees a
      // conflict, nothing is overwritten until they choose.
      const pkgFile = join(dir, 'bea.json')
      await call(serve, 'annotation.exportPackage', { studyId: 1, annotatorId: bea.id, path: pkgFile })
      const { writeFileSync } = await import('node:fs')
      const pkg = JSON.parse(readFileSync(pkgFile, 'utf8')) as { ratings: { item: string; aspect: string; score: number }[] }
      expect(pkg.ratings).toHaveLength(1)
      pkg.ratings[0].score = 0
      writeFileSync(pkgFile, JSON.stringify(pkg))
      const lead = await browserInstance.newContext({ viewport: { width: 1400, height: 900 } })
      await lead.addInitScript(() => localStorage.setItem('imhi-notice-acknowledged', '1'))
      const leadPage = await lead.newPage()
      await leadPage.goto(serve.url + '#/annotate/study/1')
      await leadPage.getByTestId('tab-packages').click()
      await leadPage.getByTestId('merge-path').fill(pkgFile)
      await leadPage.getByTestId('merge-submit').click()
      await expect(leadPage.getByTestId('merge-report')).toContainText('1 conflict(s)')
      await expect(leadPage.getByTestId('conflicts')).toContainText('fluency')
      await leadPage.screenshot({ path: join(SCREENSHOTS, 'annotation-merge-conflict.png') })
      const before = await call<{ aspects: Record<string, { mean: number }> }>(serve, 'annotation.agreement', { studyId: 1 })
      expect(before.aspects.fluency.mean).toBe(2)
      await leadPage.getByTestId('take-theirs').click()
      await expect(leadPage.getByTestId('merge-report')).toContainText('1 resolved, 0 conflict(s)')
      const after = await call<{ aspects: Record<string, { mean: number }> }>(serve, 'annotation.agreement', { studyId: 1 })
      expect(after.aspects.fluency.mean).toBe(0)
      await lead.close()
    } finally {
      await serve.kill()
    }
  })

  test('the released DR ratings: import in the UI, agreement and disagreements on the study page', async ({ browserInstance }) => {
    test.skip(!hasSharedImhi, `skipped: ${SHARED_IMHI} not found (../shared is beside the repo on the project's machines and in CI)`)
    const dir = tempDir()
    const serve = await startServe(join(dir, 'dr.db'), dir)
    const context = await browserInstance.newContext({ viewport: { width: 1400, height: 900 } })
    await context.addInitScript(() => localStorage.setItem('imhi-notice-acknowledged', '1'))
    const page = await context.newPage()
    try {
      await page.goto(serve.url + '#/annotate')
      for (const f of ['chatgpt_data', 'chatgpt_false_data', 'gpt3_data']) {
        await page.goto(serve.url + '#/annotate')
        await page.getByTestId('import-ratings').click()
        await page.getByTestId('import-path').fill(join(SHARED_IMHI, 'human_evaluation', 'DR_annotation', `${f}.csv`))
        await page.getByLabel('Study name (optional)').fill('DR human evaluation')
        await page.getByTestId('import-submit').click()
        await expect(page.getByTestId('progress-table')).toContainText('annotator 3')
      }
      await expect(page.getByText('285 items', { exact: true })).toBeVisible()
      await page.getByTestId('tab-agreement').click()
      const table = page.getByTestId('agreement-table')
      await expect(table.getByRole('row', { name: /fluency/ })).toContainText('0.871')
      await expect(table.getByRole('row', { name: /fluency/ })).toContainText('0.686')
      await expect(page.getByTestId('disagreements')).toBeVisible()
      await page.screenshot({ path: join(SCREENSHOTS, 'annotation-agreement-dr.png'), fullPage: true })
      // A broken file is refused with the row and column named, and nothing is imported.
      const bad = join(dir, 'bad.csv')
      const { writeFileSync } = await import('node:fs')
      writeFileSync(bad, 'text,label,gpt-3.5-turbo,fluency,completeness,reliability,overall\np,1,e,"[3, 5, 1]","[0, 1, 2]","[3, 3, 3]","[2, 2, 2]"\n')
      await page.goto(serve.url + '#/annotate')
      await page.getByTestId('import-ratings').click()
      await page.getByTestId('import-path').fill(bad)
      await page.getByTestId('import-submit').click()
      await expect(page.getByTestId('import-error')).toContainText(/bad\.csv: 1 problem\(s\): data row 1, column "fluency", score 5 is outside 0-3/)
      await page.goto(serve.url + '#/annotate')
      await expect(page.getByTestId('study-table').getByRole('row')).toHaveCount(2) // header + the one study
      await page.screenshot({ path: join(SCREENSHOTS, 'annotation-import-error.png') })
    } finally {
      await context.close()
      await serve.kill()
    }
  })
})
