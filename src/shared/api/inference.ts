import { z } from 'zod'
import { method } from './define'

// The inference domain's part of the API contract: the model library, single-post generation,
// benchmark runs and their export. Numbers in bytes are plain integers (JS numbers are exact to 2^53).

/** How a query becomes the model's input; recorded with every explanation and run. */
export const PROMPT_FORMATS = ['raw', 'chat', 'completion'] as const
export type PromptFormat = (typeof PROMPT_FORMATS)[number]

/** The splits a benchmark run can use: IMHI.py's instruction and completion test sets, and the expert set. */
export const RUN_SPLITS = ['test_instruction', 'test_complete', 'expert'] as const
export type RunSplit = (typeof RUN_SPLITS)[number]

/** What to do when prompt + max tokens do not fit the context: drop the middle of the prompt, or refuse. */
export const TRUNCATION_POLICIES = ['middle', 'error'] as const
export type TruncationPolicy = (typeof TRUNCATION_POLICIES)[number]

export const generationParamsSchema = z
  .object({
    /** 0 = greedy (argmax), the default, as the benchmark's IMHI.py decodes. */
    temperature: z.number().min(0).max(2).default(0),
    topP: z.number().gt(0).max(1).default(1),
    topK: z.number().int().min(0).max(1000).default(0),
    /** Used only when temperature > 0; always recorded. */
    seed: z.number().int().min(0).max(2 ** 31 - 1).default(0),
    maxTokens: z.number().int().min(1).max(8192).default(256),
    /** Tokens per sequence; default max(2048, maxTokens + 512), at most the model's training context. */
    contextSize: z.number().int().min(64).max(131072).optional(),
    truncation: z.enum(TRUNCATION_POLICIES).default('middle'),
    /**
     * Repeat penalty over the last 64 tokens (llama.cpp's repeat_penalty, repeat_last_n 64; sent as
     * vLLM's repetition_penalty to a server). Absent or 1 = none, as the benchmark's IMHI.py decodes.
     */
    repeatPenalty: z.number().min(1).max(2).optional()
  })
  .strict()
export type GenerationParams = z.output<typeof generationParamsSchema>
export type GenerationParamsInput = z.input<typeof generationParamsSchema>

/** One stage of the native state (llama backend, model, context): what the UI renders, never guesses. */
export interface StageState {
  status: 'idle' | 'loading' | 'loaded' | 'error'
  error: string | null
}

export interface BackendInfo {
  /** 'cuda' | 'vulkan' | 'metal' | 'cpu' */
  kind: string
  /** Why this backend: e.g. "CPU: no CUDA, Vulkan or Metal device found". */
  reason: string
  deviceNames: string[]
  vramTotalBytes: number
  vramFreeBytes: number
  ramTotalBytes: number
  ramFreeBytes: number
  threads: number
}

export interface InferenceStatus {
  backend: BackendInfo | null
  llama: StageState
  model: StageState & { modelId: number | null; adapterId: number | null; fileName: string | null; gpuLayers: number | null }
  context: StageState & { sequences: number; contextSize: number }
  /** Runs executing in this process. */
  activeRuns: number[]
  downloads: DownloadProgress[]
}

export interface ModelMemory {
  /** RAM the weights need on CPU only (mmap'd). */
  cpuRamBytes: number
  /** VRAM for full GPU offload of the weights. */
  gpuVramBytes: number
  /** Extra for a 2,048-token context with one sequence. */
  contextBytes: number
  fitsInGpu: boolean | null
  fitsInRam: boolean
}

export interface ModelMetadata {
  ggufVersion: number
  name: string | null
  architecture: string
  /** Total parameter count from the tensor shapes. */
  parameters: number
  /** llama.cpp file type, e.g. "MOSTLY_Q4_K_M", or null when not stated. */
  fileType: string | null
  /** The tensor types present with their share of bytes, e.g. { "Q4_K": 0.93, "F32": 0.07 }. */
  tensorTypes: Record<string, number>
  contextLength: number | null
  layers: number | null
  embeddingLength: number | null
  vocabSize: number | null
  chatTemplate: string | null
  /** For LoRA adapters: general.type = adapter. */
  adapterType: string | null
  memory: ModelMemory | null
}

export interface ModelInfo {
  id: number
  kind: 'model' | 'lora'
  path: string
  fileName: string
  sha256: string | null
  sizeBytes: number
  architecture: string | null
  baseModelId: number | null
  addedAt: string
  metadata: ModelMetadata
  /** The file is no longer where it was added from. */
  missing: boolean
}

export interface DownloadProgress {
  downloadId: string
  uri: string
  status: 'downloading' | 'completed' | 'failed' | 'cancelled'
  downloadedBytes: number
  totalBytes: number
  error: string | null
  modelId: number | null
}

