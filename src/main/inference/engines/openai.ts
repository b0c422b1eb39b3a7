import { AsyncLocalStorage } from 'node:async_hooks'
import { setMaxListeners } from 'node:events'
import OpenAI, { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from 'openai'
import { AppError } from '../../../shared/api/errors'
import type { EngineCheck, EngineInfo, GenerationParams, PromptFormat, Provenance, RemoteProvenance } from '../../../shared/api/inference'
import type { PromptSpec } from '../worker/protocol'
import { generationProvenance, type BatchListeners, type BatchOutcome, type EngineItem, type EngineSession, type EngineStats } from './types'

// The OpenAI-compatible engine: a run or a single post sent to a server that speaks the OpenAI
// HTTP API (vLLM, llama.cpp's llama-server, Ollama, TGI, `imhi serve --engine`), through the
// official `openai` client. The API key is read at request time from the environment variable the
// user named, else from the desktop app's keychain (engines/keys.ts); it is never written to the
// database, logged or put in an error message.

/** Counts the HTTP attempts of one request (the client retries on its own). */
const attemptCounter = new AsyncLocalStorage<{ n: number }>()
const countingFetch: typeof fetch = (input, init) => {
  const c = attemptCounter.getStore()
  if (c) c.n++
  return fetch(input, init)
}

/** Looks up a server's key in the host's keychain (the desktop app); null when none is kept. */
export type StoredKeyLookup = (info: EngineInfo) => string | null

/** The API key for a server: from its environment variable, else the keychain, else none. */
function apiKeyOf(info: EngineInfo, storedKey?: StoredKeyLookup): string {
  const fromEnv = info.apiKeyEnv ? process.env[info.apiKeyEnv] : undefined
  if (fromEnv) return fromEnv
  const stored = storedKey?.(info) ?? null
  if (stored) return stored
  if (!info.apiKeyEnv) return 'no-key'
  throw new AppError('invalid_input', `Server "${info.name}" needs an API key in the environment variable ${info.apiKeyEnv}, which is not set in this process.`, {
    field: 'apiKeyEnv'
  })
}

export function openAiClient(info: EngineInfo, storedKey?: StoredKeyLookup): OpenAI {
  return new OpenAI({
    baseURL: info.url,
    apiKey: apiKeyOf(info, storedKey),
    timeout: info.timeoutSeconds * 1000,
    maxRetries: info.maxRetries,
    fetch: countingFetch,
    // The client's own logging would print request details (the posts) to the console.
    logLevel: 'off',
    // The official client refuses to run where a browser might expose the key; this is Node.
    dangerouslyAllowBrowser: false
  })
}

/** Why a request to the server failed, in the user's words, and whether the run should pause. */
export function describeServerError(info: EngineInfo, err: unknown, model: string | null): { message: string; pause: boolean } {
  const where = `server "${info.name}" (${info.url})`
  if (err instanceof AppError) return { message: err.message, pause: true }
  if (err instanceof APIConnectionTimeoutError) {
    return { message: `${where} did not answer within ${info.timeoutSeconds} s (${info.maxRetries} retries): a very slow or stuck server.`, pause: true }
  }
  if (err instanceof APIConnectionError) {
    const why = rootCause(err)
    return { message: `${where} does not answer (${why}) after ${info.maxRetries} retries.`, pause: true }
  }
  if (err instanceof APIError && err.status !== undefined) {
    const detail = serverMessage(err)
    switch (err.status) {
      case 401:
        return { message: `${where} refused the API key (401)${info.apiKeyEnv ? `: check ${info.apiKeyEnv}` : info.apiKeyStored ? ': check the key kept in the keychain (register the server again with the right one)' : ': it needs one (register the server with an API key)'}.`, pause: true }
      case 403:
        return { message: `${where} refused access (403)${detail}.`, pause: true }
      case 404:
        return { message: `${where} answered 404${model ? ` for model "${model}"` : ''}${detail}: a model id it does not have, or a URL that is not its /v1 API.`, pause: true }
      case 429:
        return { message: `${where} kept answering 429 (too many requests) after ${info.maxRetries} retries with backoff${detail}.`, pause: true }
      case 400:
      case 413:
      case 422:
        // About this one request (a prompt too long for its context, ...): the item fails, the run goes on.
        return { message: `${where} rejected the request (${err.status})${detail}.`, pause: false }
      default:
        return {
          message: `${where} answered ${err.status}${err.status >= 500 ? ` after ${info.maxRetries} retries with backoff` : ''}${detail}.`,
          pause: true
        }
    }
  }
  const msg = err instanceof Error ? err.message : String(err)
  return { message: `${where}: ${msg}`, pause: true }
}

/** The innermost cause's code (ECONNREFUSED, ECONNRESET, ENOTFOUND, ...) or message: fetch wraps them. */
function rootCause(err: Error): string {
  let e: unknown = err
  let why = err.message
  for (let depth = 0; depth < 5 && e instanceof Error; depth++) {
    const code = (e as { code?: unknown }).code
    if (typeof code === 'string') return code
    if (e !== err && e.message) why = e.message
    e = (e as { cause?: unknown }).cause
  }
  return why
}

function serverMessage(err: APIError): string {
  const e = err.error as { message?: unknown } | undefined
  const m = typeof e?.message === 'string' ? e.message : ''
  return m ? `: ${m.slice(0, 300)}` : ''
}

/** A response that is not what the API promises (garbage, HTML, a truncated stream). */
class MalformedResponse extends Error {}

function finishOf(reason: unknown): EngineStats['finish'] {
  return reason === 'length' ? 'maxTokens' : 'eog'
}

/** The request parameters the workbench sends (recorded in provenance; never the prompt). */
export function requestParams(model: string, params: GenerationParams): Record<string, unknown> {
  return {
    model,
    max_tokens: params.maxTokens,
    temperature: params.temperature,
    top_p: params.topP,
    seed: params.seed,
    // top_k is not in OpenAI's API; vLLM, llama-server and Ollama's OpenAI layer accept it.
    ...(params.topK > 0 ? { top_k: params.topK } : {}),
    // Not in OpenAI's API either: vLLM's (and this workbench's serve --engine) name for it.
    ...(params.repeatPenalty && params.repeatPenalty > 1 ? { repetition_penalty: params.repeatPenalty } : {})
  }
}

interface Answer {
  text: string
  model: string
  finish: unknown
  promptTokens: number
  completionTokens: number
  responseId: string | null
  systemFingerprint: string | null
  timeToFirstTokenMs: number
}

/**
 * One request, non-streaming or streaming (text pieces to onText). Throws MalformedResponse when
 * the answer is not a completion, and the client's errors as they come.
 */
async function request(
  client: OpenAI,
  endpoint: RemoteProvenance['endpoint'],
  model: string,
  prompt: PromptSpec,
  params: GenerationParams,
  signal: AbortSignal,
  onText?: (text: string, tokens: number) => void
): Promise<Answer> {
  const body = requestParams(model, params)
  const started = performance.now()
  if (!onText) {
    const r: unknown =
      endpoint === 'completions'
        ? await client.completions.create({ ...body, prompt: prompt.text, stream: false } as OpenAI.CompletionCreateParamsNonStreaming, { signal })
        : await client.chat.completions.create({ ...body, messages: [{ role: 'user', content: prompt.text }], stream: false } as OpenAI.ChatCompletionCreateParamsNonStreaming, { signal })
    const c = r as { id?: unknown; model?: unknown; choices?: unknown; usage?: { prompt_tokens?: unknown; completion_tokens?: unknown } | null; system_fingerprint?: unknown }
    const choice = Array.isArray(c?.choices) ? (c.choices[0] as { text?: unknown; message?: { content?: unknown }; finish_reason?: unknown } | undefined) : undefined
    const text = endpoint === 'completions' ? choice?.text : choice?.message?.content
    if (typeof text !== 'string') throw new MalformedResponse(`the answer is not an OpenAI ${endpoint === 'completions' ? 'completion' : 'chat completion'} (${describeBody(r)})`)
    return {
      text,
      model: typeof c.model === 'string' && c.model ? c.model : model,
      finish: choice?.finish_reason,
      promptTokens: numberOr0(c.usage?.prompt_tokens),
      completionTokens: numberOr0(c.usage?.completion_tokens),
      responseId: typeof c.id === 'string' ? c.id : null,
      systemFingerprint: typeof c.system_fingerprint === 'string' ? c.system_fingerprint : null,
      timeToFirstTokenMs: 0
    }
  }
  const streamOpts = { ...body, stream: true as const, stream_options: { include_usage: true } }
  const stream =
    endpoint === 'completions'
      ? await client.completions.create({ ...streamOpts, prompt: prompt.text } as OpenAI.CompletionCreateParamsStreaming, { signal })
      : await client.chat.completions.create({ ...streamOpts, messages: [{ role: 'user', content: prompt.text }] } as OpenAI.ChatCompletionCreateParamsStreaming, { signal })
  let text = ''
  let pieces = 0
  let finish: unknown = null
  let answeredModel = model
  let usage = null as { prompt_tokens?: unknown; completion_tokens?: unknown } | null
  let id: string | null = null
  let fingerprint: string | null = null
  let firstAt = 0
  for await (const chunk of stream as AsyncIterable<unknown>) {
    const c = chunk as { id?: unknown; model?: unknown; choices?: unknown; usage?: typeof usage; system_fingerprint?: unknown }
    if (!c || typeof c !== 'object') throw new MalformedResponse(`a stream event is not a JSON object (${describeBody(chunk)})`)
    if (typeof c.id === 'string') id = c.id
    if (typeof c.model === 'string' && c.model) answeredModel = c.model
    if (typeof c.system_fingerprint === 'string') fingerprint = c.system_fingerprint
    if (c.usage) usage = c.usage
    if (!Array.isArray(c.choices)) {
      if (c.usage) continue
      throw new MalformedResponse(`a stream event has no choices (${describeBody(chunk)})`)
    }
    const ch = c.choices[0] as { text?: unknown; delta?: { content?: unknown }; finish_reason?: unknown } | undefined
    if (!ch) continue
    const piece = endpoint === 'completions' ? ch.text : ch.delta?.content
    if (typeof piece === 'string' && piece.length > 0) {
      if (!firstAt) firstAt = performance.now()
      text += piece
      pieces++
      onText(piece, pieces)
    }
    if (ch.finish_reason) finish = ch.finish_reason
  }
  if (!finish) throw new MalformedResponse(`the stream ended before the answer was complete (no finish_reason after ${text.length} characters)`)
  return {
    text,
    model: answeredModel,
    finish,
    promptTokens: numberOr0(usage?.prompt_tokens),
    completionTokens: usage ? numberOr0(usage.completion_tokens) : pieces,
    responseId: id,
    systemFingerprint: fingerprint,
    timeToFirstTokenMs: firstAt ? Math.round((firstAt - started) * 10) / 10 : 0
  }
}

function numberOr0(v: unknown): number {
  return typeof v === 'number' && Number.isFinite(v) ? v : 0
}

function describeBody(v: unknown): string {
  const s = typeof v === 'string' ? JSON.stringify(v.slice(0, 80)) : JSON.stringify(v)?.slice(0, 80)
  return `got ${s ?? String(v)}`
}

/** The model a run uses: the registered one, else the first the server lists; checked against its list. */
export async function resolveServerModel(client: OpenAI, info: EngineInfo, signal?: AbortSignal): Promise<{ model: string; listed: string[] }> {
  let listed: string[] = []
  try {
    const page = await client.models.list({ signal })
    const data = (page as unknown as { data?: unknown }).data
    if (!Array.isArray(data)) throw new MalformedResponse(`/models is not a model list (${describeBody(page)})`)
    listed = data.map((m) => (m as { id?: unknown }).id).filter((id): id is string => typeof id === 'string')
  } catch (err) {
    // A server without /models (404) can still serve a named model.
    if (err instanceof APIError && err.status === 404 && info.model) return { model: info.model, listed: [] }
    throw err
  }
  if (info.model) {
    if (listed.length > 0 && !listed.includes(info.model)) {
      throw new AppError('not_found', `Server "${info.name}" (${info.url}) has no model "${info.model}"; it offers: ${listed.slice(0, 10).join(', ')}.`, { field: 'model' })
    }
    return { model: info.model, listed }
  }
  if (listed.length === 0) throw new AppError('not_found', `Server "${info.name}" (${info.url}) lists no models; register it with a model id.`, { field: 'model' })
  return { model: listed[0], listed }
}

/** What the server offers: its models, the one a run would use, prompt log-probabilities. Sends no post. */
export async function checkServer(info: EngineInfo, storedKey?: StoredKeyLookup): Promise<EngineCheck> {
  let client: OpenAI
  try {
    client = openAiClient(info, storedKey)
  } catch (err) {
    return { engineId: info.id, ok: false, models: [], model: null, promptLogprobs: null, message: AppError.from(err).message }
  }
  // One quick attempt: a check should not wait through the retries.
  const quick = client.withOptions({ maxRetries: 0, timeout: Math.min(info.timeoutSeconds, 15) * 1000 })
  let resolved: { model: string; listed: string[] }
  try {
    resolved = await resolveServerModel(quick, info)
  } catch (err) {
    return { engineId: info.id, ok: false, models: [], model: null, promptLogprobs: null, message: describeServerError(info, err, info.model).message }
  }
  let promptLogprobs: boolean | null = null
  try {
    // A fixed probe text, not a post: echo + logprobs asks for the prompt's own log-probabilities.
    const r = (await quick.completions.create({ model: resolved.model, prompt: 'The sky is blue.', max_tokens: 1, temperature: 0, echo: true, logprobs: 1 })) as unknown as {
      choices?: { logprobs?: { token_logprobs?: unknown[] } | null }[]
    }
    const lp = r.choices?.[0]?.logprobs?.token_logprobs
    promptLogprobs = Array.isArray(lp) && lp.length > 1
  } catch {
    promptLogprobs = false
  }
  return {
    engineId: info.id,
    ok: true,
    models: resolved.listed,
    model: resolved.model,
    promptLogprobs,
    message: `${info.name} answers with model ${resolved.model}${promptLogprobs ? '; it returns prompt log-probabilities (the LM score can use it)' : '; it does not return prompt log-probabilities, so the LM score cannot use it'}.`
  }
}

/**
 * Mean natural-log probability per token of `continuation` given `context` from the server's
 * prompt log-probabilities (echo + logprobs on /completions, as vLLM and the OpenAI legacy API
 * return them): the tokens whose text starts at or after the end of the context.
 */
export async function remoteScoreLogProb(info: EngineInfo, context: string, continuation: string, storedKey?: StoredKeyLookup): Promise<{ meanLogProb: number; tokens: number; logProbs: number[] }> {
  const client = openAiClient(info, storedKey)
  const { model } = await resolveServerModel(client, info)
  let r: { choices?: { logprobs?: { token_logprobs?: unknown[]; text_offset?: unknown[] } | null }[] }
  try {
    r = (await client.completions.create({ model, prompt: context + continuation, max_tokens: 1, temperature: 0, echo: true, logprobs: 1 })) as unknown as typeof r
  } catch (err) {
    // 400: this pair is too long for the server's context (the caller may cut it and try again).
    throw new AppError(err instanceof APIError && err.status === 400 ? 'invalid_input' : 'unsupported', describeServerError(info, err, model).message)
  }
  const lp = r.choices?.[0]?.logprobs
  if (!lp || !Array.isArray(lp.token_logprobs) || !Array.isArray(lp.text_offset)) {
    throw new AppError('unsupported', `Server "${info.name}" does not return prompt log-probabilities (echo + logprobs), so it cannot give the LM score.`)
  }
  const logProbs: number[] = []
  const start = context.length
  for (let i = 0; i < lp.token_logprobs.length; i++) {
    const off = lp.text_offset[i]
    const v = lp.token_logprobs[i]
    if (typeof off === 'number' && off >= start && off < start + continuation.length && typeof v === 'number') logProbs.push(v)
  }
  if (logProbs.length === 0) throw new AppError('invalid_input', 'The continuation to score is empty.')
  return { meanLogProb: logProbs.reduce((a, b) => a + b, 0) / logProbs.length, tokens: logProbs.length, logProbs }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms)
    signal.addEventListener('abort', () => {
      clearTimeout(t)
      resolve()
    }, { once: true })
  })
}

