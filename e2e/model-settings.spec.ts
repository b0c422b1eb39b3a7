import { join } from 'node:path'
import Database from 'better-sqlite3'
import type { Page } from '@playwright/test'
import { test, expect, imhi, SCREENSHOTS } from './fixtures'
import { writeImhiFixture } from '../test/support/imhi-fixture'
import { writeTinyGguf } from '../test/support/tiny-gguf'
import { axeViolations, formatFindings } from './a11y/axe'

/** Presses Tab (Shift+Tab with back) until the focused element matches `selector`; fails after `max` presses. */
async function tabTo(page: Page, selector: string, opts: { back?: boolean; max?: number } = {}): Promise<void> {
  for (let i = 0; i < (opts.max ?? 150); i++) {
    if (await page.evaluate((sel) => document.activeElement?.matches(sel) ?? false, selector)) return
    await page.keyboard.press(opts.back ? 'Shift+Tab' : 'Tab')
  }
  throw new Error(`Tab never reached ${selector}`)
}

/**
 * Replaces the focused input's text by typing (keyboard only), and checks the field shows it. On a
 * loaded machine the live fit estimate can re-render the number field between two synthetic key
 * presses (far faster than a person types) and move its caret; the whole replacement is then typed
 * again, a few times at most, and a field that never shows the text fails the test.
 */
async function typeInto(page: Page, text: string): Promise<void> {
  for (let attempt = 0; attempt < 3; attempt++) {
    await page.keyboard.press('ControlOrMeta+a')
    await page.keyboard.press('Backspace')
    if (text) await page.keyboard.type(text, { delay: attempt * 40 })
    if ((await page.evaluate(() => (document.activeElement as HTMLInputElement | null)?.value ?? '')) === text) return
  }
  throw new Error(`the focused field does not show "${text}" after typing it three times`)
}

// The UI server runs under a 64 MiB memory allowance (IMHI_MEMORY_LIMIT): the tiny model fits with a
// 1,024-token context (about 11 MiB) but not with 131,072 tokens (about 1.4 GiB), whatever this machine has.
test.beforeAll(() => {
  process.env.IMHI_MEMORY_LIMIT = '64M'
})
test.afterAll(() => {
  delete process.env.IMHI_MEMORY_LIMIT
})