export interface TruncationRecord {
  policy: TruncationPolicy
  promptTokens: number
  keptTokens: number
  droppedTokens: number
}

export interface Provenance {
  modelFile: string
  sha256: string | null
  adapterFile: string | null
  adapterSha256: string | null
  promptFormat: PromptFormat
  params: GenerationParams
  seed: number
  promptTokens: number
  generatedTokens: number
  /** Why generation ended: eog (end of text token), maxTokens, stopped (by the user). */
  finish: 'eog' | 'maxTokens' | 'stopped'
  timeToFirstTokenMs: number
  tokensPerSecond: number
  backend: string
  truncation: TruncationRecord | null
  contextSize: number
  /** For the chat format: the template wrapper used (e.g. "ChatML", "Jinja", "General"). */
  chatWrapper?: string
  /** How llama.cpp ran it (the model's settings as applied): GPU layers, threads, batch size. */
  load?: { gpuLayers: number; threads: number; batchSize: number }
  /** Made by a remote OpenAI-compatible server: what it said it ran and what was asked of it. */
  remote?: RemoteProvenance
  /** Made by the ONNX seq2seq engine (MentalBART, MentalT5): the folder and how it decoded. */
  seq2seq?: Seq2seqProvenance
}

/** How the ONNX seq2seq engine made a text (IMHI.py's handling of non-LLaMA models, docs/inference.md). */
export interface Seq2seqProvenance {
  engine: 'onnx-seq2seq'
  /** The registered folder's name and path, and the SHA-256 over its files (config, tokenizer, graphs). */
  name: string
  folder: string
  fingerprint: string
  modelType: string | null
  /** 'with-past': decoder_with_past_model.onnx with the key/value cache; 'recompute': decoder_model.onnx over the whole sequence each step. */
  decoder: 'with-past' | 'recompute'
  /** Greedy (num_beams 1) or transformers' beam search (num_beams > 1), with the logits processors of the generation config named here. */
  decoding: {
    strategy: 'greedy' | 'beam'
    configFile: string
    decoderStartTokenId: number
    eosTokenIds: number[]
    minLength: number
    noRepeatNgramSize: number
    repetitionPenalty: number
    forcedBosTokenId: number | null
    forcedEosTokenIds: number[] | null
    /** transformers' max_length this text ran under (max tokens + 1, capped at the learned positions). */
    maxLength: number
    /** The config's num_beams, length_penalty and early_stopping (beam search when num_beams > 1). */
    numBeams: number
    lengthPenalty: number
    earlyStopping: boolean
    /** do_sample in the config: not applied (decoding stays deterministic). */
    configDoSample: boolean
  }
  /** Rows decoded together. */
  batchSize: number
  /** Encoder tokens before the cut at the learned positions (equal to promptTokens when not cut). */
  promptTokensFull: number
  /** ONNX Runtime's execution provider. */
  provider: string
}

/** The engine that made an explanation: local llama.cpp, a remote OpenAI-compatible server, ONNX seq2seq. */
export const ENGINE_KINDS = ['llama.cpp', 'openai', 'onnx-seq2seq'] as const
export type EngineKind = (typeof ENGINE_KINDS)[number]

export interface RemoteProvenance {
  engine: 'openai'
  /** The registered server's name and base URL (never its API key). */
  server: string
  url: string
  endpoint: 'completions' | 'chat.completions'
  /** The model id the server answered with. */
  model: string
  /** The request's parameters as sent (everything but the prompt). */
  request: Record<string, unknown>
  responseId: string | null
  systemFingerprint: string | null
  /** Requests made for this item (1 = no retry). */
  attempts: number
}

export interface ExplanationInfo {
  id: number
  itemId: number
  runId: number | null
  modelId: number | null
  modelFile: string
  text: string
  promptFormat: PromptFormat
  provenance: Provenance
  createdAt: string
}

export type RunStatus = 'pending' | 'running' | 'paused' | 'cancelled' | 'completed' | 'failed'

export interface RunInfo {
  id: number
  name: string
  modelId: number | null
  modelFile: string
  modelSha256: string | null
  adapterId: number | null
  promptFormat: PromptFormat
  /**
   * `parallel`: sequences decoded together in one batch. `deterministic` (provenance): true when
   * each text was decoded alone (parallel 1), so it is independent of the batch and the same text
   * comes back on a rerun; batched kernels round differently with the batch's make-up.
   */
  params: GenerationParams & { parallel: number; deterministic?: boolean }
  datasets: string[]
  split: RunSplit
  limit: number | null
  status: RunStatus
  error: string | null
  backend: string | null
  /** The registered remote server that runs it (null: a local model). */
  engineId: number | null
  createdAt: string
  finishedAt: string | null
  total: number
  done: number
  generatedTokens: number
  /** Seconds spent generating, summed over the run's sessions (resumes included). */
  seconds: number
}

