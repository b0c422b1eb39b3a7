import { randomUUID } from 'node:crypto'
import { mkdirSync } from 'node:fs'
import { mkdir, rename, writeFile } from 'node:fs/promises'
import { basename, join, resolve } from 'node:path'
import type { ServiceContext } from '../services'
import type { ImhiService } from '../imhi/service'
import { AppError } from '../../shared/api/errors'
import { findDataset } from '../../shared/imhi/datasets'
import {
  generationParamsSchema,
  seq2seqAddSchema,
  type BackendInfo,
  type DownloadProgress,
  type ExplanationInfo,
  type ExportResult,
  type GenerationParams,
  type GenerationParamsInput,
  type InferenceStatus,
  type ModelInfo,
  type PromptFormat,
  type Provenance,
  type RunCreateInput,
  type RunInfo,
  type RunProgress,
  type RunSplit,
  type RunStatus
} from '../../shared/api/inference'
import { InferenceWorker } from './client'
import { createModelLibrary, inspectGguf } from './library'
import { parseBytes, readGgufHeader, sha256File } from './gguf'
import { imhiOutputCsv } from './export'
import type { EmbedResult, ModelRef, PromptSpec, WorkerState } from './worker/protocol'
import { llamaCppSession } from './engines/llamacpp'
import { checkServer, openAiSession, remoteScoreLogProb } from './engines/openai'
import { createEngineRegistry } from './engines/registry'
import type { EngineSession, EngineStats } from './engines/types'
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
}

interface ItemRow {
  id: number
  dataset: string
  split: string
  source_row: number
  query: string
  gold_response: string | null
}

interface RunRow {
  id: number
  name: string
  model_id: number | null
  model_file: string
  model_sha256: string | null
  adapter_id: number | null
  prompt_format: PromptFormat
  params: string
  datasets: string
  split: RunSplit
  item_limit: number | null
  status: RunStatus
  error: string | null
  backend: string | null
  engine_id: number | null
  created_at: string
  finished_at: string | null
  owner_pid: number | null
  heartbeat_at: string | null
  seconds: number
  generated_tokens: number
  total: number
  done: number
}

interface ExplanationRow {
  id: number
  item_id: number
  run_id: number | null
  model_id: number | null
  model_file: string
  text: string
  prompt_format: PromptFormat
  provenance: string
  created_at: string
}

interface ActiveRun {
  jobId: string
  /** Settles when the run's session has ended and its status is written. */
  done: Promise<void>
  /** What the run becomes when its job ends because the user asked (pause, cancel). */
  stopAs: RunStatus | null
  /** Stops the run's job in its engine. */
  abort: () => Promise<unknown>
}

const HEARTBEAT_MS = 5000
const STALE_MS = 30_000

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}

