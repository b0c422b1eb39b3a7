import { Worker } from 'node:worker_threads'
import { fileURLToPath } from 'node:url'
import { AppError } from '../../shared/api/errors'
import type { FromWorker, GenerationStats, ToWorker, WorkerRequest, WorkerResults, WorkerState } from './worker/protocol'

export interface WorkerListeners {
  onState?: (s: WorkerState) => void
  onLog?: (level: 'info' | 'warn' | 'error', message: string) => void
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
  private nextId = 1
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: unknown) => void }>()
  private readonly jobs = new Map<string, JobListener>()

  constructor(private readonly listeners: WorkerListeners = {}) {}

  private start(): Worker {
    if (this.worker) return this.worker
    const w = new Worker(fileURLToPath(workerUrl()), { stdout: false, stderr: false })
    w.unref()
    w.on('message', (msg: FromWorker) => this.onMessage(msg))
    w.on('error', (err) => this.failAll(new AppError('internal', `The inference worker failed: ${err.message}`)))
    w.on('exit', (code) => {
      if (this.worker === w) this.worker = null
      this.failAll(new AppError('internal', `The inference worker exited (code ${code}).`))
    })
    this.worker = w
    return w
  }

  private failAll(err: AppError): void {
    for (const p of this.pending.values()) p.reject(err)
    this.pending.clear()
  }

  private onMessage(msg: FromWorker): void {
    switch (msg.type) {
      case 'result':
      case 'error': {
        const p = this.pending.get(msg.id)
        if (!p) return
        this.pending.delete(msg.id)
        if (msg.type === 'result') p.resolve(msg.value)
        else p.reject(AppError.from(msg.error))
        return
      }
      case 'token':
        this.jobs.get(msg.jobId)?.token?.(msg.text, msg.tokens)
        return
      case 'item':
        this.jobs.get(msg.jobId)?.item?.(msg.key, msg.stats)
        return
      case 'itemError':
        this.jobs.get(msg.jobId)?.itemError?.(msg.key, AppError.from(msg.error))
        return
      case 'batchTokens':
        this.jobs.get(msg.jobId)?.batchTokens?.(msg.tokens)
        return
      case 'state':
        this.listeners.onState?.(msg.state)
        return
      case 'log':
        this.listeners.onLog?.(msg.level, msg.message)
        return
    }
  }

  request<R extends WorkerRequest>(req: R, job?: { jobId: string } & JobListener): Promise<WorkerResults[R['op']]> {
    const w = this.start()
    const id = this.nextId++
    if (job) this.jobs.set(job.jobId, job)
    const promise = new Promise<unknown>((resolve, reject) => {
      this.pending.set(id, { resolve, reject })
      // While requests are in flight the worker keeps the process alive; idle, it does not.
      w.ref()
    })
    w.postMessage({ id, req } satisfies ToWorker)
    return promise.finally(() => {
      if (job) this.jobs.delete(job.jobId)
      if (this.pending.size === 0) this.worker?.unref()
    }) as Promise<WorkerResults[R['op']]>
  }

  get running(): boolean {
    return this.worker !== null
  }

  async terminate(): Promise<void> {
    const w = this.worker
    this.worker = null
    if (w) {
      try {
        // Unloading is a courtesy with a 3 s cap; the cap's timer is cleared so that a CLI command
        // exits as soon as the worker has unloaded instead of waiting the full 3 s.
        let timer: NodeJS.Timeout | undefined
        await Promise.race([this.requestOn(w, { op: 'unload' }), new Promise((r) => (timer = setTimeout(r, 3000)))]).finally(() => clearTimeout(timer))
      } catch {
        // terminate frees everything anyway.
      }
      await w.terminate()
    }
  }

  private requestOn(w: Worker, req: WorkerRequest): Promise<unknown> {
    const id = this.nextId++
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject })
      w.postMessage({ id, req } satisfies ToWorker)
    })
  }
}
