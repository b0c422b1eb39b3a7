import { basename, resolve } from 'node:path'
import { AppError } from '../../shared/api/errors'
import type { BackendInfo, InferenceStatus, ModelInfo } from '../../shared/api/inference'
import { InferenceWorker } from './client'
import { llamaCppSession } from './engines/llamacpp'
import { openAiSession } from './engines/openai'
import type { EngineRegistry } from './engines/registry'
import type { EngineSession } from './engines/types'
import type { Seq2seqEngines } from './engines/seq2seq'
import { readGgufHeader } from './gguf'
import type { ModelLibrary } from './library'
import type { EmbedResult, ModelRef, WorkerState } from './worker/protocol'

export interface RuntimeOptions {
  library: ModelLibrary
  engines: EngineRegistry
  /** MentalBART / MentalT5 folders registered as engines (the ONNX worker). */
  seq2seq: Seq2seqEngines
  memoryLimitBytes: number | null
  gpu: 'auto' | false
  threads: number | null
  /** The worker's state changed (llama.cpp, model or context loaded, failed or released). */
  onStateChange: () => void
  onLog: (level: 'info' | 'warn' | 'error', message: string) => void
  /** The model's saved settings applied to a load (null: a file outside the library). */
  applySettings?: (modelId: number | null, ref: ModelRef) => ModelRef
  /**
   * Called before this runtime loads a model it does not hold (the core's lanes: asks the other
   * lane to release an idle copy, so one machine does not hold the same weights twice).
   */
  beforeModelLoad?: () => Promise<unknown>
}

/**
 * The local runtime: the inference worker thread that owns llama.cpp (started on first use), the
 * model it has loaded, and the engine session that makes a text, a GGUF in llama.cpp or a
 * registered OpenAI-compatible server.
 */
