import type { ApiErrorBody } from '../../../shared/api/errors'
import type { FitEstimate } from '../../../shared/api/modelSettings'
import type { BackendInfo, GenerationParams, ModelMetadata, StageState, TruncationRecord } from '../../../shared/api/inference'

/** Messages between the inference service (main thread) and the worker thread that owns llama.cpp. */

export interface ModelRef {
  path: string
  adapterPath: string | null
  gpuLayers: 'auto' | number
  /** The model's saved settings (inference/settings), absent or null = the host's default. */
  backend?: 'auto' | 'cuda' | 'vulkan' | 'metal' | 'cpu'
  threads?: number | null
  /** Tokens per sequence when the request names none. */
  contextSize?: number | null
  batchSize?: number | null
}

/** A prompt as the worker tokenizes it: plain text (raw/completion) or wrapped in the model's chat template. */
export interface PromptSpec {
  text: string
  template: 'none' | 'chat'
  /** For 'chat': a whole conversation (an OpenAI-style request) instead of one user turn of `text`. */
  messages?: { role: 'system' | 'user' | 'assistant'; content: string }[]
}

export interface GenerationStats {
  text: string
  promptTokens: number
  generatedTokens: number
  finish: 'eog' | 'maxTokens' | 'stopped'
  timeToFirstTokenMs: number
  /** Generated tokens / seconds from the first token to the last (decode speed). */
  tokensPerSecond: number
  seconds: number
  truncation: TruncationRecord | null
  contextSize: number
  chatWrapper: string | null
  /** How llama.cpp ran it (local engine): GPU layers of the model, the context's threads and batch size. */
  load?: { gpuLayers: number; threads: number; batchSize: number }
}

export interface WorkerState {
  backend: BackendInfo | null
  llama: StageState
  model: StageState & { path: string | null; adapterPath: string | null; gpuLayers: number | null }
  context: StageState & { sequences: number; contextSize: number }
}

export interface BatchItem {
  key: number
  prompt: PromptSpec
}

export type WorkerRequest =
  | { op: 'init'; threads: number | null; gpu: 'auto' | false }
  | { op: 'state' }
  | { op: 'inspect'; path: string; memoryLimitBytes: number | null }
  /** Whether a model fits under its settings (weights not loaded); see settings/fit.ts. */
  | { op: 'estimate'; model: ModelRef; memoryLimitBytes: number | null }
  /** The llama.cpp backends this platform has binaries for, and the one auto picks. */
  | { op: 'backends' }
  | { op: 'load'; model: ModelRef; memoryLimitBytes: number | null }
  | { op: 'unload' }
  /** lanes: sequences to create the context with, so that many generations can run side by side (serve --engine). */
  | { op: 'generate'; jobId: string; model: ModelRef; prompt: PromptSpec; params: GenerationParams; stream: boolean; lanes?: number }
  | { op: 'batch'; jobId: string; model: ModelRef; items: BatchItem[]; params: GenerationParams; parallel: number }
  | { op: 'abort'; jobId: string }
  | { op: 'score'; model: ModelRef; context: string; continuation: string; contextSize: number | null }
  | { op: 'embed'; model: ModelRef; texts: string[]; contextSize: number | null }

export interface WorkerResults {
  init: BackendInfo
  state: WorkerState
  inspect: { metadata: ModelMetadata; tensorBytes: number; dataOffset: number }
  estimate: FitEstimate
  backends: { supported: string[]; auto: string; threads: number }
  load: WorkerState
  unload: WorkerState
  generate: GenerationStats
  batch: { done: number; aborted: boolean }
  abort: { aborted: boolean }
  score: { meanLogProb: number; tokens: number; logProbs: number[] }
  embed: EmbedResult
}

/**
 * One embedding per text (llama.cpp's pooled embedding of the model, as node-llama-cpp's
 * getEmbeddingFor returns it, not normalized). A text longer than the context keeps its first
 * `contextSize - 2` tokens (room for BOS/EOS): `tokens` is what was embedded, `truncatedFrom`
 * the full token count where it was cut (else null).
 */
export interface EmbedResult {
  dimension: number
  contextSize: number
  vectors: Float32Array[]
  tokens: number[]
  truncatedFrom: (number | null)[]
}

/**
 * The worker's side of the one RPC envelope (src/shared/api/rpc.ts): a request is a call whose
 * method is its `op` and whose params are the request; what the worker reports on its own is an
 * event named by `type`, its payload the rest of the message.
 */
export type WorkerEvent =
  | { type: 'token'; jobId: string; text: string; tokens: number }
  | { type: 'item'; jobId: string; key: number; stats: GenerationStats }
  | { type: 'itemError'; jobId: string; key: number; error: ApiErrorBody }
  /** Tokens generated so far by a batch job (finished and in-flight items), at most twice a second. */
  | { type: 'batchTokens'; jobId: string; tokens: number }
  | { type: 'state'; state: WorkerState }
  | { type: 'log'; level: 'info' | 'warn' | 'error'; message: string }
