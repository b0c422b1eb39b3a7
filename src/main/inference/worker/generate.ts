import { resolveChatWrapper, type ChatHistoryItem, type LlamaContextSequence, type LlamaModel, type Token } from 'node-llama-cpp'
import { AppError } from '../../../shared/api/errors'
import type { GenerationParams } from '../../../shared/api/inference'
import { truncatePrompt } from '../truncate'
import type { GenerationStats, PromptSpec } from './protocol'

/** A job the service can stop: generation loops check it after every token. */
export interface JobControl {
  aborted: boolean
}

export interface PreparedPrompt {
  tokens: Token[]
  truncation: GenerationStats['truncation']
  chatWrapper: string | null
  promptTokens: number
}

/**
 * The default context per sequence: 2,048 tokens (IMHI queries and answers fit), more when max
 * tokens asks for it (max tokens + 512 for the prompt), never beyond the model's training context.
 */
export function defaultContextSize(model: LlamaModel, params: GenerationParams, modelSetting?: number | null): number {
  if (params.contextSize) return params.contextSize
  // The model's saved context size (inference/settings) when the request names none.
  if (modelSetting) return modelSetting
  return Math.min(model.trainContextSize || 2048, Math.max(2048, params.maxTokens + 512))
}

/**
 * Tokenizes a prompt as the format says. 'none' is what IMHI.py feeds a model: the query text with
 * the tokenizer's BOS and nothing else. 'chat' wraps it as one user turn in the model's own chat
 * template (node-llama-cpp resolves the template from the GGUF, or a known wrapper by name).
 */
export function preparePrompt(model: LlamaModel, prompt: PromptSpec, contextSize: number, params: GenerationParams): PreparedPrompt {
  let tokens: Token[]
  let chatWrapper: string | null = null
  if (prompt.template === 'chat') {
    const wrapper = resolveChatWrapper(model)
    chatWrapper = wrapper.wrapperName
    const turns = prompt.messages ?? [{ role: 'user' as const, content: prompt.text }]
    const chatHistory: ChatHistoryItem[] = turns.map((m) =>
      m.role === 'system' ? { type: 'system', text: m.content } : m.role === 'user' ? { type: 'user', text: m.content } : { type: 'model', response: [m.content] }
    )
    const { contextText } = wrapper.generateContextState({ chatHistory: [...chatHistory, { type: 'model', response: [] }] })
    tokens = contextText.tokenize(model.tokenizer)
  } else {
    tokens = model.tokenize(prompt.text, false)
    const bos = model.tokens.bos
    if (bos != null && model.tokens.shouldPrependBosToken && tokens[0] !== bos) tokens = [bos, ...tokens]
  }
  if (tokens.length === 0) throw new AppError('invalid_input', 'The prompt is empty.')
  const promptTokens = tokens.length
  const t = truncatePrompt(tokens, contextSize, params.maxTokens, params.truncation)
  return { tokens: t.tokens, truncation: t.record, chatWrapper, promptTokens }
}

/** Tokens the repeat penalty looks back over, as llama.cpp's repeat_last_n default. */
const REPEAT_LAST_N = 64

function samplingOptions(params: GenerationParams, history: () => Token[]) {
  // Applies under greedy decoding too (the penalty changes the logits before the argmax).
  const repeat = params.repeatPenalty && params.repeatPenalty > 1 ? { repeatPenalty: { punishTokens: history, maxPunishTokens: REPEAT_LAST_N, penalty: params.repeatPenalty } } : {}
  // temperature 0 is llama.cpp's greedy sampler (argmax), the benchmark's decoding.
  if (params.temperature <= 0) return repeat
  return {
    ...repeat,
    temperature: params.temperature,
    topP: params.topP,
    ...(params.topK > 0 ? { topK: params.topK } : {}),
    seed: params.seed
  }
}

/**
 * Generates on one sequence from a clean state. Streams text pieces when `onText` is given:
 * a piece is sent once it decodes to whole characters (a multi-byte character split across
 * tokens waits for its last byte).
 */
