import { mkdir, rename, writeFile } from 'node:fs/promises'
import { basename, join, resolve } from 'node:path'
import { randomUUID } from 'node:crypto'
import { AppError } from '../../shared/api/errors'
import { findDataset } from '../../shared/imhi/datasets'
import {
  generationParamsSchema,
  type ExportResult,
  type GenerationParams,
  type InferenceStatus,
  type RunCreateInput,
  type RunInfo,
  type RunProgress,
  type RunStatus
} from '../../shared/api/inference'
import type { ServiceContext } from '../services'
import type { EngineRegistry } from './engines/registry'
import type { EngineStats } from './engines/types'
import { imhiOutputCsv } from './export'
import { completeTwinOf, promptFor, type InferenceItems } from './prompt'
import type { LocalRuntime } from './runtime'
import type { InferenceStore, RunRow } from './store'
import { pidAlive } from '../pid'

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

/**
 * Benchmark runs: a run plans its items (the test files' order, frozen), executes them in an
 * engine session committing each finished item at once, survives a killed process (a stale
 * 'running' run becomes 'paused' and resumes where it stopped), and exports IMHI.py's layout.
 */
export function createRuns(deps: {
  db: ServiceContext['db']
  events: ServiceContext['events']
  store: InferenceStore
  items: InferenceItems
  runtime: LocalRuntime
  engines: EngineRegistry
  /** The whole inference status, broadcast when a run ends. */
  status: () => InferenceStatus
  /** False in the core's jobs lane, which runs no runs (see InferenceOptions.ownsRuns). */
  ownsRuns?: boolean
}) {
  const { db, events, store: q, items: benchmark, runtime, engines } = deps
  const activeRuns = new Map<number, ActiveRun>()

  const finishRun = (id: number, status: RunStatus, error: string | null) => q.finish.run(status, error, status, id)

  /** A run left 'running' by a process that died (kill -9, crash, closed laptop) becomes 'paused'. */
  function reconcileRuns(): void {
    if (deps.ownsRuns === false) return
    for (const r of q.staleRunning.all()) {
      if (activeRuns.has(r.id)) continue
      const ownerGone = r.owner_pid === null || (r.owner_pid !== process.pid && !pidAlive(r.owner_pid)) || r.owner_pid === process.pid
      if (ownerGone || (r.age_ms ?? Infinity) > STALE_MS) {
        finishRun(r.id, 'paused', 'interrupted: the process running it ended; resume continues where it stopped')
      }
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
      if (!e) throw new AppError('not_found', `Run ${run.id} was made with the folder ${run.modelFile} (SHA-256 ${run.modelSha256?.slice(0, 12) ?? '?'}…), which is no longer registered: register that folder again to resume the run.`, { needs: 'seq2seqEngine' })
      q.relinkEngine.run(e.id, run.id)
      return e.id
    }
    if (run.modelId !== null || !run.backend?.startsWith('remote:')) return null
    const name = run.backend.slice('remote:'.length)
    const e = engines.byName(name)
    if (!e) throw new AppError('not_found', `Run ${run.id} was sent to the server "${name}", which is no longer registered: register it again under that name to resume the run.`)
    q.relinkEngine.run(e.id, run.id)
    return e.id
  }

  /** Executes the run's remaining items; each finished item is committed at once. */
  async function execute(runId: number, parallel: number): Promise<RunInfo> {
    const run = getRun(runId)
    const engineRun = q.run.get(runId)!.engine_id ?? relinkServer(run)
    if (run.modelId === null && engineRun === null) throw new AppError('not_found', `Run ${runId}: its model was removed from the library; add ${run.modelFile} again to resume it.`)
    if (engineRun === null) {
      const { model } = runtime.modelRef(run.modelId!, run.adapterId)
      if (model.sha256 && run.modelSha256 && model.sha256 !== run.modelSha256) {
        throw new AppError('conflict', `Run ${runId} was made with ${run.modelFile} (SHA-256 ${run.modelSha256.slice(0, 12)}…) but the library's file now differs; it cannot continue with other weights.`)
      }
    }
    const session = runtime.sessionFor({ modelId: run.modelId, adapterId: run.adapterId, engineId: engineRun })
    const { parallel: _parallel, deterministic: _deterministic, ...storedParams } = run.params
    const params: GenerationParams = generationParamsSchema.parse(storedParams)
    // The run's remaining items in its frozen order; their texts come from the imhi service.
    const pending = q.remaining.all(runId)
    const itemOf = new Map(benchmark.itemsByIds(pending.map((p) => p.itemId)).map((i) => [i.id, i]))
    const remaining = pending.flatMap((p) => itemOf.get(p.itemId) ?? [])
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
      events.broadcast('inference.runProgress', progress)
    }
    emitProgress('running', true)

    const byKey = new Map(remaining.map((r) => [r.id, r]))
    const completeTwin = completeTwinOf(benchmark)
    const items = []
    for (const r of remaining) {
      try {
        items.push({ key: r.id, prompt: promptFor(r, run.promptFormat, completeTwin) })
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
    events.broadcast('inference.status', deps.status())
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
        events.broadcast('inference.runProgress', { runId, status: 'failed', done: r.done, total: r.total, itemsPerSecond: 0, tokensPerSecond: 0, etaSeconds: null, error: e.message })
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

  /** Plans a run (its items in the test files' order, frozen) and starts it unless `start` is false. */
  function createRun(input: RunCreateInput, opts: { start?: boolean } = {}): RunInfo {
    const deterministic = input.deterministic ?? input.parallel === 1
    if (deterministic && input.parallel > 1) {
      throw new AppError(
        'invalid_input',
        `A deterministic run decodes one sequence at a time (parallel 1); parallel ${input.parallel} batches sequences, and batched kernels make a text depend on its batch. Choose one.`,
        { field: 'parallel' }
      )
    }
    const remote = input.engineId ? engines.get(input.engineId) : null
    const local = remote ? null : runtime.modelRef(input.modelId!, input.adapterId)
    const folder = remote?.kind === 'onnx-seq2seq'
    if (folder && input.format === 'chat') {
      throw new AppError('invalid_input', `${remote!.name} is an encoder-decoder model (MentalBART / MentalT5): it takes the query as is; choose the raw or completion format, not chat.`, { field: 'format' })
    }
    const model = local?.model ?? (folder ? { id: null, fileName: basename(remote!.url), sha256: remote!.model } : { id: null, fileName: `${remote!.model ?? 'server default'} @ ${remote!.name}`, sha256: null })
    const adapter = local?.adapter ?? null
    const datasets: string[] = []
    for (const name of input.datasets) {
      const known = findDataset(name)
      const inDb = benchmark.storedDatasetName(known?.name ?? name)
      if (!known && !inDb) throw new AppError('invalid_input', `Unknown dataset "${name}".`, { field: 'datasets' })
      const canonical = inDb ?? known!.name
      if (!datasets.includes(canonical)) datasets.push(canonical)
    }
    const limit = input.limit ?? 1_000_000_000
    const plan: number[] = []
    for (const d of datasets) {
      const ids = benchmark.itemIdsInOrder(d, input.split, limit)
      if (ids.length === 0) {
        throw new AppError('not_found', `No ${input.split} items for ${d}: import the IMHI folder first.`, { field: 'datasets', needs: 'imhiData' })
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
          backend: remote ? (folder ? 'onnx-seq2seq' : `remote:${remote.name}`) : (runtime.backend()?.kind ?? null),
          engineId: remote?.id ?? null
        }).lastInsertRowid
      )
      plan.forEach((itemId, i) => q.insertRunItem.run(id, i, itemId))
      return id
    })()
    if (opts.start === false) return getRun(runId)
    return startRun(runId, input.parallel)
  }

  /** Runs (or resumes) a run in this process and resolves when it ends (the CLI waits on it). */
  async function runToEnd(runId: number, parallel?: number): Promise<RunInfo> {
    reconcileRuns()
    const run = getRun(runId)
    assertResumable(run)
    assertKeepsDeterminism(run, parallel)
    return await execute(runId, parallel ?? parallelOf(run))
  }

  function listRuns(): RunInfo[] {
    reconcileRuns()
    return q.runs.all().map(toRun)
  }

  async function pauseRun(id: number): Promise<RunInfo> {
    return await stopRun(id, 'paused')
  }
  async function cancelRun(id: number): Promise<RunInfo> {
    return await stopRun(id, 'cancelled')
  }
  function resumeRun(id: number, parallel?: number): RunInfo {
    reconcileRuns()
    const run = getRun(id)
    assertResumable(run)
    assertKeepsDeterminism(run, parallel)
    return startRun(id, parallel ?? parallelOf(run))
  }

  /** DIR/DATASET.csv per dataset, IMHI.py's layout, rows in the test file's order. */
  async function exportRun(id: number, dir: string, opts: { guard?: boolean } = {}): Promise<ExportResult & { missing: number }> {
    const run = getRun(id)
    const out = resolve(dir)
    await mkdir(out, { recursive: true }).catch((err: Error) => {
      throw new AppError('bad_file', `Cannot create ${out}: ${err.message}`, { file: out })
    })
    const stored = q.exportRows.all(id)
    const itemOf = new Map(benchmark.itemsByIds(stored.map((r) => r.itemId)).map((i) => [i.id, i]))
    const rows = stored.flatMap((r) => {
      const item = itemOf.get(r.itemId)
      return item ? [{ dataset: item.dataset, goldResponse: item.goldResponse, text: r.text }] : []
    })
    let missing = 0
    const files: ExportResult['files'] = []
    for (const dataset of run.datasets) {
      const mine = rows.filter((r) => r.dataset === dataset)
      missing += mine.filter((r) => r.text === null).length
      const csv = imhiOutputCsv(
        mine.map((r) => ({ goldens: r.goldResponse ?? '', generatedText: r.text ?? '' })),
        { guard: opts.guard ?? true }
      )
      const path = join(out, `${dataset}.csv`)
      const tmp = `${path}.${process.pid}.tmp`
      await writeFile(tmp, csv, 'utf8')
      await rename(tmp, path)
      files.push({ dataset, path, rows: mine.length })
    }
    return { dir: out, files, missing }
  }

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
    events.broadcast('inference.runProgress', { runId: id, status: as, done: run.done, total: run.total, itemsPerSecond: 0, tokensPerSecond: 0, etaSeconds: null, error: null })
    return getRun(id)
  }

  reconcileRuns()

  return {
    createRun,
    runToEnd,
    listRuns,
    getRun,
    findRun: (id: number): RunInfo | null => {
      const r = q.run.get(id)
      return r ? toRun(r) : null
    },
    pauseRun,
    cancelRun,
    resumeRun,
    exportRun,
    /** The runs executing in this process. */
    activeIds: (): number[] => [...activeRuns.keys()],
    /** The id of a run executing in this process on this registered server, if any. */
    runOnEngine(engineId: number): number | null {
      for (const runId of activeRuns.keys()) if (q.run.get(runId)?.engine_id === engineId) return runId
      return null
    },
    /** Pauses every run executing in this process and waits until each has written its status. */
    async pauseAll(): Promise<void> {
      for (const a of activeRuns.values()) {
        a.stopAs = 'paused'
        await a.abort().catch(() => undefined)
        await a.done
      }
    }
  }
}

export type Runs = ReturnType<typeof createRuns>