test('model settings set keyboard-only are kept after a reload; a seeded post generated twice gives the same text', async ({ serve, browserInstance }) => {
  // bypassCSP: the axe-core checks inject their script; the app is otherwise as served.
  const context = await browserInstance.newContext({ viewport: { width: 1400, height: 900 }, bypassCSP: true })
  const page = await context.newPage()
  try {
    const model = writeTinyGguf(join(serve.dir, 'imhi-tiny.gguf'), { contextLength: 4096 })
    imhi(['import', writeImhiFixture(serve.dir), '--db', serve.dbFile])
    imhi(['models', 'add', model, '--db', serve.dbFile])
    const db = new Database(serve.dbFile, { readonly: true })
    const itemId = (db.prepare("SELECT id FROM items WHERE dataset = 'DR' AND split = 'test_instruction' ORDER BY source_row LIMIT 1").get() as { id: number }).id
    db.close()

    await page.goto(`${serve.url}#/models`)
    await page.reload()
    await page.getByTestId('notice-ack').press('Enter')
    await expect(page.getByRole('dialog', { name: 'Research use only' })).toBeHidden()
    await expect(page.getByTestId('models-table')).toContainText('imhi-tiny.gguf')

    // Keyboard only: Tab to the model's Settings button, open, fill, save.
    await tabTo(page, '[aria-label="Settings of imhi-tiny.gguf"]')
    await page.keyboard.press('Enter')
    const dialog = page.getByRole('dialog', { name: 'Inference settings: imhi-tiny.gguf' })
    await expect(dialog).toBeVisible()
    await expect(dialog.getByTestId('settings-fit')).toContainText(/fits/i)
    await tabTo(page, '[data-testid="settings-backend"]')
    // The last option is the CPU (always there).
    await page.keyboard.press('End')
    await expect(dialog.getByTestId('settings-backend')).toHaveValue('cpu')
    await tabTo(page, '[data-testid="settings-gpu-layers"]')
    await typeInto(page, '0')
    await tabTo(page, '[data-testid="settings-threads"]')
    await typeInto(page, '1')
    await tabTo(page, '[data-testid="settings-context"]')
    await typeInto(page, '1024')
    await tabTo(page, '[data-testid="settings-batch"]')
    await typeInto(page, '128')
    await expect(dialog.getByTestId('settings-fit')).toContainText('a 1024-token context')
    await expect(dialog.getByTestId('settings-fit')).toContainText('Fits this machine')
    await dialog.screenshot({ path: join(SCREENSHOTS, 'model-settings.png') })
    // The dialog passes axe-core's WCAG 2.1 A/AA rules.
    const findings = await axeViolations(page, 'model settings dialog')
    expect(findings, formatFindings(findings)).toEqual([])

    // A context the machine cannot hold: the panel says so and offers one that fits.
    await tabTo(page, '[data-testid="settings-context"]', { back: true })
    await typeInto(page, '131072')
    await tabTo(page, '[data-testid="settings-batch"]')
    const fitBox = dialog.getByTestId('settings-fit')
    await expect(fitBox).toContainText('Does not fit this machine')
    await expect(fitBox).toContainText(/131072-token context needs about [\d.]+ [MG]iB, 64\.0 MiB available: try context \d+\./)
    const alternative = dialog.getByTestId('settings-alternative').first()
    const label = (await alternative.textContent())!
    expect(label).toMatch(/^Use context \d+$/)
    await dialog.screenshot({ path: join(SCREENSHOTS, 'model-settings-nofit.png') })
    // The alternative is one key press away, and it fits.
    await tabTo(page, '[data-testid="settings-alternative"]')
    await page.keyboard.press('Enter')
    await expect(dialog.getByTestId('settings-context')).toHaveValue(label.replace('Use context ', ''))
    await expect(fitBox).toContainText('Fits this machine')
    await tabTo(page, '[data-testid="settings-context"]', { back: true })
    await typeInto(page, '1024')
    await expect(fitBox).toContainText('a 1024-token context')

    await tabTo(page, '[data-testid="settings-save"]')
    await page.keyboard.press('Enter')
    await expect(dialog).toBeHidden()

    // Reload: the saved settings are there.
    await page.reload()
    await expect(page.getByTestId('models-table')).toContainText('imhi-tiny.gguf')
    await tabTo(page, '[aria-label="Settings of imhi-tiny.gguf"]')
    await page.keyboard.press('Enter')
    await expect(dialog).toBeVisible()
    await expect(dialog.getByTestId('settings-backend')).toHaveValue('cpu')
    await expect(dialog.getByTestId('settings-gpu-layers')).toHaveValue('0')
    await expect(dialog.getByTestId('settings-threads')).toHaveValue('1')
    await expect(dialog.getByTestId('settings-context')).toHaveValue('1024')
    await expect(dialog.getByTestId('settings-batch')).toHaveValue('128')
    await expect(dialog).toContainText('Last saved')
    await page.keyboard.press('Escape')
    await expect(dialog).toBeHidden()

    // One post, sampled (T 0.9) with seed 4242, twice: the same text, made under the saved settings.
    await page.goto(`${serve.url}#/item/${itemId}`)
    const panel = page.getByTestId('item-explanations')
    await expect(panel).toBeVisible()
    await tabTo(page, '[data-testid="gen-temperature"]')
    await typeInto(page, '0.9')
    await tabTo(page, '[data-testid="gen-seed"]')
    await typeInto(page, '4242')
    await tabTo(page, '[data-testid="gen-max-tokens"]')
    await typeInto(page, '24')
    // Invalid input is named and blocks Generate.
    await tabTo(page, '[data-testid="gen-top-p"]', { back: true })
    await typeInto(page, '0')
    await expect(panel.getByTestId('gen-start')).toBeDisabled()
    await typeInto(page, '0.95')
    await expect(panel.getByTestId('gen-start')).toBeEnabled()
    await page.screenshot({ path: join(SCREENSHOTS, 'generate-sampling.png') })
    const paneFindings = await axeViolations(page, 'item pane with sampling options')
    expect(paneFindings, formatFindings(paneFindings)).toEqual([])
    for (let n = 1; n <= 2; n++) {
      await tabTo(page, '[data-testid="gen-start"]', { back: true })
      await page.keyboard.press('Enter')
      await expect(panel.getByTestId('explanation')).toHaveCount(n)
    }
    const texts = await panel.getByTestId('explanation-text').allTextContents()
    expect(texts).toHaveLength(2)
    expect(texts[0].length).toBeGreaterThan(0)
    expect(texts[1]).toBe(texts[0])
    const prov = panel.getByTestId('explanation-provenance').first()
    await expect(prov).toContainText('T 0.9, top-p 0.95, seed 4242')
    await expect(prov).toContainText('cpu · context 1024')
  } finally {
    await context.close()
  }
})
