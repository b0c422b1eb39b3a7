import type { BackendInfo, GenerationParams, ModelInfo, PromptFormat, Provenance } from '../../../shared/api/inference'
import type { InferenceWorker } from '../client'
import type { GenerationStats, ModelRef, PromptSpec } from '../worker/protocol'
import { generationProvenance, type BatchListeners, type BatchOutcome, type EngineItem, type EngineSession, type EngineStats } from './types'

export interface LlamaCppDeps {
  worker: InferenceWorker
  /** Starts llama.cpp in the worker (once) and names its backend. */
  ensureInit: () => Promise<BackendInfo>
  memoryLimitBytes: number | null
  /** Sequences the context is created with for generate(), so that many can run side by side. */
  lanes?: number
}

export interface LlamaCppTarget {
  ref: ModelRef
  model: ModelInfo
  adapter: ModelInfo | null
}

/** What a local GGUF generation records about itself. */
export function llamaCppProvenance(stats: GenerationStats, backend: string, target: LlamaCppTarget, format: PromptFormat, params: GenerationParams): Provenance {
  const { model, adapter } = target
  return {
    modelFile: model.fileName,
    sha256: model.sha256,
    adapterFile: adapter?.fileName ?? null,
    adapterSha256: adapter?.sha256 ?? null,
    ...generationProvenance(stats, format, params),
    backend,
    truncation: stats.truncation,
    contextSize: stats.contextSize,
    ...(stats.chatWrapper ? { chatWrapper: stats.chatWrapper } : {}),
    ...(stats.load ? { load: stats.load } : {})
  }
}

/**
 * The llama.cpp engine: a GGUF (with its LoRA adapter) in the inference worker thread. A run's
 * items share one context, `parallel` sequences decoding together.
 */
export function llamaCppSession(deps: LlamaCppDeps, target: LlamaCppTarget): EngineSession {
  const { worker } = deps
  let backend = 'unknown'
  return {
    engine: 'llama.cpp',
    modelId: target.model.id,
    modelFile: target.model.fileName,

    async prepare(): Promise<string> {
      const hostBackend = (await deps.ensureInit()).kind
      // A model whose settings chose a backend runs there (the worker says so when it cannot).
      backend = target.ref.backend && target.ref.backend !== 'auto' ? target.ref.backend : hostBackend
      return backend
    },

    provenance: (stats, format, params) => llamaCppProvenance(stats, backend, target, format, params),

    async generate(jobId: string, prompt: PromptSpec, params: GenerationParams, onText?: (text: string, tokens: number) => void): Promise<EngineStats> {
      // Same memory check as an explicit load, before llama.cpp touches the weights.
      await worker.request({ op: 'load', model: target.ref, memoryLimitBytes: deps.memoryLimitBytes })
      return await worker.request({ op: 'generate', jobId, model: target.ref, prompt, params, stream: !!onText, lanes: deps.lanes }, { jobId, token: (text, tokens) => onText?.(text, tokens) })
    },

    async batch(jobId: string, items: EngineItem[], params: GenerationParams, parallel: number, listeners: BatchListeners): Promise<BatchOutcome> {
      const result = await worker.request(
        { op: 'batch', jobId, model: target.ref, items, params, parallel },
        {
          jobId,
          item: (key, stats) => listeners.item(key, stats),
          itemError: (key, error) => listeners.itemError(key, error.message),
          batchTokens: (tokens) => listeners.tokens(tokens)
        }
      )
      return { aborted: result.aborted, pausedBecause: null }
    },

    async abort(jobId: string): Promise<boolean> {
      if (!worker.running) return false
      return (await worker.request({ op: 'abort', jobId })).aborted
    }
  }
}