export function createLocalRuntime(opts: RuntimeOptions) {
  const applySettings = (modelId: number | null, ref: ModelRef): ModelRef => (opts.applySettings ? opts.applySettings(modelId, ref) : ref)
  const { library, engines, memoryLimitBytes, gpu, threads } = opts

  let workerState: WorkerState | null = null
  const worker = new InferenceWorker({
    onState: (s) => {
      workerState = s
      opts.onStateChange()
    },
    onLog: (level, message) => {
      if (level !== 'info') opts.onLog(level, message)
    },
    beforeLoad: async (model) => {
      if (!opts.beforeModelLoad) return
      const held = workerState?.model
      if (held?.status === 'loaded' && held.path === model.path && (held.adapterPath ?? null) === (model.adapterPath ?? null)) return
      await opts.beforeModelLoad()
    }
  })
  let backend: BackendInfo | null = null
  let initPromise: Promise<BackendInfo> | null = null
  const ensureInit = (): Promise<BackendInfo> => {
    if (backend && worker.running) return Promise.resolve(backend)
    if (!initPromise || !worker.running) {
      initPromise = worker.request({ op: 'init', threads, gpu }).then(
        (b) => (backend = b),
        (err) => {
          initPromise = null
          throw err
        }
      )
    }
    return initPromise
  }

  /** The runtime's part of the inference status: the backend, llama.cpp, the loaded model, its context. */
  function state(): Pick<InferenceStatus, 'backend' | 'llama' | 'model' | 'context'> {
    const ws = workerState
    const loadedPath = ws?.model.path ?? null
    const loaded = loadedPath ? library.findByPath(loadedPath) : null
    const adapter = ws?.model.adapterPath ? library.findByPath(ws.model.adapterPath) : null
    return {
      backend,
      llama: ws?.llama ?? { status: 'idle', error: null },
      model: {
        status: ws?.model.status ?? 'idle',
        error: ws?.model.error ?? null,
        modelId: loaded?.id ?? null,
        adapterId: adapter?.id ?? null,
        fileName: loadedPath ? basename(loadedPath) : null,
        gpuLayers: ws?.model.gpuLayers ?? null
      },
      context: ws?.context ?? { status: 'idle', error: null, sequences: 0, contextSize: 0 }
    }
  }

  function modelRef(modelId: number, adapterId: number | undefined | null, gpuLayers: 'auto' | number = 'auto'): { ref: ModelRef; model: ModelInfo; adapter: ModelInfo | null } {
    const model = library.get(modelId)
    if (model.kind !== 'model') throw new AppError('invalid_input', `${model.fileName} is a LoRA adapter; choose a base model and pick the adapter beside it.`, { field: 'modelId' })
    if (model.missing) throw new AppError('not_found', `${model.fileName} is no longer at ${model.path}.`, { field: 'modelId' })
    const adapter = adapterId ? library.get(adapterId) : null
    if (adapter && adapter.kind !== 'lora') throw new AppError('invalid_input', `${adapter.fileName} is not a LoRA adapter.`, { field: 'adapterId' })
    if (adapter && adapter.architecture !== model.architecture) {
      throw new AppError('invalid_input', `The adapter ${adapter.fileName} is for ${adapter.architecture}, the model ${model.fileName} is ${model.architecture}.`, { field: 'adapterId' })
    }
    return { ref: applySettings(model.id, { path: model.path, adapterPath: adapter?.path ?? null, gpuLayers }), model, adapter }
  }

  /** The engine session that makes a run's or a request's text: a GGUF in llama.cpp, or a registered server. */
  function sessionFor(target: { modelId?: number | null; adapterId?: number | null; engineId?: number | null }): EngineSession {
    if (target.engineId) {
      const e = engines.get(target.engineId)
      return e.kind === 'onnx-seq2seq' ? opts.seq2seq.session(e) : openAiSession(e, engines.storedKey)
    }
    if (!target.modelId) throw new AppError('invalid_input', 'Choose a model or a registered server.', { field: 'modelId' })
    const { ref, model, adapter } = modelRef(target.modelId, target.adapterId)
    return llamaCppSession({ worker, ensureInit, memoryLimitBytes }, { ref, model, adapter })
  }

  /**
   * A local model as an engine session for `lanes` generations side by side (`imhi serve --engine`
   * answers OpenAI-compatible requests with it).
   */
  function localSession(modelId: number, opts: { lanes: number }): EngineSession {
    const { ref, model, adapter } = modelRef(modelId, null)
    return llamaCppSession({ worker, ensureInit, memoryLimitBytes, lanes: opts.lanes }, { ref, model, adapter })
  }

  async function load(input: { id: number; adapterId?: number; gpuLayers: 'auto' | number }): Promise<void> {
    const { ref } = modelRef(input.id, input.adapterId, input.gpuLayers)
    await ensureInit()
    await worker.request({ op: 'load', model: ref, memoryLimitBytes })
  }

  async function unload(): Promise<void> {
    if (worker.running) await worker.request({ op: 'unload' })
  }

  /** Unloads the model when the file at `path` is the loaded model or adapter (before it is removed). */
  async function release(path: string): Promise<void> {
    if (workerState?.model.path === path || workerState?.model.adapterPath === path) await worker.request({ op: 'unload' })
  }

  /**
   * Mean log-probability per token (natural log) of `continuation` given `context` under a
   * model: teacher-forced, full softmax. For the evaluation domain (model-likelihood scores).
   */
  async function scoreLogProb(input: { modelPath: string; context: string; continuation: string; contextSize?: number }): Promise<{ meanLogProb: number; tokens: number; logProbs: number[] }> {
    await readGgufHeader(resolve(input.modelPath))
    await ensureInit()
    const ref: ModelRef = applySettings(library.findByPath(resolve(input.modelPath))?.id ?? null, { path: resolve(input.modelPath), adapterPath: null, gpuLayers: 'auto' })
    await worker.request({ op: 'load', model: ref, memoryLimitBytes })
    return await worker.request({ op: 'score', model: ref, context: input.context, continuation: input.continuation, contextSize: input.contextSize ?? null })
  }

  /**
   * One embedding vector per text under a GGUF model, in the worker thread (see worker/embed.ts
   * for the truncation policy: a text too long for the context keeps its first tokens, recorded
   * in truncatedFrom). The file is checked as a GGUF first (a non-GGUF file gets a clear error
   * naming it); llama.cpp then validates and loads it as any model. For the evaluation domain
   * (embedding features of the label classifiers).
   */
  async function embed(input: { modelPath: string; texts: readonly string[]; contextSize?: number }): Promise<EmbedResult> {
    const path = resolve(input.modelPath)
    await readGgufHeader(path)
    if (input.contextSize !== undefined && !(Number.isInteger(input.contextSize) && input.contextSize >= 16 && input.contextSize <= 131072)) {
      throw new AppError('invalid_input', `contextSize must be an integer in 16..131072 (got ${input.contextSize}).`, { field: 'contextSize' })
    }
    for (const [i, t] of input.texts.entries()) {
      if (typeof t !== 'string' || t.trim() === '') throw new AppError('invalid_input', `Text ${i + 1} of ${input.texts.length} is empty: an embedding needs some text.`, { index: i })
    }
    if (input.texts.length === 0) return { dimension: 0, contextSize: input.contextSize ?? 0, vectors: [], tokens: [], truncatedFrom: [] }
    await ensureInit()
    const ref: ModelRef = applySettings(library.findByPath(path)?.id ?? null, { path, adapterPath: null, gpuLayers: 'auto' })
    await worker.request({ op: 'load', model: ref, memoryLimitBytes })
    return await worker.request({ op: 'embed', model: ref, texts: [...input.texts], contextSize: input.contextSize ?? null })
  }

  return {
    worker,
    ensureInit,
    /** The backend llama.cpp reported at init (null before the worker started). */
    backend: () => backend,
    state,
    modelRef,
    sessionFor,
    localSession,
    load,
    unload,
    release,
    scoreLogProb,
    embed,
    terminate: () => worker.terminate(),
    /** Unloads the model when nothing uses it (no generation, score or embedding in flight); true when it did. */
    async releaseIfIdle(): Promise<boolean> {
      if (!worker.running || worker.busy || !workerState?.model.path) return false
      await unload()
      return true
    }
  }
}

export type LocalRuntime = ReturnType<typeof createLocalRuntime>
