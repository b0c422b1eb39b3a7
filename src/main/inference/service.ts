import { join, resolve } from 'node:path'
import type { ServiceContext } from '../services'
import type { ImhiService } from '../imhi/service'
import { AppError } from '../../shared/api/errors'
import { seq2seqAddSchema, type InferenceStatus, type ModelInfo } from '../../shared/api/inference'
import { createModelLibrary, inspectGguf } from './library'
import { sha256File } from './gguf'
import { checkServer, remoteScoreLogProb } from './engines/openai'
import { createEngineRegistry } from './engines/registry'
import { createInferenceStore } from './store'
import { createLocalRuntime } from './runtime'
import { createDownloads } from './downloads'
import { createGeneration } from './generation'
import type { InferenceItems } from './prompt'
import { createRuns } from './runs'
import { createModelSettings } from './settings'
import { createSeq2seqEngines } from './engines/seq2seq'
import { OnnxEngine } from './engines/onnx'

export interface InferenceOptions {
  /** Caps the memory a model may need (tests; IMHI_MEMORY_LIMIT, e.g. "8G"); default: the machine's RAM. */
  memoryLimitBytes?: number | null
  /** IMHI_GPU=off forces the CPU. */
  gpu?: 'auto' | false
  /** llama.cpp threads (IMHI_THREADS); default: CPU cores - 1 on the CPU. */
  threads?: number | null
  /** A download with no new bytes for this long has broken off (IMHI_DOWNLOAD_STALL_MS; default 60 s). */
  downloadStallMs?: number
  /**
   * Whether this service runs the runs of its database (default true). The core's jobs lane
   * (src/main/core/lanes.ts) runs none: it shares the process id of the lane that does, so it must
   * not take that lane's running runs for ones a dead process left.
   */
  ownsRuns?: boolean
  /** Called before a local model is loaded (the core's lanes: the other lane releases an idle copy). */
  beforeModelLoad?: () => Promise<unknown>
}

/**
 * Local models, registered servers, single-post generation and benchmark runs. A facade over
 * the domain's modules: store.ts (its SQL), runtime.ts (the llama.cpp worker, model refs, engine
 * sessions), library.ts (the model library), downloads.ts, generation.ts, runs.ts, prompt.ts.
 */
