import { randomUUID } from 'node:crypto'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { z } from 'zod'
import { AppError } from '../../shared/api/errors'
import type { GenerationParams } from '../../shared/api/inference'
import type { EngineSession, EngineStats } from '../inference/engines/types'
import type { PromptSpec } from '../inference/worker/protocol'

// `imhi serve --engine`: the OpenAI-compatible endpoints (GET /v1/models, POST /v1/completions,
// POST /v1/chat/completions, with and without streaming) answered by the GGUF the server loaded,
// so another workbench (or any OpenAI client) can send runs to this machine. The serve module
// checks the Host, the Origin and the owner token before a request reaches these routes.

export interface OpenAiApiOptions {
  session: EngineSession
  /** The model id this server answers to (the GGUF's file name). */
  modelName: string
  /** Tokens per sequence; every request uses this one context size. */
  contextSize: number
  /** Generations decoding side by side; further requests wait their turn. */
  lanes: number
  maxBodyBytes: number
}

const common = {
  model: z.string().min(1).max(256),
  max_tokens: z.number().int().min(1).max(8192).nullish(),
  max_completion_tokens: z.number().int().min(1).max(8192).nullish(),
  temperature: z.number().min(0).max(2).nullish(),
  top_p: z.number().gt(0).max(1).nullish(),
  top_k: z.number().int().min(-1).max(1000).nullish(),
  seed: z.number().int().min(0).max(2 ** 31 - 1).nullish(),
  /** vLLM's name and llama-server's name of the repeat penalty (1 = none). */
  repetition_penalty: z.number().min(1).max(2).nullish(),
  repeat_penalty: z.number().min(1).max(2).nullish(),
  n: z.literal(1).nullish(),
  stream: z.boolean().nullish(),
  stream_options: z.object({ include_usage: z.boolean().nullish() }).passthrough().nullish(),
  stop: z.union([z.null(), z.array(z.string()).max(0)]).optional(),
  user: z.string().max(256).nullish()
}

const completionSchema = z
  .object({
    ...common,
    prompt: z.union([z.string().max(1_000_000), z.array(z.string().max(1_000_000)).length(1)]),
    echo: z.literal(false).nullish(),
    logprobs: z.union([z.literal(0), z.null()]).optional()
  })
  .strict()

const chatSchema = z
  .object({
    ...common,
    messages: z
      .array(z.object({ role: z.enum(['system', 'user', 'assistant']), content: z.string().max(1_000_000), name: z.string().max(64).optional() }).strict())
      .min(1)
      .max(256),
    logprobs: z.literal(false).nullish()
  })
  .strict()

type Endpoint = 'completions' | 'chat.completions'

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' })
  res.end(JSON.stringify(body))
}

/** An error in the shape OpenAI clients read: { error: { message, type, code } }. */
export function sendOpenAiError(res: ServerResponse, status: number, message: string, code: string | null = null): void {
  const type = status === 401 ? 'authentication_error' : status >= 500 ? 'server_error' : 'invalid_request_error'
  sendJson(res, status, { error: { message, type, param: null, code } })
}

function readJson(req: IncomingMessage, max: number): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    req.on('data', (c: Buffer) => {
      size += c.length
      if (size > max) {
        reject(new AppError('invalid_input', `Request body over ${max} bytes.`))
        req.destroy()
        return
      }
      chunks.push(c)
    })
    req.once('end', () => {
      try {
        resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')))
      } catch {
        reject(new AppError('invalid_input', 'The request body is not valid JSON.'))
      }
    })
    req.once('error', reject)
  })
}

function zodMessage(err: z.ZodError): string {
  const i = err.issues[0]
  const path = i.path.join('.')
  if (i.code === 'unrecognized_keys') return `Unsupported parameter(s): ${i.keys.join(', ')} (this server offers model, prompt/messages, max_tokens, temperature, top_p, top_k, seed, repetition_penalty, stream).`
  return `${path ? `${path}: ` : ''}${i.message}`
}

/** The engine's finish as OpenAI names it. */
function finishReason(f: EngineStats['finish']): string {
  return f === 'maxTokens' ? 'length' : 'stop'
}

