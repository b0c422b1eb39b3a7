import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { test, expect, imhi, SCREENSHOTS, tempDir } from './fixtures'
import { writeTinyGguf } from '../test/support/tiny-gguf'

/**
 * A minimal OpenAI-compatible server: lists one model and answers /v1/completions, with the
 * prompt's log-probabilities (echo + logprobs, as vLLM and llama-server do) or without them (as
 * servers that ignore echo do).
 */
function fakeServer(promptLogprobs: boolean): Promise<Server> {
  const server = createServer((req, res) => {
    let body = ''
    req.on('data', (c) => (body += c))
    req.on('end', () => {
      res.setHeader('content-type', 'application/json')
      if (req.url?.endsWith('/models')) return res.end(JSON.stringify({ object: 'list', data: [{ id: 'fake-7b', object: 'model' }] }))
      if (req.url?.endsWith('/completions')) {
        const logprobs = promptLogprobs ? { tokens: ['The', ' sky', ' is'], token_logprobs: [null, -1.5, -0.5], text_offset: [0, 3, 7], top_logprobs: null } : null
        return res.end(JSON.stringify({ id: 'c1', object: 'text_completion', model: 'fake-7b', choices: [{ index: 0, text: ' blue', finish_reason: 'length', logprobs }] }))
      }
      res.statusCode = 404
      res.end('{}')
    })
  })
  return new Promise((r) => server.listen(0, '127.0.0.1', () => r(server)))
}

test('the LM-score picker lists local GGUF models and registered servers; a server without prompt log-probabilities says so and cannot be chosen', async ({ serve, appPage: page }) => {
  const withLp = await fakeServer(true)
  const withoutLp = await fakeServer(false)
  try {
    imhi(['models', 'add', writeTinyGguf(join(tempDir(), 'lm-tiny.gguf')), '--db', serve.dbFile])
    imhi(['engines', 'add', 'vllm-box', '--url', `http://127.0.0.1:${(withLp.address() as AddressInfo).port}/v1`, '--db', serve.dbFile])
    imhi(['engines', 'add', 'plain-box', '--url', `http://127.0.0.1:${(withoutLp.address() as AddressInfo).port}/v1`, '--db', serve.dbFile])

    await page.goto(`${serve.url}#/evaluate`)
    await page.reload()
    await page.getByTestId('notice-ack').press('Enter')
    await expect(page.getByRole('dialog', { name: 'Research use only' })).toBeHidden()
    const lm = page.getByTestId('lm-model')
    await lm.focus()
    await page.keyboard.press('ArrowDown')
    await expect(page.getByRole('option', { name: 'lm-tiny.gguf' })).toBeVisible()
    await expect(page.getByRole('option', { name: /^vllm-box \(server default\) · prompt log-probabilities$/ })).toBeVisible()
    const plain = page.getByRole('option', { name: /^plain-box \(server default\) · no prompt log-probabilities: cannot score$/ })
    await expect(plain).toBeVisible()
    await expect(plain).toHaveAttribute('data-combobox-disabled', 'true')
    await page.screenshot({ path: join(SCREENSHOTS, 'lm-score-picker.png') })
    // Keyboard: the disabled server is skipped; the usable one is chosen, with the note that posts leave the machine.
    await lm.fill('vllm')
    await page.keyboard.press('ArrowDown')
    await page.keyboard.press('Enter')
    await expect(lm).toHaveValue(/^vllm-box/)
    await expect(page.getByTestId('lm-model-network')).toContainText("Scored from vllm-box's prompt log-probabilities: the posts and explanations go to http://127.0.0.1:")
  } finally {
    withLp.close()
    withoutLp.close()
  }
})