export function createInferenceService(ctx: ServiceContext, deps: { imhi: ImhiService; onnx?: OnnxEngine }, opts: InferenceOptions = {}) {
  // deps.imhi is not needed yet: items are read from the core `items` table directly.
  void deps
  const { db } = ctx
  const memoryLimitBytes = opts.memoryLimitBytes !== undefined ? opts.memoryLimitBytes : parseBytes(process.env.IMHI_MEMORY_LIMIT)
  const gpu = opts.gpu ?? (/^(off|false|0|cpu)$/i.test(process.env.IMHI_GPU ?? '') ? false : 'auto')
  const envThreads = Number(process.env.IMHI_THREADS)
  const threads = opts.threads ?? (Number.isInteger(envThreads) && envThreads > 0 ? envThreads : null)
  const envStall = Number(process.env.IMHI_DOWNLOAD_STALL_MS)
  const downloadStallMs = opts.downloadStallMs ?? (Number.isFinite(envStall) && envStall > 0 ? envStall : 60_000)
  const modelsDir = join(ctx.dataDir, 'models')
  const library = createModelLibrary(db, modelsDir)
  const engines = createEngineRegistry(db)
  // Converted MentalBART / MentalT5 folders run in the ONNX worker (engines/seq2seq.ts).
  const onnx = deps.onnx ?? new OnnxEngine()
  const seq2seq = createSeq2seqEngines({ onnx, engines, threads })

  let workerState: WorkerState | null = null
  const worker = new InferenceWorker({
    onState: (s) => {
      workerState = s
      ctx.events.broadcast('inference.status', status())
    },
    onLog: (level, message) => {
      if (level !== 'info') ctx.events.broadcast('app.log', { level, message })
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

  const downloads = new Map<string, DownloadProgress & { cancel?: () => Promise<void> }>()
  const activeRuns = new Map<number, ActiveRun>()
  const generations = new Map<string, { jobId: string; session: EngineSession }>() // by requestId

  const q = {
    item: db.prepare<[number], ItemRow>('SELECT id, dataset, split, source_row, query, gold_response FROM items WHERE id = ?'),
    completeTwin: db.prepare<[string, number], { query: string }>(
      "SELECT query FROM items WHERE dataset = ? AND split = 'test_complete' AND source_row = ?"
    ),
    planItems: db.prepare<[string, string, number], { id: number }>(
      'SELECT id FROM items WHERE dataset = ? AND split = ? ORDER BY source_file_id, source_row LIMIT ?'
    ),
    datasetCase: db.prepare<[string], { dataset: string }>('SELECT DISTINCT dataset FROM items WHERE lower(dataset) = lower(?)'),
    insertRun: db.prepare(
      `INSERT INTO runs (name, model_id, model_file, model_sha256, adapter_id, prompt_format, params, datasets, split, item_limit, status, backend, engine_id)
       VALUES (@name, @modelId, @modelFile, @sha256, @adapterId, @format, @params, @datasets, @split, @limit, 'pending', @backend, @engineId)`
    ),
    insertRunItem: db.prepare<[number, number, number]>('INSERT INTO run_items (run_id, position, item_id) VALUES (?, ?, ?)'),
    run: db.prepare<[number], RunRow>(
      `SELECT r.*, (SELECT COUNT(*) FROM run_items ri WHERE ri.run_id = r.id) AS total,
              (SELECT COUNT(*) FROM explanations e WHERE e.run_id = r.id) AS done
       FROM runs r WHERE r.id = ?`
    ),
    runs: db.prepare<[], RunRow>(
      `SELECT r.*, (SELECT COUNT(*) FROM run_items ri WHERE ri.run_id = r.id) AS total,
              (SELECT COUNT(*) FROM explanations e WHERE e.run_id = r.id) AS done
       FROM runs r ORDER BY r.id DESC`
    ),
    remaining: db.prepare<[number], ItemRow & { position: number }>(
      `SELECT ri.position, i.id, i.dataset, i.split, i.source_row, i.query, i.gold_response
       FROM run_items ri JOIN items i ON i.id = ri.item_id
       WHERE ri.run_id = ? AND NOT EXISTS (SELECT 1 FROM explanations e WHERE e.run_id = ri.run_id AND e.item_id = ri.item_id)
       ORDER BY ri.position`
    ),
    exportRows: db.prepare<[number], { dataset: string; gold_response: string | null; text: string | null }>(
      `SELECT i.dataset, i.gold_response, e.text
       FROM run_items ri JOIN items i ON i.id = ri.item_id
       LEFT JOIN explanations e ON e.run_id = ri.run_id AND e.item_id = ri.item_id
       WHERE ri.run_id = ? ORDER BY ri.position`
    ),
    setStatus: db.prepare<[RunStatus, string | null, number]>('UPDATE runs SET status = ?, error = ? WHERE id = ?'),
    claim: db.prepare<[number, string | null, number]>(
      "UPDATE runs SET status = 'running', error = NULL, owner_pid = ?, heartbeat_at = strftime('%Y-%m-%dT%H:%M:%fZ','now'), backend = COALESCE(?, backend) WHERE id = ?"
    ),
    heartbeat: db.prepare<[number]>("UPDATE runs SET heartbeat_at = strftime('%Y-%m-%dT%H:%M:%fZ','now') WHERE id = ?"),
    finish: db.prepare<[RunStatus, string | null, RunStatus, number]>(
      "UPDATE runs SET status = ?, error = ?, owner_pid = NULL, finished_at = CASE WHEN ? IN ('completed','cancelled') THEN strftime('%Y-%m-%dT%H:%M:%fZ','now') ELSE finished_at END WHERE id = ?"
    ),
    addStats: db.prepare<[number, number, number]>('UPDATE runs SET seconds = seconds + ?, generated_tokens = generated_tokens + ? WHERE id = ?'),
    insertExplanation: db.prepare(
      `INSERT INTO explanations (item_id, run_id, model_id, model_file, text, prompt_format, params, provenance)
       VALUES (@itemId, @runId, @modelId, @modelFile, @text, @format, @params, @provenance)`
    ),
    explanation: db.prepare<[number], ExplanationRow>('SELECT * FROM explanations WHERE id = ?'),
    explanationsOf: db.prepare<[number], ExplanationRow>('SELECT * FROM explanations WHERE item_id = ? ORDER BY id DESC'),
    deleteExplanation: db.prepare<[number]>('DELETE FROM explanations WHERE id = ? AND run_id IS NULL'),
    staleRunning: db.prepare<[], { id: number; owner_pid: number | null; age_ms: number | null }>(
      "SELECT id, owner_pid, (julianday('now') - julianday(heartbeat_at)) * 86400000 AS age_ms FROM runs WHERE status = 'running'"
    )
  }

  const finishRun = (id: number, status: RunStatus, error: string | null) => q.finish.run(status, error, status, id)

  /** A run left 'running' by a process that died (kill -9, crash, closed laptop) becomes 'paused'. */
  function reconcileRuns(): void {
    for (const r of q.staleRunning.all()) {
      if (activeRuns.has(r.id)) continue
      const ownerGone = r.owner_pid === null || (r.owner_pid !== process.pid && !pidAlive(r.owner_pid)) || r.owner_pid === process.pid
      if (ownerGone || (r.age_ms ?? Infinity) > STALE_MS) {
        finishRun(r.id, 'paused', 'interrupted: the process running it ended; resume continues where it stopped')
      }
    }
  }
  reconcileRuns()

  function status(): InferenceStatus {
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
      context: ws?.context ?? { status: 'idle', error: null, sequences: 0, contextSize: 0 },
      activeRuns: [...activeRuns.keys()],
      downloads: [...downloads.values()].map(({ cancel: _c, ...d }) => d)
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
    return { ref: { path: model.path, adapterPath: adapter?.path ?? null, gpuLayers }, model, adapter }
  }

  /** The model input for an item: IMHI.py feeds the query as is (raw); completion uses the test_complete twin. */
  function promptFor(item: ItemRow, format: PromptFormat): PromptSpec {
    if (format === 'completion') {
      if (item.split === 'test_complete') return { text: item.query, template: 'none' }
      const twin = q.completeTwin.get(item.dataset, item.source_row)
      if (!twin) {
        throw new AppError('not_found', `Item ${item.id} (${item.dataset} row ${item.source_row}) has no completion-style query: import test_data/test_complete/${item.dataset}.csv.`, {
          item: item.id
        })
      }
      return { text: twin.query, template: 'none' }
    }
    return { text: item.query, template: format === 'chat' ? 'chat' : 'none' }
  }

  /** The engine session that makes a run's or a request's text: a GGUF in llama.cpp, or a registered server. */
  function sessionFor(target: { modelId?: number | null; adapterId?: number | null; engineId?: number | null }): EngineSession {
    if (target.engineId) {
      const e = engines.get(target.engineId)
      return e.kind === 'onnx-seq2seq' ? seq2seq.session(e) : openAiSession(e)
    }
    if (!target.modelId) throw new AppError('invalid_input', 'Choose a model or a registered server.', { field: 'modelId' })
    const { ref, model, adapter } = modelRef(target.modelId, target.adapterId)
    return llamaCppSession({ worker, ensureInit, memoryLimitBytes }, { ref, model, adapter })
  }

  function toExplanation(r: ExplanationRow): ExplanationInfo {
    return {
      id: r.id,
      itemId: r.item_id,
      runId: r.run_id,
      modelId: r.model_id,
      modelFile: r.model_file,
      text: r.text,
      promptFormat: r.prompt_format,
      provenance: JSON.parse(r.provenance) as Provenance,
      createdAt: r.created_at
    }
  }

  function toRun(r: RunRow): RunInfo {
    return {
      id: r.id,
      name: r.name,
      modelId: r.model_id,
      modelFile: r.model_file,
      modelSha256: r.model_sha256,
      adapterId: r.adapter_id,
      promptFormat: r.prompt_format,
      params: JSON.parse(r.params) as RunInfo['params'],
      datasets: JSON.parse(r.datasets) as string[],
      split: r.split,
      limit: r.item_limit,
      status: r.status,
      error: r.error,
      backend: r.backend,
      engineId: r.engine_id,
      createdAt: r.created_at,
      finishedAt: r.finished_at,
      total: r.total,
      done: r.done,
      generatedTokens: r.generated_tokens,
      seconds: Math.round(r.seconds * 1000) / 1000
    }
  }

  function getRun(id: number): RunInfo {
    const r = q.run.get(id)
    if (!r) throw new AppError('not_found', `Run ${id} does not exist.`, { field: 'id' })
    return toRun(r)
  }

  /**
   * A remote run whose server was removed (and registered again, e.g. at a new URL) continues on
   * the server registered under the same name; the run's rows record the URL of each request.
   */
  function relinkServer(run: RunInfo): number | null {
    if (run.modelId === null && (run.backend === 'onnx-seq2seq' || run.backend?.startsWith('onnxruntime'))) {
      // A MentalBART / MentalT5 folder engine removed and registered again: the same files (fingerprint) take its runs on.
      const e = engines
        .list()
        .filter((x) => x.kind === 'onnx-seq2seq' && x.model !== null && x.model === run.modelSha256)
        .sort((x, y) => y.id - x.id)[0]
      if (!e) throw new AppError('not_found', `Run ${run.id} was made with the folder ${run.modelFile} (SHA-256 ${run.modelSha256?.slice(0, 12) ?? '?'}…), which is no longer registered: register that folder again (imhi engines add NAME --seq2seq DIR) to resume the run.`)
      db.prepare('UPDATE runs SET engine_id = ? WHERE id = ?').run(e.id, run.id)
      return e.id
    }
    if (run.modelId !== null || !run.backend?.startsWith('remote:')) return null
    const name = run.backend.slice('remote:'.length)
    const e = engines.byName(name)
    if (!e) throw new AppError('not_found', `Run ${run.id} was sent to the server "${name}", which is no longer registered: register it again under that name to resume the run.`)
    db.prepare('UPDATE runs SET engine_id = ? WHERE id = ?').run(e.id, run.id)
    return e.id
  }

  /** Executes the run's remaining items; each finished item is committed at once. */
  async function execute(runId: number, parallel: number): Promise<RunInfo> {
    const run = getRun(runId)
    const engineRun = q.run.get(runId)!.engine_id ?? relinkServer(run)
    if (run.modelId === null && engineRun === null) throw new AppError('not_found', `Run ${runId}: its model was removed from the library; add ${run.modelFile} again to resume it.`)
    if (engineRun === null) {
      const { model } = modelRef(run.modelId!, run.adapterId)
      if (model.sha256 && run.modelSha256 && model.sha256 !== run.modelSha256) {
        throw new AppError('conflict', `Run ${runId} was made with ${run.modelFile} (SHA-256 ${run.modelSha256.slice(0, 12)}…) but the library's file now differs; it cannot continue with other weights.`)
      }
    }
    const session = sessionFor({ modelId: run.modelId, adapterId: run.adapterId, engineId: engineRun })
    const { parallel: _parallel, deterministic: _deterministic, ...storedParams } = run.params
    const params: GenerationParams = generationParamsSchema.parse(storedParams)
    const remaining = q.remaining.all(runId)
    // Claimed before the first await, so whoever started it sees it running at once.
    const jobId = randomUUID()
    q.claim.run(process.pid, null, runId)
    let settle = () => {}
    const active: ActiveRun = { jobId, done: new Promise<void>((r) => (settle = r)), stopAs: null, abort: () => session.abort(jobId) }
    activeRuns.set(runId, active)
    const heartbeat = setInterval(() => q.heartbeat.run(runId), HEARTBEAT_MS)
    heartbeat.unref()
    try {
      q.claim.run(process.pid, await session.prepare(), runId)
    } catch (err) {
      clearInterval(heartbeat)
      finishRun(runId, 'failed', AppError.from(err).message)
      activeRuns.delete(runId)
      settle()
      throw err
    }

    const started = performance.now()
    let lastMark = started
    let doneNow = 0
    let tokensNow = 0
    // Tokens of this session including items still in flight: live tokens/s before an item ends.
    let tokensLive = 0
    let lastEmit = 0
    const total = run.total
    let done = run.done
    const errors: string[] = []
    const emitProgress = (statusNow: RunStatus, force = false, error: string | null = null) => {
      const now = performance.now()
      if (!force && now - lastEmit < 250) return
      lastEmit = now
      const secs = (now - started) / 1000
      const ips = secs > 0 ? doneNow / secs : 0
      const progress: RunProgress = {
        runId,
        status: statusNow,
        done,
        total,
        itemsPerSecond: Math.round(ips * 1000) / 1000,
        tokensPerSecond: secs > 0 ? Math.round((Math.max(tokensNow, tokensLive) / secs) * 10) / 10 : 0,
        etaSeconds: doneNow > 0 && ips > 0 ? Math.round((total - done) / ips) : null,
        error
      }
      ctx.events.broadcast('inference.runProgress', progress)
    }
    emitProgress('running', true)

    const byKey = new Map(remaining.map((r) => [r.id, r]))
    const items = []
    for (const r of remaining) {
      try {
        items.push({ key: r.id, prompt: promptFor(r, run.promptFormat) })
      } catch (err) {
        errors.push(AppError.from(err).message)
      }
    }
    const paramsJson = JSON.stringify(params)
    const commit = db.transaction((itemId: number, stats: EngineStats) => {
      q.insertExplanation.run({
        itemId,
        runId,
        modelId: session.modelId,
        modelFile: session.modelFile,
        text: stats.text,
        format: run.promptFormat,
        params: paramsJson,
        provenance: JSON.stringify(session.provenance(stats, run.promptFormat, params))
      })
      // Wall time since the previous commit: sums to the session's duration, and survives a kill.
      const now = performance.now()
      q.addStats.run((now - lastMark) / 1000, stats.generatedTokens, runId)
      lastMark = now
    })

    let final: RunStatus = 'completed'
    let finalError: string | null = null
    try {
      if (items.length > 0) {
        const result = await session.batch(jobId, items, params, parallel, {
          item: (key, stats) => {
            if (!byKey.has(key)) return
            commit(key, stats)
            done++
            doneNow++
            tokensNow += stats.generatedTokens
            emitProgress('running', done === total)
          },
          itemError: (key, message) => {
            errors.push(`item ${key}: ${message}`)
          },
          tokens: (tokens) => {
            tokensLive = tokens
            emitProgress('running')
          }
        })
        if (result.aborted) final = active.stopAs ?? 'paused'
        else if (result.pausedBecause) {
          final = 'paused'
          finalError = result.pausedBecause
        }
      }
      if (final === 'completed' && errors.length > 0) {
        final = 'failed'
        finalError = `${errors.length} item(s) failed; resume retries them. First: ${errors[0]}`
      }
    } catch (err) {
      final = active.stopAs ?? 'failed'
      finalError = active.stopAs ? null : AppError.from(err).message
    } finally {
      clearInterval(heartbeat)
      finishRun(runId, final, finalError)
      activeRuns.delete(runId)
      settle()
    }
    emitProgress(final, true, finalError)
    ctx.events.broadcast('inference.status', status())
    return getRun(runId)
  }

  function startRun(runId: number, parallel: number): RunInfo {
    if (activeRuns.has(runId)) throw new AppError('conflict', `Run ${runId} is already running.`)
    const promise = execute(runId, parallel)
    promise.catch((err) => {
      const e = AppError.from(err)
      const r = q.run.get(runId)
      if (r && r.status !== 'completed') {
        finishRun(runId, 'failed', e.message)
        ctx.events.broadcast('inference.runProgress', { runId, status: 'failed', done: r.done, total: r.total, itemsPerSecond: 0, tokensPerSecond: 0, etaSeconds: null, error: e.message })
      }
    })
    return getRun(runId)
  }

  /** A deterministic run stays one: its remaining items are decoded alone too. */
  function assertKeepsDeterminism(run: RunInfo, parallel: number | undefined): void {
    if (run.params.deterministic && parallel !== undefined && parallel > 1) {
      throw new AppError(
        'conflict',
        `Run ${run.id} is deterministic (one sequence at a time); resuming it with parallel ${parallel} would make the rest of its texts depend on their batch. Resume it with parallel 1.`,
        { field: 'parallel' }
      )
    }
  }

  function parallelOf(run: RunInfo): number {
    return run.params.parallel ?? 1
  }

  const service = {
    library,
    engines,
    status,

    /**
     * A local model as an engine session for `lanes` generations side by side (`imhi serve --engine`
     * answers OpenAI-compatible requests with it).
     */
    localSession(modelId: number, opts: { lanes: number }): EngineSession {
      const { ref, model, adapter } = modelRef(modelId, null)
      return llamaCppSession({ worker, ensureInit, memoryLimitBytes, lanes: opts.lanes }, { ref, model, adapter })
    },

    /** Asks a registered server what it offers (its models, prompt log-probabilities); sends no post. */
    checkEngine: (id: number) => {
      const e = engines.get(id)
      return e.kind === 'onnx-seq2seq' ? seq2seq.check(e) : checkServer(e)
    },

    /** Registers a converted MentalBART / MentalT5 folder (loaded and checked, then hashed) as an engine. */
    addSeq2seqEngine: (input: { name: string; path: string }) => seq2seq.add(seq2seqAddSchema.parse(input)),

    removeEngine(id: number): { removed: number } {
      const e = engines.get(id)
      for (const runId of activeRuns.keys()) {
        if (q.run.get(runId)?.engine_id === id) throw new AppError('conflict', `Run ${runId} is using this server: pause it first.`)
      }
      const removed = engines.remove(id)
      if (e.kind === 'onnx-seq2seq') void seq2seq.forget(e.url)
      return removed
    },

    /** scoreLogProb on a registered server, from its prompt log-probabilities (where it offers them). */
    scoreLogProbRemote: async (input: { engineId: number; context: string; continuation: string }) => {
      const e = engines.get(input.engineId)
      if (e.kind !== 'openai') throw new AppError('unsupported', `"${e.name}" is a MentalBART/MentalT5 folder, not a server: the LM score needs a server's prompt log-probabilities or a local GGUF.`, { field: 'engineId' })
      return await remoteScoreLogProb(e, input.context, input.continuation)
    },
    ensureInit,

    async addModel(input: { path: string; baseModelId?: number }): Promise<ModelInfo> {
      const path = resolve(input.path)
      const { header, metadata } = await inspectGguf(worker, path, ensureInit, memoryLimitBytes)
      const sha256 = await sha256File(path)
      return library.save(path, metadata, header.sizeBytes, sha256, input.baseModelId ?? null)
    },

    async removeModel(input: { id: number; deleteFile: boolean }): Promise<{ removed: number }> {
      const m = library.get(input.id)
      if (workerState?.model.path === m.path || workerState?.model.adapterPath === m.path) await worker.request({ op: 'unload' })
      return { removed: await library.remove(input.id, input.deleteFile) }
    },

    /** Starts a download into DATA_DIR/models; resumes a partial file; progress is broadcast. */
    async download(input: { uri: string; baseModelId?: number }): Promise<DownloadProgress> {
      const uri = input.uri.trim()
      if (!/^hf:[\w.-]+\/[\w.-]+(?::[\w.-]+|\/[\w./-]+)?$/.test(uri) && !/^https?:\/\/[^\s]+$/i.test(uri)) {
        throw new AppError('invalid_input', `"${uri}" is not a model address: use https://…/model.gguf or hf:user/repo:quant (e.g. hf:user/MentaLLaMA-chat-7B-GGUF:Q4_K_M).`, { field: 'uri' })
      }
      for (const d of downloads.values()) {
        if (d.uri === uri && d.status === 'downloading') return (({ cancel: _c, ...rest }) => rest)(d)
      }
      mkdirSync(modelsDir, { recursive: true })
      const downloadId = randomUUID().slice(0, 8)
      const entry: DownloadProgress & { cancel?: () => Promise<void> } = {
        downloadId,
        uri,
        status: 'downloading',
        downloadedBytes: 0,
        totalBytes: 0,
        error: null,
        modelId: null
      }
      downloads.set(downloadId, entry)
      let lastEmit = 0
      const publish = (force = false) => {
        const now = Date.now()
        if (!force && now - lastEmit < 250) return
        lastEmit = now
        const { cancel: _c, ...d } = entry
        ctx.events.broadcast('inference.downloadProgress', d)
      }
      const controller = new AbortController()
      entry.cancel = async () => controller.abort()
      // The downloader retries a dropped connection without end; no new bytes for a while means
      // the download broke off: stop it (the partial file stays, so starting again resumes).
      let stalled = false
      let lastBytes = -1
      let lastChange = Date.now()
      const watchdog = setInterval(() => {
        if (entry.downloadedBytes !== lastBytes) {
          lastBytes = entry.downloadedBytes
          lastChange = Date.now()
        } else if (Date.now() - lastChange > downloadStallMs) {
          stalled = true
          controller.abort()
        }
      }, Math.min(1000, downloadStallMs / 4))
      watchdog.unref()
      const run = async () => {
        try {
          const abortedEarly = new Promise<never>((_, reject) => controller.signal.addEventListener('abort', () => reject(new Error('aborted')), { once: true }))
          abortedEarly.catch(() => undefined)
          // Imported here, not at the top: node-llama-cpp costs ~0.4 s to load and only downloads need it
          // on this thread (every CLI command builds this service).
          const { createModelDownloader } = await import('node-llama-cpp')
          const downloader = await Promise.race([abortedEarly, createModelDownloader({
            modelUri: uri,
            dirPath: modelsDir,
            showCliProgress: false,
            deleteTempFileOnCancel: false,
            skipExisting: true,
            onProgress: ({ totalSize, downloadedSize }) => {
              entry.totalBytes = totalSize
              entry.downloadedBytes = downloadedSize
              publish()
            }
          })])
          entry.totalBytes = downloader.totalSize
          // download() does not always settle on abort (a request the server never answers):
          // the abort wins the race and the downloader is cancelled, keeping the partial file.
          const aborted = new Promise<never>((_, reject) => {
            const onAbort = () => {
              void downloader.cancel({ deleteTempFile: false }).catch(() => undefined)
              reject(new Error('aborted'))
            }
            if (controller.signal.aborted) onAbort()
            else controller.signal.addEventListener('abort', onAbort, { once: true })
          })
          const path = await Promise.race([downloader.download({ signal: controller.signal }), aborted])
          const model = await service.addModel({ path, baseModelId: input.baseModelId })
          entry.status = 'completed'
          entry.modelId = model.id
          entry.downloadedBytes = entry.totalBytes = model.sizeBytes
        } catch (err) {
          if (stalled && !entry.totalBytes && !entry.downloadedBytes) {
            // Nothing ever arrived: it did not break off, it never started (offline, a server that does not answer).
            entry.status = 'failed'
            entry.error = `The download of ${uri} could not start: no answer in ${Math.round(downloadStallMs / 1000)} s${uri.startsWith('hf:') ? ' from huggingface.co' : ''}. Check that this computer is online, then start it again.`
          } else if (stalled) {
            entry.status = 'failed'
            entry.error = `The download of ${uri} broke off after ${(entry.downloadedBytes / 2 ** 20).toFixed(1)} MiB of ${entry.totalBytes ? (entry.totalBytes / 2 ** 20).toFixed(1) + ' MiB' : '?'}: no data for ${Math.round(downloadStallMs / 1000)} s. Start it again to resume.`
          } else if (controller.signal.aborted) {
            entry.status = 'cancelled'
            entry.error = 'cancelled; start the same download again to resume it'
          } else {
            entry.status = 'failed'
            const msg = err instanceof Error ? err.message : String(err)
            entry.error =
              err instanceof AppError
                ? err.message
                : entry.downloadedBytes > 0
                  ? `The download of ${uri} broke off after ${(entry.downloadedBytes / 2 ** 20).toFixed(1)} MiB: ${msg}. Start it again to resume.`
                  : `The download of ${uri} could not start: ${msg}${uri.startsWith('hf:') ? ' (hf: addresses need huggingface.co)' : ''}. Check that this computer is online and the address is right, then start it again.`
          }
        } finally {
          clearInterval(watchdog)
          delete entry.cancel
          publish(true)
        }
      }
      entry.cancel = async () => controller.abort()
      const promise = run()
      downloadPromises.set(downloadId, promise)
      promise.finally(() => downloadPromises.delete(downloadId))
      publish(true)
      return (({ cancel: _c, ...d }) => d)(entry)
    },

    /** Resolves when a download ends (tests and the CLI wait on it). */
    async waitForDownload(downloadId: string): Promise<DownloadProgress> {
      await downloadPromises.get(downloadId)
      const d = downloads.get(downloadId)
      if (!d) throw new AppError('not_found', `No download ${downloadId}.`)
      return (({ cancel: _c, ...rest }) => rest)(d)
    },

    async cancelDownload(downloadId: string): Promise<DownloadProgress> {
      const d = downloads.get(downloadId)
      if (!d) throw new AppError('not_found', `No download ${downloadId}.`, { field: 'downloadId' })
      await d.cancel?.()
      await downloadPromises.get(downloadId)
      return (({ cancel: _c, ...rest }) => rest)(d)
    },

    /** Removes a finished download (failed, cancelled or completed) from the list; a running one must be cancelled first. */
    dismissDownload(downloadId: string): { dismissed: string } {
      const d = downloads.get(downloadId)
      if (!d) throw new AppError('not_found', `No download ${downloadId}.`, { field: 'downloadId' })
      if (d.status === 'downloading') throw new AppError('conflict', `The download of ${d.uri} is still running: cancel it first.`)
      downloads.delete(downloadId)
      return { dismissed: downloadId }
    },

    async load(input: { id: number; adapterId?: number; gpuLayers: 'auto' | number }): Promise<InferenceStatus> {
      const { ref } = modelRef(input.id, input.adapterId, input.gpuLayers)
      await ensureInit()
      await worker.request({ op: 'load', model: ref, memoryLimitBytes })
      return status()
    },

    async unload(): Promise<InferenceStatus> {
      if (activeRuns.size > 0) throw new AppError('conflict', `Run ${[...activeRuns.keys()].join(', ')} is using the model: pause it first.`)
      if (worker.running) await worker.request({ op: 'unload' })
      return status()
    },

    /** One explanation for one item, streamed to `onText`, stored with its provenance (also when stopped). */
    async generate(
      input: { requestId: string; itemId: number; modelId?: number; adapterId?: number; engineId?: number; format: PromptFormat; params: GenerationParamsInput },
      onText?: (text: string, tokens: number) => void
    ): Promise<ExplanationInfo> {
      const params = generationParamsSchema.parse(input.params ?? {})
      const item = q.item.get(input.itemId)
      if (!item) throw new AppError('not_found', `Item ${input.itemId} does not exist.`, { field: 'itemId' })
      const session = sessionFor(input)
      if (generations.has(input.requestId)) throw new AppError('conflict', `Request ${input.requestId} is already generating.`)
      const prompt = promptFor(item, input.format)
      await session.prepare()
      const jobId = randomUUID()
      generations.set(input.requestId, { jobId, session })
      try {
        const stats = await session.generate(jobId, prompt, params, onText)
        const id = Number(
          q.insertExplanation.run({
            itemId: item.id,
            runId: null,
            modelId: session.modelId,
            modelFile: session.modelFile,
            text: stats.text,
            format: input.format,
            params: JSON.stringify(params),
            provenance: JSON.stringify(session.provenance(stats, input.format, params))
          }).lastInsertRowid
        )
        return toExplanation(q.explanation.get(id)!)
      } finally {
        generations.delete(input.requestId)
      }
    },

    async stop(requestId: string): Promise<{ stopped: boolean }> {
      const g = generations.get(requestId)
      if (!g) return { stopped: false }
      return { stopped: await g.session.abort(g.jobId) }
    },

    explanations(itemId: number): ExplanationInfo[] {
      return q.explanationsOf.all(itemId).map(toExplanation)
    },

    deleteExplanation(id: number): { removed: number } {
      const r = q.explanation.get(id)
      if (!r) throw new AppError('not_found', `Explanation ${id} does not exist.`, { field: 'id' })
      if (r.run_id !== null) throw new AppError('conflict', `Explanation ${id} belongs to run ${r.run_id}; runs keep every item (delete is for single-post explanations).`)
      return { removed: q.deleteExplanation.run(id).changes }
    },

    /** Plans a run (its items in the test files' order, frozen) and starts it unless `start` is false. */
    createRun(input: RunCreateInput, opts: { start?: boolean } = {}): RunInfo {
      const deterministic = input.deterministic ?? input.parallel === 1
      if (deterministic && input.parallel > 1) {
        throw new AppError(
          'invalid_input',
          `A deterministic run decodes one sequence at a time (parallel 1); parallel ${input.parallel} batches sequences, and batched kernels make a text depend on its batch. Choose one.`,
          { field: 'parallel' }
        )
      }
      const remote = input.engineId ? engines.get(input.engineId) : null
      const local = remote ? null : modelRef(input.modelId!, input.adapterId)
      const folder = remote?.kind === 'onnx-seq2seq'
      if (folder && input.format === 'chat') {
        throw new AppError('invalid_input', `${remote!.name} is an encoder-decoder model (MentalBART / MentalT5): it takes the query as is; choose the raw or completion format, not chat.`, { field: 'format' })
      }
      const model = local?.model ?? (folder ? { id: null, fileName: basename(remote!.url), sha256: remote!.model } : { id: null, fileName: `${remote!.model ?? 'server default'} @ ${remote!.name}`, sha256: null })
      const adapter = local?.adapter ?? null
      const datasets: string[] = []
      for (const name of input.datasets) {
        const known = findDataset(name)
        const inDb = q.datasetCase.get(known?.name ?? name)
        if (!known && !inDb) throw new AppError('invalid_input', `Unknown dataset "${name}".`, { field: 'datasets' })
        const canonical = inDb?.dataset ?? known!.name
        if (!datasets.includes(canonical)) datasets.push(canonical)
      }
      const limit = input.limit ?? 1_000_000_000
      const plan: number[] = []
      for (const d of datasets) {
        const ids = q.planItems.all(d, input.split, limit).map((r) => r.id)
        if (ids.length === 0) {
          throw new AppError('not_found', `No ${input.split} items for ${d}: import the IMHI folder first (imhi import PATH).`, { field: 'datasets' })
        }
        plan.push(...ids)
      }
      const name = input.name ?? `${model.fileName} · ${datasets.join(', ')} · ${input.split}${input.limit ? ` · first ${input.limit}` : ''}`
      const runId = db.transaction(() => {
        const id = Number(
          q.insertRun.run({
            name,
            modelId: model.id,
            modelFile: model.fileName,
            sha256: model.sha256,
            adapterId: adapter?.id ?? null,
            format: input.format,
            params: JSON.stringify({ ...input.params, parallel: input.parallel, deterministic }),
            datasets: JSON.stringify(datasets),
            split: input.split,
            limit: input.limit ?? null,
            backend: remote ? (folder ? 'onnx-seq2seq' : `remote:${remote.name}`) : (backend?.kind ?? null),
            engineId: remote?.id ?? null
          }).lastInsertRowid
        )
        plan.forEach((itemId, i) => q.insertRunItem.run(id, i, itemId))
        return id
      })()
      if (opts.start === false) return getRun(runId)
      return startRun(runId, input.parallel)
    },

    /** Runs (or resumes) a run in this process and resolves when it ends (the CLI waits on it). */
    async runToEnd(runId: number, parallel?: number): Promise<RunInfo> {
      reconcileRuns()
      const run = getRun(runId)
      assertResumable(run)
      assertKeepsDeterminism(run, parallel)
      return await execute(runId, parallel ?? parallelOf(run))
    },

    listRuns(): RunInfo[] {
      reconcileRuns()
      return q.runs.all().map(toRun)
    },
    getRun,

    async pauseRun(id: number): Promise<RunInfo> {
      return await stopRun(id, 'paused')
    },
    async cancelRun(id: number): Promise<RunInfo> {
      return await stopRun(id, 'cancelled')
    },
    resumeRun(id: number, parallel?: number): RunInfo {
      reconcileRuns()
      const run = getRun(id)
      assertResumable(run)
      assertKeepsDeterminism(run, parallel)
      return startRun(id, parallel ?? parallelOf(run))
    },

    /** DIR/DATASET.csv per dataset, IMHI.py's layout, rows in the test file's order. */
    async exportRun(id: number, dir: string, opts: { guard?: boolean } = {}): Promise<ExportResult & { missing: number }> {
      const run = getRun(id)
      const out = resolve(dir)
      await mkdir(out, { recursive: true }).catch((err: Error) => {
        throw new AppError('bad_file', `Cannot create ${out}: ${err.message}`, { file: out })
      })
      const rows = q.exportRows.all(id)
      let missing = 0
      const files: ExportResult['files'] = []
      for (const dataset of run.datasets) {
        const mine = rows.filter((r) => r.dataset === dataset)
        missing += mine.filter((r) => r.text === null).length
        const csv = imhiOutputCsv(
          mine.map((r) => ({ goldens: r.gold_response ?? '', generatedText: r.text ?? '' })),
          { guard: opts.guard ?? true }
        )
        const path = join(out, `${dataset}.csv`)
        const tmp = `${path}.${process.pid}.tmp`
        await writeFile(tmp, csv, 'utf8')
        await rename(tmp, path)
        files.push({ dataset, path, rows: mine.length })
      }
      return { dir: out, files, missing }
    },

    /**
     * Mean log-probability per token (natural log) of `continuation` given `context` under a
     * model: teacher-forced, full softmax. For the evaluation domain (model-likelihood scores).
     */
    async scoreLogProb(input: { modelPath: string; context: string; continuation: string; contextSize?: number }): Promise<{ meanLogProb: number; tokens: number; logProbs: number[] }> {
      await readGgufHeader(resolve(input.modelPath))
      await ensureInit()
      const ref: ModelRef = { path: resolve(input.modelPath), adapterPath: null, gpuLayers: 'auto' }
      await worker.request({ op: 'load', model: ref, memoryLimitBytes })
      return await worker.request({ op: 'score', model: ref, context: input.context, continuation: input.continuation, contextSize: input.contextSize ?? null })
    },

    /**
     * One embedding vector per text under a GGUF model, in the worker thread (see worker/embed.ts
     * for the truncation policy: a text too long for the context keeps its first tokens, recorded
     * in truncatedFrom). The file is checked as a GGUF first (a non-GGUF file gets a clear error
     * naming it); llama.cpp then validates and loads it as any model. For the evaluation domain
     * (embedding features of the label classifiers).
     */
    async embed(input: { modelPath: string; texts: readonly string[]; contextSize?: number }): Promise<EmbedResult> {
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
      const ref: ModelRef = { path, adapterPath: null, gpuLayers: 'auto' }
      await worker.request({ op: 'load', model: ref, memoryLimitBytes })
      return await worker.request({ op: 'embed', model: ref, texts: [...input.texts], contextSize: input.contextSize ?? null })
    },

    async close(): Promise<void> {
      for (const a of activeRuns.values()) {
        a.stopAs = 'paused'
        await a.abort().catch(() => undefined)
        await a.done
      }
      for (const d of downloads.values()) await d.cancel?.()
      await seq2seq.close()
      if (!deps.onnx) await onnx.close()
      await worker.terminate()
    }
  }

  const downloadPromises = new Map<string, Promise<void>>()

  function assertResumable(run: RunInfo): void {
    if (activeRuns.has(run.id)) throw new AppError('conflict', `Run ${run.id} is already running.`)
    if (run.status === 'completed') throw new AppError('conflict', `Run ${run.id} is already complete (${run.done}/${run.total}).`)
    if (run.status === 'cancelled') throw new AppError('conflict', `Run ${run.id} was cancelled; start a new run instead.`)
    if (run.status === 'running') throw new AppError('conflict', `Run ${run.id} is running in another process.`)
  }

  async function stopRun(id: number, as: 'paused' | 'cancelled'): Promise<RunInfo> {
    reconcileRuns()
    const run = getRun(id)
    const active = activeRuns.get(id)
    if (active) {
      active.stopAs = as
      await active.abort()
      await active.done
      return getRun(id)
    }
    if (run.status === 'running') throw new AppError('conflict', `Run ${id} is running in another process; pause it there.`)
    if (run.status === 'completed' || run.status === 'cancelled') throw new AppError('conflict', `Run ${id} is already ${run.status}.`)
    finishRun(id, as, null)
    ctx.events.broadcast('inference.runProgress', { runId: id, status: as, done: run.done, total: run.total, itemsPerSecond: 0, tokensPerSecond: 0, etaSeconds: null, error: null })
    return getRun(id)
  }

  return service
}
export type InferenceService = ReturnType<typeof createInferenceService>