export interface RunProgress {
  runId: number
  status: RunStatus
  done: number
  total: number
  itemsPerSecond: number
  tokensPerSecond: number
  /** null until an item has finished in this session. */
  etaSeconds: number | null
  error: string | null
}

export interface ExportResult {
  dir: string
  files: { dataset: string; path: string; rows: number }[]
}

const idSchema = z.number().int().positive()

/** A run or a generation names exactly one of a local model and a registered server. */
function oneModelOrServer(v: { modelId?: number; engineId?: number; adapterId?: number }, ctx: z.RefinementCtx): void {
  if ((v.modelId === undefined) === (v.engineId === undefined)) {
    ctx.addIssue({ code: 'custom', path: ['modelId'], message: 'give either modelId (a local model) or engineId (a registered server)' })
  }
  if (v.engineId !== undefined && v.adapterId !== undefined) {
    ctx.addIssue({ code: 'custom', path: ['adapterId'], message: 'a LoRA adapter goes with a local model, not with a server' })
  }
}

/** How a remote server is reached: never its API key, only the environment variable that holds it. */
export interface EngineInfo {
  id: number
  name: string
  /** 'openai': a remote server; 'onnx-seq2seq': a converted MentalBART/MentalT5 folder run here. */
  kind: 'openai' | 'onnx-seq2seq'
  /** Base URL of the OpenAI-compatible API, e.g. http://gpu-box:8000/v1; for onnx-seq2seq, the model folder. */
  url: string
  /** The environment variable holding the API key (null: no key). */
  apiKeyEnv: string | null
  /** Whether a key is at hand: the variable is set in this process, or one is in the keychain (the key itself is never returned). */
  apiKeySet: boolean
  /** A key is kept in the desktop app's system keychain (used when the variable is not set). */
  apiKeyStored: boolean
  /** The server's model id to ask for (null: the first one /v1/models lists); for onnx-seq2seq, the folder's SHA-256 when registered. */
  model: string | null
  /** Seconds before a request counts as timed out (then retried). */
  timeoutSeconds: number
  /** Retries of one request on 429, 5xx, timeouts and dropped connections, with backoff. */
  maxRetries: number
  addedAt: string
}

export const engineAddSchema = z
  .object({
    name: z.string().trim().min(1).max(64).regex(/^[\w.-]+$/, 'letters, digits, _ . - only'),
    url: z.string().trim().min(8).max(2048),
    apiKeyEnv: z.string().trim().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'an environment variable name (letters, digits, _)').max(128).optional(),
    /**
     * The key itself, kept in the desktop app's system keychain (an encrypted file in its user
     * data; never in the database or a log). Refused where there is no keychain (browser, CLI).
     */
    apiKey: z.string().min(1, 'the API key is empty').max(4096, 'an API key of at most 4,096 characters').optional(),
    model: z.string().trim().min(1).max(256).optional(),
    timeoutSeconds: z.number().int().min(1).max(3600).default(120),
    maxRetries: z.number().int().min(0).max(20).default(4)
  })
  .strict()
export type EngineAddInput = z.output<typeof engineAddSchema>

/** A converted MentalBART / MentalT5 folder (Optimum's seq2seq layout) registered as an engine. */
export const seq2seqAddSchema = z
  .object({
    name: z.string().trim().min(1).max(64).regex(/^[\w.-]+$/, 'letters, digits, _ . - only'),
    path: z.string().min(1).max(4096)
  })
  .strict()
export type Seq2seqAddInput = z.output<typeof seq2seqAddSchema>

export interface EngineCheck {
  engineId: number
  ok: boolean
  /** The models the server lists (empty when it did not answer). */
  models: string[]
  /** The model a run would use. */
  model: string | null
  /** Whether /v1/completions returns prompt log-probabilities (echo + logprobs), which the LM score needs. */
  promptLogprobs: boolean | null
  message: string
}
const pathSchema = z.string().min(1).max(4096)

export const runCreateSchema = z
  .object({
    name: z.string().trim().min(1).max(200).optional(),
    /** A local model from the library, or */
    modelId: idSchema.optional(),
    adapterId: idSchema.optional(),
    /** a registered remote server (inference.engines.*). */
    engineId: idSchema.optional(),
    datasets: z.array(z.string().min(1).max(64)).min(1).max(16),
    split: z.enum(RUN_SPLITS),
    limit: z.number().int().min(1).max(1_000_000).optional(),
    /**
     * Deterministic mode (the default): one sequence at a time, each text independent of the batch.
     * parallel > 1 batches sequences: faster, but a rerun may not give the same texts.
     */
    parallel: z.number().int().min(1).max(64).default(1),
    /** Asks for the deterministic mode explicitly; true with parallel > 1 is refused. */
    deterministic: z.boolean().optional(),
    format: z.enum(PROMPT_FORMATS).default('raw'),
    params: generationParamsSchema.default(generationParamsSchema.parse({}))
  })
  .strict()
  .superRefine(oneModelOrServer)
