import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

/**
 * A small OpenAI-compatible server on 127.0.0.1 for error injection: each POST to
 * /v1/completions or /v1/chat/completions takes the next behaviour from a script (then `fallback`),
 * so a test says exactly which request gets a 429, a 500, garbage, a truncated stream, a delay.
 * An 'ok' answer echoes a deterministic text built from the prompt, so a test can check that every
 * stored row belongs to its item.
 */
export type Behaviour =
  | 'ok'
  | { status: number; body?: string }
  | 'garbage'
  | 'html'
  | 'truncated-stream'
  | 'no-choices'
  | { delayMs: number }
  | 'hang-up'

export interface FaultServer {
  url: string
  port: number
  /** Behaviours for the next generation requests, in order. */
  script: Behaviour[]
  fallback: Behaviour
  /** Generation requests received (prompts), and their count. */
  prompts: string[]
  requests: number
  /** What /v1/models lists. */
  models: string[]
  /** When set, requests without this bearer token get a 401. */
  requireKey: string | null
  /** Whether echo + logprobs returns the prompt's log-probabilities (as vLLM does). */
  promptLogprobs: boolean
  close(): Promise<void>
}

/** The log-probability the fault server gives a prompt token (whitespace-split): -(its length) / 10. */
export function promptLogprob(token: string): number {
  return -token.trim().length / 10
}

export function answerFor(prompt: string): string {
  return `echo(${prompt.length}): ${prompt.slice(-24)}`
}

export async function startFaultServer(): Promise<FaultServer> {
  const state: Omit<FaultServer, 'url' | 'port' | 'close'> = { script: [], fallback: 'ok', prompts: [], requests: 0, models: ['fault-model'], requireKey: null, promptLogprobs: false }
  const json = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json' })
    res.end(JSON.stringify(body))
  }
  const handle = async (req: IncomingMessage, res: ServerResponse, body: string) => {
    if (state.requireKey !== null && req.headers.authorization !== `Bearer ${state.requireKey}`) {
      return json(res, 401, { error: { message: 'Incorrect API key provided', type: 'invalid_request_error', code: 'invalid_api_key' } })
    }
    const path = (req.url ?? '').split('?')[0]
    if (path === '/v1/models') return json(res, 200, { object: 'list', data: state.models.map((id) => ({ id, object: 'model', created: 0, owned_by: 'test' })) })
    if (path !== '/v1/completions' && path !== '/v1/chat/completions') return json(res, 404, { error: { message: 'no such path' } })
    state.requests++
    const b = JSON.parse(body) as { model: string; prompt?: string; messages?: { content: string }[]; stream?: boolean }
    const prompt = b.prompt ?? b.messages?.map((m) => m.content).join('\n') ?? ''
    state.prompts.push(prompt)
    if (!state.models.includes(b.model)) return json(res, 404, { error: { message: `The model \`${b.model}\` does not exist.`, code: 'model_not_found' } })
    if ((b as { echo?: boolean }).echo && (b as { logprobs?: number }).logprobs !== undefined && state.promptLogprobs) {
      // Prompt log-probabilities as vLLM returns them: one entry per token of the prompt, the first null.
      const tokens = prompt.match(/\s*\S+/g) ?? []
      let offset = 0
      const text_offset = tokens.map((t) => ((offset += t.length), offset - t.length))
      return json(res, 200, {
        id: 'lp', object: 'text_completion', created: 0, model: b.model,
        choices: [{ index: 0, text: prompt + '.', finish_reason: 'length', logprobs: { tokens, token_logprobs: tokens.map((t, i) => (i === 0 ? null : promptLogprob(t))), text_offset, top_logprobs: null } }],
        usage: { prompt_tokens: tokens.length, completion_tokens: 1, total_tokens: tokens.length + 1 }
      })
    }
    const behaviour = state.script.length > 0 ? state.script.shift()! : state.fallback
    if (typeof behaviour === 'object' && 'delayMs' in behaviour) await new Promise((r) => setTimeout(r, behaviour.delayMs))
    else if (typeof behaviour === 'object') return json(res, behaviour.status, behaviour.body !== undefined ? JSON.parse(behaviour.body) : { error: { message: `injected ${behaviour.status}` } })
    if (behaviour === 'hang-up') return req.socket.destroy()
    if (behaviour === 'garbage') {
      res.writeHead(200, { 'content-type': 'application/json' })
      return res.end('{"choices": [{"text": "unterminated')
    }
    if (behaviour === 'html') {
      res.writeHead(200, { 'content-type': 'text/html' })
      return res.end('<html><body>502 Bad Gateway</body></html>')
    }
    if (behaviour === 'no-choices') return json(res, 200, { id: 'x', object: 'text_completion', model: b.model })
    const chat = path === '/v1/chat/completions'
    const text = answerFor(prompt)
    if (!b.stream) {
      return json(res, 200, {
        id: `cmpl-${state.requests}`,
        object: chat ? 'chat.completion' : 'text_completion',
        created: 0,
        model: b.model,
        system_fingerprint: 'fp-test',
        choices: [chat ? { index: 0, message: { role: 'assistant', content: text }, finish_reason: 'stop' } : { index: 0, text, finish_reason: 'stop' }],
        usage: { prompt_tokens: prompt.length, completion_tokens: text.length, total_tokens: prompt.length + text.length }
      })
    }
    res.writeHead(200, { 'content-type': 'text/event-stream' })
    const pieces = [text.slice(0, 5), text.slice(5, 12), text.slice(12)]
    for (const p of pieces) {
      res.write(`data: ${JSON.stringify({ id: 's', object: chat ? 'chat.completion.chunk' : 'text_completion', model: b.model, choices: [chat ? { index: 0, delta: { content: p }, finish_reason: null } : { index: 0, text: p, finish_reason: null }] })}\n\n`)
      await new Promise((r) => setTimeout(r, 5))
    }
    if (behaviour === 'truncated-stream') return req.socket.destroy()
    res.write(`data: ${JSON.stringify({ id: 's', object: 'x', model: b.model, choices: [chat ? { index: 0, delta: {}, finish_reason: 'stop' } : { index: 0, text: '', finish_reason: 'stop' }] })}\n\n`)
    res.end('data: [DONE]\n\n')
  }
  const server = createServer((req, res) => {
    let body = ''
    req.on('data', (c) => (body += String(c)))
    req.on('end', () => void handle(req, res, body).catch(() => res.destroy()))
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const port = (server.address() as AddressInfo).port
  const fs: FaultServer = Object.assign(state, {
    url: `http://127.0.0.1:${port}/v1`,
    port,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections()
        server.close(() => r())
      })
  })
  return fs
}