export function createInferenceService(ctx: ServiceContext, deps: { imhi: ImhiService; onnx?: OnnxEngine }, opts: InferenceOptions = {}) {
  const { db } = ctx
  // The hosts read the environment (src/main/config.ts) and pass it here; a service never reads it.
  const memoryLimitBytes = opts.memoryLimitBytes ?? null
  const gpu = opts.gpu ?? 'auto'
  const threads = opts.threads ?? null
  const downloadStallMs = opts.downloadStallMs ?? 60_000
  const modelsDir = join(ctx.dataDir, 'models')
  const library = createModelLibrary(db, modelsDir)
  const engines = createEngineRegistry(db, ctx.platform.apiKeys)
  const store = createInferenceStore(db)
  // Converted MentalBART / MentalT5 folders run in the ONNX worker (engines/seq2seq.ts).
  const onnx = deps.onnx ?? new OnnxEngine()
  const seq2seq = createSeq2seqEngines({ onnx, engines, threads })
  // Benchmark items are the imhi domain's: read through its service, never its tables.
  const items: InferenceItems = deps.imhi

  const runtime = createLocalRuntime({
    library,
    engines,
    seq2seq,
    memoryLimitBytes,
    gpu,
    threads,
    onStateChange: () => ctx.events.broadcast('inference.status', status()),
    onLog: (level, message) => ctx.events.broadcast('app.log', { level, message }),
    // Saved per-model settings (inference/settings) shape every load of that model.
    applySettings: (modelId, ref) => modelSettings.applyTo(modelId, ref),
    beforeModelLoad: opts.beforeModelLoad
  })
  const { worker, ensureInit } = runtime
  const modelSettings = createModelSettings({ db, library, worker, ensureInit, memoryLimitBytes })

  async function addModel(input: { path: string; baseModelId?: number }): Promise<ModelInfo> {
    const path = resolve(input.path)
    const { header, metadata } = await inspectGguf(worker, path, ensureInit, memoryLimitBytes)
    const sha256 = await sha256File(path)
    return library.save(path, metadata, header.sizeBytes, sha256, input.baseModelId ?? null)
  }

  const downloads = createDownloads({ modelsDir, stallMs: downloadStallMs, events: ctx.events, addModel })
  const generation = createGeneration({ store, items, runtime })
  const runs = createRuns({ db, events: ctx.events, store, items, runtime, engines, status, ownsRuns: opts.ownsRuns })

  function status(): InferenceStatus {
    return { ...runtime.state(), activeRuns: runs.activeIds(), downloads: downloads.list() }
  }

  const service = {
    library,
    engines,
    /** Per-model settings (backend, GPU layers, threads, context, batch): inference/settings. */
    settings: modelSettings,
    status,
    localSession: runtime.localSession,

    /** Asks a registered server what it offers (its models, prompt log-probabilities); sends no post. */
    checkEngine: (id: number) => {
      const e = engines.get(id)
      return e.kind === 'onnx-seq2seq' ? seq2seq.check(e) : checkServer(e, engines.storedKey)
    },

    /** Registers a converted MentalBART / MentalT5 folder (loaded and checked, then hashed) as an engine. */
    addSeq2seqEngine: (input: { name: string; path: string }) => seq2seq.add(seq2seqAddSchema.parse(input)),

    removeEngine(id: number): { removed: number } {
      const e = engines.get(id)
      const runId = runs.runOnEngine(id)
      if (runId !== null) throw new AppError('conflict', `Run ${runId} is using this server: pause it first.`)
      const removed = engines.remove(id)
      if (e.kind === 'onnx-seq2seq') void seq2seq.forget(e.url)
      return removed
    },

    /** scoreLogProb on a registered server, from its prompt log-probabilities (where it offers them). */
    scoreLogProbRemote: async (input: { engineId: number; context: string; continuation: string }) => {
      const e = engines.get(input.engineId)
      if (e.kind !== 'openai') throw new AppError('unsupported', `"${e.name}" is a MentalBART/MentalT5 folder, not a server: the LM score needs a server's prompt log-probabilities or a local GGUF.`, { field: 'engineId' })
      return await remoteScoreLogProb(e, input.context, input.continuation, engines.storedKey)
    },
    ensureInit,

    addModel,

    /** Unloads this service's model when nothing uses it (the core's other lane is about to load one); true when it did. */
    releaseIdleModel: () => runtime.releaseIfIdle(),

    async removeModel(input: { id: number; deleteFile: boolean }): Promise<{ removed: number }> {
      const m = library.get(input.id)
      await runtime.release(m.path)
      return { removed: await library.remove(input.id, input.deleteFile) }
    },

    /** Starts a download into DATA_DIR/models; resumes a partial file; progress is broadcast. */
    download: downloads.download,
    /** Resolves when a download ends (tests and the CLI wait on it). */
    waitForDownload: downloads.waitForDownload,
    cancelDownload: downloads.cancelDownload,
    /** Removes a finished download (failed, cancelled or completed) from the list; a running one must be cancelled first. */
    dismissDownload: downloads.dismissDownload,

    async load(input: { id: number; adapterId?: number; gpuLayers: 'auto' | number }): Promise<InferenceStatus> {
      await runtime.load(input)
      return status()
    },

    async unload(): Promise<InferenceStatus> {
      const active = runs.activeIds()
      if (active.length > 0) throw new AppError('conflict', `Run ${active.join(', ')} is using the model: pause it first.`)
      await runtime.unload()
      return status()
    },

    /** One explanation for one item, streamed to `onText`, stored with its provenance (also when stopped). */
    generate: generation.generate,
    stop: generation.stop,
    explanations: generation.explanations,
    deleteExplanation: generation.deleteExplanation,

    /** Plans a run (its items in the test files' order, frozen) and starts it unless `start` is false. */
    createRun: runs.createRun,
    /** Runs (or resumes) a run in this process and resolves when it ends (the CLI waits on it). */
    runToEnd: runs.runToEnd,
    listRuns: runs.listRuns,
    getRun: runs.getRun,
    pauseRun: runs.pauseRun,
    cancelRun: runs.cancelRun,
    resumeRun: runs.resumeRun,
    /** DIR/DATASET.csv per dataset, IMHI.py's layout, rows in the test file's order. */
    exportRun: runs.exportRun,
    /** For the annotation and evaluation domains: a run's generated texts, by item. */
    runExplanations: (runId: number): { id: number; itemId: number; text: string; modelFile: string }[] => store.runExplanations.all(runId),
    /** The run with this id, or null (getRun throws instead). */
    findRun: runs.findRun,

    /** Mean log-probability per token of a continuation under a GGUF model (evaluation's model-likelihood scores). */
    scoreLogProb: runtime.scoreLogProb,
    /** One embedding vector per text under a GGUF model (evaluation's label classifiers). */
    embed: runtime.embed,

    async close(): Promise<void> {
      await runs.pauseAll()
      await downloads.cancelAll()
      await seq2seq.close()
      if (!deps.onnx) await onnx.close()
      await runtime.terminate()
    }
  }

  return service
}
export type InferenceService = ReturnType<typeof createInferenceService>