export type RunCreateInput = z.output<typeof runCreateSchema>

export const inferenceMethods = {
  /** probe: start llama.cpp first (no model), so the backend and its reason are known. */
  'inference.status': method<InferenceStatus>()(z.object({ probe: z.boolean().default(false) }).strict()),
  'inference.models.list': method<ModelInfo[]>()(z.object({}).strict()),
  /** Adds a local .gguf (validated, metadata read without loading weights, hashed). */
  'inference.models.add': method<ModelInfo>()(
    z.object({ path: pathSchema, baseModelId: idSchema.optional() }).strict()
  ),
  /** Starts a download (https URL or hf:user/repo[:quant]); progress as inference.downloadProgress events. */
  'inference.models.download': method<DownloadProgress>()(
    z.object({ uri: z.string().min(4).max(4096), baseModelId: idSchema.optional() }).strict()
  ),
  'inference.models.cancelDownload': method<DownloadProgress>()(z.object({ downloadId: z.string().min(1).max(64) }).strict()),
  /** Removes a finished (failed, cancelled, completed) download from the list. */
  'inference.models.dismissDownload': method<{ dismissed: string }>()(z.object({ downloadId: z.string().min(1).max(64) }).strict()),
  'inference.models.remove': method<{ removed: number }>()(z.object({ id: idSchema, deleteFile: z.boolean().default(false) }).strict()),
  'inference.models.load': method<InferenceStatus>()(
    z.object({ id: idSchema, adapterId: idSchema.optional(), gpuLayers: z.union([z.literal('auto'), z.number().int().min(0).max(1000)]).default('auto') }).strict()
  ),
  'inference.models.unload': method<InferenceStatus>()(z.object({}).strict()),
  /** Generates one explanation for an item, streaming inference.token events to the caller; stored when done (also when stopped). */
  'inference.generate': method<ExplanationInfo>()(
    z
      .object({
        requestId: z.string().min(1).max(64),
        itemId: idSchema,
        modelId: idSchema.optional(),
        adapterId: idSchema.optional(),
        engineId: idSchema.optional(),
        format: z.enum(PROMPT_FORMATS).default('raw'),
        params: generationParamsSchema.default(generationParamsSchema.parse({}))
      })
      .strict()
      .superRefine(oneModelOrServer)
  ),
  'inference.engines.list': method<EngineInfo[]>()(z.object({}).strict()),
  /** Registers an OpenAI-compatible server (vLLM, llama-server, Ollama, TGI, imhi serve --engine). */
  'inference.engines.add': method<EngineInfo>()(engineAddSchema),
  /** Registers a converted MentalBART / MentalT5 folder (checked by loading it; hashed) as an 'onnx-seq2seq' engine. */
  'inference.engines.addSeq2seq': method<EngineInfo>()(seq2seqAddSchema),
  'inference.engines.remove': method<{ removed: number }>()(z.object({ id: idSchema }).strict()),
  /** Whether API keys can be kept in this host's system keychain (the desktop app), and why not. */
  'inference.engines.keychain': method<{ available: boolean; reason: string }>()(z.object({}).strict()),
  /** Asks the server for its models (and whether it offers prompt log-probabilities); sends no post. */
  'inference.engines.check': method<EngineCheck>()(z.object({ id: idSchema }).strict()),
  'inference.stop': method<{ stopped: boolean }>()(z.object({ requestId: z.string().min(1).max(64) }).strict()),
  'inference.explanations': method<ExplanationInfo[]>({ annotator: false })(z.object({ itemId: idSchema }).strict()),
  'inference.explanations.delete': method<{ removed: number }>()(z.object({ id: idSchema }).strict()),
  'inference.runs.create': method<RunInfo>()(runCreateSchema),
  'inference.runs.list': method<RunInfo[]>()(z.object({}).strict()),
  'inference.runs.get': method<RunInfo>()(z.object({ id: idSchema }).strict()),
  'inference.runs.pause': method<RunInfo>()(z.object({ id: idSchema }).strict()),
  'inference.runs.resume': method<RunInfo>()(z.object({ id: idSchema, parallel: z.number().int().min(1).max(64).optional() }).strict()),
  'inference.runs.cancel': method<RunInfo>()(z.object({ id: idSchema }).strict()),
  'inference.runs.export': method<ExportResult>()(z.object({ id: idSchema, dir: pathSchema }).strict())
}

export interface InferenceEvents {
  /** To the caller of inference.generate: the next piece of text. */
  'inference.token': { requestId: string; text: string; tokens: number }
  'inference.downloadProgress': DownloadProgress
  'inference.runProgress': RunProgress
  'inference.status': InferenceStatus
}
