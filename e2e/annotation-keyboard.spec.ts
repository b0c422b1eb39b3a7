import { join } from 'node:path'
import type { Page } from '@playwright/test'
import { test, expect, startServe, tempDir, SCREENSHOTS, type ServeHandle } from './fixtures'
import { openDatabase } from '../src/main/db/open'
import { seedBenchmark } from '../test/annotation/helpers'

/**
 * The rating screen's keyboard rule, checked in the database: while a text field has focus or any
 * modal is open, no key records, skips, flags or undoes anything.
 */

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

/** Everything an annotator's keys can change, read from the database file. */
function dbState(dbFile: string): string {
  const db = openDatabase(dbFile, { readonly: true })
  try {
    const ratings = db.prepare('SELECT study_item_id, annotator_id, aspect, score FROM ratings ORDER BY study_item_id, aspect').all()
    const history = db.prepare('SELECT COUNT(*) AS n FROM rating_history').get()
    const states = db.prepare('SELECT study_item_id, flagged, skipped FROM item_states ORDER BY study_item_id').all()
    return JSON.stringify({ ratings, history, states })
  } finally {
    db.close()
  }
}
function notes(dbFile: string): string[] {
  const db = openDatabase(dbFile, { readonly: true })
  try {
    return (db.prepare("SELECT note FROM item_states WHERE note <> '' ORDER BY study_item_id").all() as { note: string }[]).map((r) => r.note)
  } finally {
    db.close()
  }
}

async function screenState(page: Page): Promise<string> {
  const el = page.getByTestId('rating-screen')
  return `${await el.getAttribute('data-pos')}:${await el.getAttribute('data-aspect')}:${await el.getAttribute('data-notice')}`
}

/**
 * Every rating-screen hotkey that records or changes something. (Enter is left out: inside a
 * dialog it presses the dialog's focused button, which is the dialog's business.)
 */
const ACTION_KEYS = ['0', '1', '2', '3', '7', 's', 'S', 'f', 'F', 'u', 'U', 'g', 'n', 'ArrowRight', 'ArrowDown']

test.describe('Rating keys obey the keyboard rule (Chromium, keyboard only)', () => {
  test('a note of hotkey letters stays a note; keys under every modal change nothing', async ({ browserInstance }) => {
    const dir = tempDir()
    const dbFile = join(dir, 'keys.db')
    const db = openDatabase(dbFile)
    seedBenchmark(db, 6)
    db.close()
    const serve = await startServe(dbFile, dir)
    const context = await browserInstance.newContext({ viewport: { width: 1400, height: 900 } })
    await context.addInitScript(() => localStorage.setItem('imhi-notice-acknowledged', '1'))
    const page = await context.newPage()
    try {
      const study = await call<{ id: number }>(serve, 'annotation.createStudy', {
        name: 'Keys',
        sources: [{ kind: 'gold', dataset: 'DR', split: 'test_instruction' }],
        annotatorsPerItem: 1,
        annotators: ['kim'],
        seed: 3
      })
      await page.goto(serve.url + `#/annotate/rate/${study.id}?annotator=1`)
      const screen = page.getByTestId('rating-screen')
      await expect(screen).toHaveAttribute('data-loaded', '1')
      if ((await screen.getAttribute('data-notice')) === '1') {
        await page.keyboard.press('Enter')
        await expect(page.getByTestId('explanation-text')).toBeVisible()
      }
      // One rating first, so that an undo would have something to take back.
      await page.keyboard.press('2')
      await expect(screen).toHaveAttribute('data-aspect', 'completeness')
      await expect(page.getByTestId('save-state')).toHaveText('all saved')
      const before = dbState(dbFile)
      expect(JSON.parse(before).ratings).toHaveLength(1)
      const where = await screenState(page)

      // N: the caret is in the note's text box at once; every letter goes into the note.
      await page.keyboard.press('n')
      const input = page.getByTestId('note-input')
      await expect(input).toBeFocused()
      const typed = 'explanation is gibberish: s g u f 0 1 2 3 a u SGUF? n'
      await page.keyboard.type(typed)
      await expect(input).toHaveValue(typed)
      // Saved as you type: in the database while the dialog is still open.
      await expect.poll(() => notes(dbFile), { timeout: 5000 }).toEqual([typed])
      await expect(input).toBeVisible()
      await page.screenshot({ path: join(SCREENSHOTS, 'annotation-note-typed.png') })
      await page.keyboard.press('Escape')
      await expect(input).toBeHidden()
      expect(dbState(dbFile)).toBe(before)
      expect(await screenState(page)).toBe(where)
      await expect(page.getByTestId('flagged')).toHaveCount(0)

      // Each modal in turn: every action key pressed under it changes nothing.
      const underModal = async (name: string, open: () => Promise<void>, dialog: ReturnType<Page['getByRole']>, close: () => Promise<void>) => {
        await open()
        await expect(dialog, name).toBeVisible()
        for (const k of ACTION_KEYS) await page.keyboard.press(k)
        await expect(dialog, `${name} still open`).toBeVisible()
        await page.waitForTimeout(300) // anything a key would have sent has reached the server by now
        expect(dbState(dbFile), name).toBe(before)
        await close()
        await expect(dialog, `${name} closed`).toBeHidden()
        expect(await screenState(page), name).toBe(where)
        expect(dbState(dbFile), name).toBe(before)
      }
      await underModal('key sheet', () => page.keyboard.press('?'), page.getByRole('dialog', { name: 'Rating keys' }), () => page.keyboard.press('Escape'))
      await underModal('guidelines', () => page.keyboard.press('g'), page.getByRole('dialog', { name: 'Guidelines' }), () => page.keyboard.press('Escape'))
      // The research-use notice from the footer (an app-level modal the rating screen does not own).
      await underModal(
        'research-use notice',
        async () => {
          await page.getByTestId('footer-notice').focus()
          await page.keyboard.press('Enter')
        },
        page.getByRole('dialog', { name: 'Research use only' }),
        async () => {
          await expect(page.getByTestId('notice-ack')).toBeFocused()
          await page.keyboard.press('Escape')
        }
      )
      await underModal('note', () => page.keyboard.press('n'), page.getByRole('dialog', { name: 'Note on this item' }), () => page.keyboard.press('Escape'))
      // The note typed in the note dialog (keys went into it) was saved; nothing else changed.
      expect(notes(dbFile)[0]).toContain(typed)

      // With everything closed (focus back on the page) the keys act again: the rule holds keys
      // off while something is open, it does not switch them off.
      await page.locator('body').click({ position: { x: 5, y: 5 } })
      await page.keyboard.press('3')
      await expect(screen).toHaveAttribute('data-aspect', 'reliability')
      await expect(page.getByTestId('save-state')).toHaveText('all saved')
      expect(JSON.parse(dbState(dbFile)).ratings).toHaveLength(2)
      await page.screenshot({ path: join(SCREENSHOTS, 'annotation-keys-after.png') })
    } finally {
      await context.close()
      await serve.kill()
    }
  })
})
