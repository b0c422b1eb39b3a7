import type { GenerationParams, PromptFormat, Provenance } from '../../../shared/api/inference'
import type { GenerationStats, PromptSpec } from '../worker/protocol'

// The one interface every engine offers the inference service: runs, single-post generation,
// provenance, resume and export see an EngineSession and never which engine is behind it.

/** An item of a run as an engine receives it: its key (the item id) and its model input. */
export interface EngineItem {
  key: number
  prompt: PromptSpec
}

/** What one generation produced, with what its engine adds to the row's provenance. */
export interface EngineStats extends GenerationStats {
  /** A remote server's own account of the request (its model id, the parameters sent, ...). */
  remote?: Provenance['remote']
  /** The ONNX seq2seq engine's account of how it decoded. */
  seq2seq?: Provenance['seq2seq']
}

export interface BatchListeners {
  /** One item finished; the service commits it at once. */
  item(key: number, stats: EngineStats): void
  /** One item failed on its own (the run goes on; resume retries it). */
  itemError(key: number, message: string): void
  /** Tokens generated so far in this batch, finished and in-flight items (live tokens/s). */
  tokens(total: number): void
}

export interface BatchOutcome {
  /** Stopped by abort() (pause or cancel by the user). */
  aborted: boolean
  /**
   * The engine stopped taking items because it cannot go on now (a server that does not answer,
   * refuses the key, lacks the model): the run is paused with this message, not failed, and
   * resume continues from the items not yet stored.
   */
  pausedBecause: string | null
}

/** A model ready to generate, whatever engine runs it. */
export interface EngineSession {
  /** 'llama.cpp' | 'openai' | 'onnx-seq2seq' */
  readonly engine: string
  /** What the explanation rows name as their model. */
  readonly modelId: number | null
  readonly modelFile: string
  /** Starts what the engine needs (llama.cpp's backend, a server check) and names the backend. */
  prepare(): Promise<string>
  provenance(stats: EngineStats, format: PromptFormat, params: GenerationParams): Provenance
  /** One generation, text streamed to onText when given; stats.finish = 'stopped' after abort(). */
  generate(jobId: string, prompt: PromptSpec, params: GenerationParams, onText?: (text: string, tokens: number) => void): Promise<EngineStats>
  /** Items with up to `parallel` in flight, each reported as it finishes. */
  batch(jobId: string, items: EngineItem[], params: GenerationParams, parallel: number, listeners: BatchListeners): Promise<BatchOutcome>
  /** Stops a generate() or batch() by its job id. */
  abort(jobId: string): Promise<boolean>
}

/** The provenance fields every engine records alike: the request (format, decoding) and what generation took. */
export function generationProvenance(stats: EngineStats, format: PromptFormat, params: GenerationParams) {
  return {
    promptFormat: format,
    params,
    seed: params.seed,
    promptTokens: stats.promptTokens,
    generatedTokens: stats.generatedTokens,
    finish: stats.finish,
    timeToFirstTokenMs: stats.timeToFirstTokenMs,
    tokensPerSecond: Math.round(stats.tokensPerSecond * 100) / 100
  } satisfies Partial<Provenance>
}