/**
 * A session on a registered server. Runs keep `parallel` requests in flight; the client retries
 * 429, 5xx, timeouts and dropped connections with exponential backoff (0.5 s doubling to 8 s),
 * and malformed answers are retried the same number of times here. When a request still fails
 * for a reason that is the server's (it is gone, refuses the key, lacks the model), the run takes
 * no new items, lets the requests in flight finish (each stored as it arrives) and pauses with
 * the reason: resume continues with the items not stored, so nothing is lost or stored twice.
 */
export function openAiSession(info: EngineInfo, storedKey?: StoredKeyLookup): EngineSession {
  const jobs = new Map<string, AbortController>()
  let resolvedModel: string | null = info.model

  const endpointOf = (prompt: PromptSpec): RemoteProvenance['endpoint'] => (prompt.template === 'chat' ? 'chat.completions' : 'completions')

  /** One item with retries of malformed answers; the client retries the rest. */
  async function once(client: OpenAI, model: string, prompt: PromptSpec, params: GenerationParams, signal: AbortSignal, onText?: (t: string, n: number) => void): Promise<EngineStats> {
    const endpoint = endpointOf(prompt)
    const counter = { n: 0 }
    const started = performance.now()
    for (let attempt = 0; ; attempt++) {
      try {
        const a = await attemptCounter.run(counter, () => request(client, endpoint, model, prompt, params, signal, onText))
        const seconds = (performance.now() - started) / 1000
        return {
          text: a.text,
          promptTokens: a.promptTokens,
          generatedTokens: a.completionTokens,
          finish: finishOf(a.finish),
          timeToFirstTokenMs: a.timeToFirstTokenMs,
          tokensPerSecond: seconds > 0 ? a.completionTokens / seconds : 0,
          seconds,
          truncation: null,
          contextSize: 0,
          chatWrapper: null,
          remote: {
            engine: 'openai',
            server: info.name,
            url: info.url,
            endpoint,
            model: a.model,
            request: requestParams(model, params),
            responseId: a.responseId,
            systemFingerprint: a.systemFingerprint,
            attempts: counter.n
          }
        }
      } catch (err) {
        const malformed = err instanceof MalformedResponse || err instanceof SyntaxError
        // A stream cannot be retried once its text went to the reader.
        if (!malformed || onText || attempt >= info.maxRetries || signal.aborted) {
          if (malformed) throw new AppError('internal', `Server "${info.name}" (${info.url}) sent a malformed answer: ${(err as Error).message}.`)
          throw err
        }
        await sleep(Math.min(500 * 2 ** attempt, 8000), signal)
      }
    }
  }

  return {
    engine: 'openai',
    modelId: null,
    get modelFile() {
      return `${resolvedModel ?? 'server default'} @ ${info.name}`
    },

    async prepare(): Promise<string> {
      // No request here: a server that is down pauses the run (batch) or fails the request
      // (generate) with its reason, rather than failing the run before it starts.
      return `remote:${info.name}`
    },

    provenance(stats: EngineStats, format: PromptFormat, params: GenerationParams): Provenance {
      return {
        modelFile: stats.remote?.model ?? resolvedModel ?? info.name,
        sha256: null,
        adapterFile: null,
        adapterSha256: null,
        ...generationProvenance(stats, format, params),
        backend: `remote:${info.name}`,
        truncation: null,
        contextSize: 0,
        ...(stats.remote ? { remote: stats.remote } : {})
      }
    },

    async generate(jobId: string, prompt: PromptSpec, params: GenerationParams, onText?: (text: string, tokens: number) => void): Promise<EngineStats> {
      const controller = new AbortController()
      jobs.set(jobId, controller)
      let streamed = ''
      try {
        const client = openAiClient(info, storedKey)
        const { model } = await resolveServerModel(client, info, controller.signal)
        resolvedModel = model
        return await once(client, model, prompt, params, controller.signal, onText ? (t, n) => ((streamed += t), onText(t, n)) : undefined)
      } catch (err) {
        if (controller.signal.aborted || err instanceof APIUserAbortError) {
          // Stopped by the user: what arrived is kept, as a local generation keeps it.
          return {
            text: streamed,
            promptTokens: 0,
            generatedTokens: 0,
            finish: 'stopped',
            timeToFirstTokenMs: 0,
            tokensPerSecond: 0,
            seconds: 0,
            truncation: null,
            contextSize: 0,
            chatWrapper: null,
            remote: {
              engine: 'openai',
              server: info.name,
              url: info.url,
              endpoint: endpointOf(prompt),
              model: resolvedModel ?? '',
              request: requestParams(resolvedModel ?? '', params),
              responseId: null,
              systemFingerprint: null,
              attempts: 1
            }
          }
        }
        if (err instanceof AppError) throw err
        throw new AppError('unsupported', describeServerError(info, err, resolvedModel).message)
      } finally {
        jobs.delete(jobId)
      }
    },

    async batch(jobId: string, items: EngineItem[], params: GenerationParams, parallel: number, listeners: BatchListeners): Promise<BatchOutcome> {
      const controller = new AbortController()
      // Every request in flight listens on the one signal.
      setMaxListeners(0, controller.signal)
      jobs.set(jobId, controller)
      let pausedBecause: string | null = null
      try {
        let client: OpenAI
        let model: string
        try {
          client = openAiClient(info, storedKey)
          model = (await resolveServerModel(client, info, controller.signal)).model
          resolvedModel = model
        } catch (err) {
          if (controller.signal.aborted) return { aborted: true, pausedBecause: null }
          return { aborted: false, pausedBecause: describeServerError(info, err, info.model).message }
        }
        const queue = [...items]
        let tokens = 0
        const lane = async () => {
          while (!controller.signal.aborted && pausedBecause === null) {
            const item = queue.shift()
            if (!item) return
            try {
              const stats = await once(client, model, item.prompt, params, controller.signal)
              // An answer that arrives is stored even when the user paused meanwhile: it is complete.
              tokens += stats.generatedTokens
              listeners.item(item.key, stats)
              listeners.tokens(tokens)
            } catch (err) {
              if (controller.signal.aborted || err instanceof APIUserAbortError) return
              const d = describeServerError(info, err, model)
              if (d.pause) pausedBecause ??= d.message
              else listeners.itemError(item.key, d.message)
            }
          }
        }
        await Promise.all(Array.from({ length: Math.max(1, Math.min(parallel, items.length)) }, lane))
        return { aborted: controller.signal.aborted, pausedBecause: controller.signal.aborted ? null : pausedBecause }
      } finally {
        jobs.delete(jobId)
      }
    },

    async abort(jobId: string): Promise<boolean> {
      const c = jobs.get(jobId)
      if (!c) return false
      c.abort()
      return true
    }
  }
}