export async function generateOnSequence(
  sequence: LlamaContextSequence,
  prepared: PreparedPrompt,
  params: GenerationParams,
  job: JobControl,
  onText?: (text: string, tokens: number) => void,
  onToken?: () => void
): Promise<GenerationStats> {
  const model = sequence.model
  await sequence.clearHistory()
  const started = performance.now()
  let firstAt = 0
  const out: Token[] = []
  let finish: GenerationStats['finish'] = 'eog'
  let sent = ''
  if (!job.aborted) {
    const history = () => [...prepared.tokens, ...out].slice(-REPEAT_LAST_N)
    for await (const token of sequence.evaluate(prepared.tokens, samplingOptions(params, history))) {
      if (out.length === 0) firstAt = performance.now()
      out.push(token)
      onToken?.()
      if (onText) {
        const text = model.detokenize(out)
        if (!text.endsWith('\uFFFD') && text.length > sent.length && text.startsWith(sent)) {
          onText(text.slice(sent.length), out.length)
          sent = text
        }
      }
      if (job.aborted) {
        finish = 'stopped'
        break
      }
      if (out.length >= params.maxTokens) {
        finish = 'maxTokens'
        break
      }
    }
  } else {
    finish = 'stopped'
  }
  const ended = performance.now()
  const text = model.detokenize(out)
  if (onText && text.length > sent.length && text.startsWith(sent)) onText(text.slice(sent.length), out.length)
  const decodeSeconds = firstAt ? (ended - firstAt) / 1000 : 0
  return {
    text,
    promptTokens: prepared.promptTokens,
    generatedTokens: out.length,
    finish,
    timeToFirstTokenMs: firstAt ? Math.round((firstAt - started) * 10) / 10 : 0,
    tokensPerSecond: out.length > 1 && decodeSeconds > 0 ? (out.length - 1) / decodeSeconds : 0,
    seconds: (ended - started) / 1000,
    truncation: prepared.truncation,
    contextSize: sequence.contextSize,
    chatWrapper: prepared.chatWrapper,
    load: { gpuLayers: model.gpuLayers, threads: sequence.context.currentThreads, batchSize: sequence.context.batchSize }
  }
}

/**
 * Mean natural-log probability per token of `continuation` given `context` (teacher forcing, the
 * full softmax over the vocabulary: temperature 1, no top-k/top-p/min-p truncation). Context gets
 * BOS like a raw prompt. llama.cpp hands the probabilities over as float32, so a token whose
 * probability underflows (below about 1.4e-45) counts as log(1.4e-45) = -103.3 instead of -Infinity.
 */
/** The smallest positive float32: llama.cpp's probabilities are float32. */
const FLOAT32_MIN = 1.401298464324817e-45

export async function scoreOnSequence(sequence: LlamaContextSequence, context: string, continuation: string): Promise<{ meanLogProb: number; tokens: number; logProbs: number[] }> {
  const model = sequence.model
  let ctx = model.tokenize(context, false)
  const bos = model.tokens.bos
  if (bos != null && model.tokens.shouldPrependBosToken) ctx = [bos, ...ctx]
  const cont = model.tokenize(continuation, false)
  if (cont.length === 0) throw new AppError('invalid_input', 'The continuation to score is empty.')
  if (ctx.length + cont.length > sequence.contextSize) {
    throw new AppError('invalid_input', `Context and continuation are ${ctx.length + cont.length} tokens, more than the ${sequence.contextSize}-token context.`)
  }
  await sequence.clearHistory()
  const all = [...ctx, ...cont]
  const fullSoftmax = { temperature: 1, topK: 0, topP: 1, minP: 0 } // topK 0: the whole vocabulary
  const input = all.map((token, i) =>
    i >= ctx.length - 1 && i < all.length - 1 ? ([token, { generateNext: { probabilities: true, options: fullSoftmax } }] as const) : token
  )
  const results = await sequence.controlledEvaluate(input as Parameters<LlamaContextSequence['controlledEvaluate']>[0])
  const logProbs: number[] = []
  for (let i = ctx.length - 1; i < all.length - 1; i++) {
    const probabilities = results[i]?.next.probabilities
    if (!probabilities) throw new AppError('internal', `no probabilities at position ${i}`)
    logProbs.push(Math.log(Math.max(probabilities.get(all[i + 1]) ?? 0, FLOAT32_MIN)))
  }
  await sequence.clearHistory()
  return { meanLogProb: logProbs.reduce((a, b) => a + b, 0) / logProbs.length, tokens: logProbs.length, logProbs }
}