/** Routes for /v1/*; returns false for any other path. Requests are authenticated already. */
export function createOpenAiApi(opts: OpenAiApiOptions): (req: IncomingMessage, res: ServerResponse, url: URL) => boolean {
  const { session } = opts
  const created = Math.floor(Date.now() / 1000)
  // Waiting requests beyond the lanes, served in order.
  let busy = 0
  const waiting: (() => void)[] = []
  const acquire = (): Promise<void> =>
    new Promise((resolve) => {
      if (busy < opts.lanes) {
        busy++
        resolve()
      } else waiting.push(resolve)
    })
  const release = (): void => {
    const next = waiting.shift()
    if (next) next()
    else busy--
  }

  async function complete(req: IncomingMessage, res: ServerResponse, endpoint: Endpoint): Promise<void> {
    let body: unknown
    try {
      body = await readJson(req, opts.maxBodyBytes)
    } catch (err) {
      return sendOpenAiError(res, 400, AppError.from(err).message)
    }
    const parsed = endpoint === 'completions' ? completionSchema.safeParse(body) : chatSchema.safeParse(body)
    if (!parsed.success) return sendOpenAiError(res, 400, zodMessage(parsed.error))
    const b = parsed.data
    if (b.model !== opts.modelName) return sendOpenAiError(res, 404, `The model '${b.model}' does not exist; this server has '${opts.modelName}'.`, 'model_not_found')
    const maxTokens = b.max_completion_tokens ?? b.max_tokens ?? 256
    if (maxTokens + 8 > opts.contextSize) {
      return sendOpenAiError(res, 400, `max_tokens ${maxTokens} leaves no room for the prompt in this server's ${opts.contextSize}-token context.`, 'context_length_exceeded')
    }
    const params: GenerationParams = {
      temperature: b.temperature ?? 1,
      topP: b.top_p ?? 1,
      topK: b.top_k && b.top_k > 0 ? b.top_k : 0,
      seed: b.seed ?? 0,
      maxTokens,
      contextSize: opts.contextSize,
      truncation: 'middle',
      ...((b.repetition_penalty ?? b.repeat_penalty ?? 1) > 1 ? { repeatPenalty: (b.repetition_penalty ?? b.repeat_penalty)! } : {})
    }
    const prompt: PromptSpec =
      'prompt' in b
        ? { text: typeof b.prompt === 'string' ? b.prompt : b.prompt[0], template: 'none' }
        : { text: '', template: 'chat', messages: b.messages.map((m) => ({ role: m.role, content: m.content })) }
    const id = `${endpoint === 'completions' ? 'cmpl' : 'chatcmpl'}-${randomUUID()}`
    const jobId = randomUUID()
    let closed = false
    res.once('close', () => {
      if (!res.writableFinished) {
        closed = true
        void session.abort(jobId).catch(() => undefined)
      }
    })
    await acquire()
    try {
      if (closed) return
      const stream = !!b.stream
      const object = endpoint === 'completions' ? 'text_completion' : 'chat.completion'
      if (!stream) {
        const stats = await session.generate(jobId, prompt, params)
        if (closed) return
        const usage = { prompt_tokens: stats.promptTokens, completion_tokens: stats.generatedTokens, total_tokens: stats.promptTokens + stats.generatedTokens }
        const choice =
          endpoint === 'completions'
            ? { index: 0, text: stats.text, logprobs: null, finish_reason: finishReason(stats.finish) }
            : { index: 0, message: { role: 'assistant', content: stats.text }, logprobs: null, finish_reason: finishReason(stats.finish) }
        return sendJson(res, 200, { id, object, created: Math.floor(Date.now() / 1000), model: opts.modelName, choices: [choice], usage })
      }
      res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', connection: 'keep-alive', 'x-content-type-options': 'nosniff' })
      const chunkObject = endpoint === 'completions' ? 'text_completion' : 'chat.completion.chunk'
      const event = (choices: unknown[], extra: Record<string, unknown> = {}) =>
        res.write(`data: ${JSON.stringify({ id, object: chunkObject, created: Math.floor(Date.now() / 1000), model: opts.modelName, choices, ...extra })}\n\n`)
      if (endpoint === 'chat.completions') event([{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }])
      let stats: EngineStats
      try {
        stats = await session.generate(jobId, prompt, params, (text) => {
          if (!closed) event([endpoint === 'completions' ? { index: 0, text, logprobs: null, finish_reason: null } : { index: 0, delta: { content: text }, finish_reason: null }])
        })
      } catch (err) {
        if (!closed) {
          res.write(`data: ${JSON.stringify({ error: { message: AppError.from(err).message, type: 'server_error', code: null } })}\n\n`)
          res.end()
        }
        return
      }
      if (closed) return
      event([endpoint === 'completions' ? { index: 0, text: '', logprobs: null, finish_reason: finishReason(stats.finish) } : { index: 0, delta: {}, finish_reason: finishReason(stats.finish) }])
      if (b.stream_options?.include_usage) {
        event([], { usage: { prompt_tokens: stats.promptTokens, completion_tokens: stats.generatedTokens, total_tokens: stats.promptTokens + stats.generatedTokens } })
      }
      res.end('data: [DONE]\n\n')
    } catch (err) {
      if (closed) return
      const e = AppError.from(err)
      if (!res.headersSent) sendOpenAiError(res, e.code === 'invalid_input' ? 400 : 500, e.message)
      else res.end()
    } finally {
      release()
    }
  }

  return (req, res, url) => {
    const path = url.pathname.replace(/\/+$/, '')
    if (path === '/v1/models' && req.method === 'GET') {
      sendJson(res, 200, { object: 'list', data: [{ id: opts.modelName, object: 'model', created, owned_by: 'imhi-workbench' }] })
      return true
    }
    if ((path === '/v1/completions' || path === '/v1/chat/completions') && req.method === 'POST') {
      complete(req, res, path === '/v1/completions' ? 'completions' : 'chat.completions').catch(() => {
        if (!res.headersSent) sendOpenAiError(res, 500, 'internal error')
        else res.end()
      })
      return true
    }
    if (path.startsWith('/v1/')) {
      sendOpenAiError(res, 404, `No such endpoint: ${req.method} ${url.pathname} (this server answers GET /v1/models, POST /v1/completions and POST /v1/chat/completions).`)
      return true
    }
    return false
  }
}
