import { Worker } from 'node:worker_threads'
import { fileURLToPath } from 'node:url'
import { AppError } from '../../shared/api/errors'
import type { GenerationStats, ModelRef, WorkerEvent, WorkerRequest, WorkerResults, WorkerState } from './worker/protocol'
import type { EventMessage, RpcMessage } from '../../shared/api/protocol'
import { createRpcEndpoint, type RpcEndpoint } from '../../shared/api/rpc'

export interface WorkerListeners {
  onState?: (s: WorkerState) => void
  onLog?: (level: 'info' | 'warn' | 'error', message: string) => void
  /** Runs before a model is loaded (the core's lanes: the other lane releases an idle copy first). */
  beforeLoad?: (model: ModelRef) => Promise<void>
}

type JobListener = {
  token?: (text: string, tokens: number) => void
  item?: (key: number, stats: GenerationStats) => void
  itemError?: (key: number, error: AppError) => void
  batchTokens?: (tokens: number) => void
}

/** Where the worker's code is: the bundled file beside the built main, or the TS sources via tsx. */
function workerUrl(): URL {
  if (import.meta.url.endsWith('.ts')) return new URL('./worker/bootstrap.mjs', import.meta.url)
  return new URL('./inference-worker.js', import.meta.url)
}

/**
 * The main thread's handle on the inference worker: request/response by id, job events (tokens,
 * finished items) routed to whoever started the job. Started lazily; a crashed worker fails the
 * calls in flight with a clear error and is restarted on the next call.
 */
export class InferenceWorker {
  private worker: Worker | null = null
  /** The one RPC envelope over the worker's port (src/shared/api/rpc.ts). */
  private rpc: RpcEndpoint | null = null
  private inFlight = 0
  private readonly jobs = new Map<string, JobListener>()

  constructor(private readonly listeners: WorkerListeners = {}) {}

  private start(): { w: Worker; rpc: RpcEndpoint } {
    if (this.worker && this.rpc) return { w: this.worker, rpc: this.rpc }
    const w = new Worker(fileURLToPath(workerUrl()), { stdout: false, stderr: false })
    w.unref()
    const rpc = createRpcEndpoint({ send: (msg) => w.postMessage(msg), onEvent: (msg) => this.onEvent(msg) })
    w.on('message', (msg: RpcMessage) => rpc.receive(msg))
    w.on('error', (err) => rpc.rejectAll(new AppError('internal', `The inference worker failed: ${err.message}`)))
    w.on('exit', (code) => {
      if (this.worker === w) {
        this.worker = null
        this.rpc = null
      }
      rpc.rejectAll(new AppError('internal', `The inference worker exited (code ${code}).`))
    })
    this.worker = w
    this.rpc = rpc
    return { w, rpc }
  }

  private onEvent(msg: EventMessage): void {
    const e = { type: msg.event, ...(msg.payload as object) } as WorkerEvent
    switch (e.type) {
      case 'token':
        this.jobs.get(e.jobId)?.token?.(e.text, e.tokens)
        return
      case 'item':
        this.jobs.get(e.jobId)?.item?.(e.key, e.stats)
        return
      case 'itemError':
        this.jobs.get(e.jobId)?.itemError?.(e.key, AppError.from(e.error))
        return
      case 'batchTokens':
        this.jobs.get(e.jobId)?.batchTokens?.(e.tokens)
        return
      case 'state':
        this.listeners.onState?.(e.state)
        return
      case 'log':
        this.listeners.onLog?.(e.level, e.message)
        return
    }
  }

  request<R extends WorkerRequest>(req: R, job?: { jobId: string } & JobListener): Promise<WorkerResults[R['op']]> {
    const before = req.op === 'load' ? this.listeners.beforeLoad : undefined
    // A failing beforeLoad (the other lane gone) never stops this load.
    if (before) return before((req as Extract<WorkerRequest, { op: 'load' }>).model).catch(() => {}).then(() => this.send(req, job))
    return this.send(req, job)
  }

  private send<R extends WorkerRequest>(req: R, job?: { jobId: string } & JobListener): Promise<WorkerResults[R['op']]> {
    const { w, rpc } = this.start()
    if (job) this.jobs.set(job.jobId, job)
    // While requests are in flight the worker keeps the process alive; idle, it does not.
    this.inFlight++
    w.ref()
    return rpc.call(req.op, req).finally(() => {
      if (job) this.jobs.delete(job.jobId)
      if (--this.inFlight === 0) this.worker?.unref()
    }) as Promise<WorkerResults[R['op']]>
  }

  get running(): boolean {
    return this.worker !== null
  }

  /** Whether any request (a load, a generation, a score, an embedding) is in flight. */
  get busy(): boolean {
    return this.inFlight > 0
  }

  async terminate(): Promise<void> {
    const w = this.worker
    const rpc = this.rpc
    this.worker = null
    this.rpc = null
    if (w && rpc) {
      try {
        // Unloading is a courtesy with a 3 s cap; the cap's timer is cleared so that a CLI command
        // exits as soon as the worker has unloaded instead of waiting the full 3 s.
        let timer: NodeJS.Timeout | undefined
        await Promise.race([rpc.call('unload', { op: 'unload' } satisfies WorkerRequest), new Promise((r) => (timer = setTimeout(r, 3000)))]).finally(() => clearTimeout(timer))
      } catch {
        // terminate frees everything anyway.
      }
      await w.terminate()
    }
  }
}
