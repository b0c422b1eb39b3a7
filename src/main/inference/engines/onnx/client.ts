import { Worker } from 'node:worker_threads'
import { fileURLToPath } from 'node:url'
import { AppError } from '../../../../shared/api/errors'
import type { ClassifyResult, FromOnnxWorker, OnnxRequest, OnnxResults, Seq2seqEvent, ToOnnxWorker } from './protocol'
import type { GenerateItem, Seq2seqPlan } from './generate'
import type { ForwardBatch, LoadOptions, OnnxModelInfo } from './model'
import type { TensorValue } from './session'
import type { EncodedBatch } from './tokenizer'
import type { PairLikelihood } from './seq2seq'
import type { BertScorePairs } from './bertscore'

/** Where the worker's code is: the bundled file beside the built main, or the TS sources via tsx. */
function workerUrl(): URL {
  if (import.meta.url.endsWith('.ts')) return new URL('./bootstrap.mjs', import.meta.url)
  return new URL('./onnx-worker.js', import.meta.url)
}

type Progress = (done: number, total: number) => void

/**
 * The main thread's handle on ONNX Runtime: a worker thread that owns the sessions and
 * tokenizers (started on first use; a crashed worker fails the calls in flight and is started
 * again on the next call). The API stays general so that every ONNX user (the MentalBERT
 * labeller, BART-score, BERTScore, seq2seq generation) shares it:
 *   load(folder) -> model info (tokenizer, sessions with their inputs/outputs, provider);
 *   run(model, session, named int64/float tensors); tokenize / forward / classify texts in
 *   padded batches.
 */
export class OnnxEngine {
  private worker: Worker | null = null
  private nextId = 1
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: unknown) => void; progress?: Progress; partial?: (e: Seq2seqEvent) => void }>()

  private start(): Worker {
    if (this.worker) return this.worker
    const w = new Worker(fileURLToPath(workerUrl()), { stdout: false, stderr: false })
    w.unref()
    w.on('message', (msg: FromOnnxWorker) => this.onMessage(msg))
    w.on('error', (err) => this.failAll(new AppError('internal', `The ONNX worker failed: ${err.message}`)))
    w.on('exit', (code) => {
      if (this.worker === w) this.worker = null
      this.failAll(new AppError('internal', `The ONNX worker exited (code ${code}).`))
    })
    this.worker = w
    return w
  }

  private failAll(err: AppError): void {
    for (const p of this.pending.values()) p.reject(err)
    this.pending.clear()
  }

  private onMessage(msg: FromOnnxWorker): void {
    const p = this.pending.get(msg.id)
    if (!p) return
    if (msg.type === 'progress') {
      p.progress?.(msg.done, msg.total)
      return
    }
    if (msg.type === 'partial') {
      p.partial?.(msg.value)
      return
    }
    this.pending.delete(msg.id)
    if (msg.type === 'result') p.resolve(msg.value)
    else p.reject(AppError.from(msg.error))
    if (this.pending.size === 0) this.worker?.unref()
  }

  private request<R extends OnnxRequest>(req: R, progress?: Progress, partial?: (e: Seq2seqEvent) => void): Promise<OnnxResults[R['op']]> {
    const w = this.start()
    const id = this.nextId++
    const promise = new Promise<unknown>((resolve, reject) => this.pending.set(id, { resolve, reject, progress, partial }))
    // While requests are in flight the worker keeps the process alive; idle, it does not.
    w.ref()
    w.postMessage({ id, req } satisfies ToOnnxWorker)
    return promise as Promise<OnnxResults[R['op']]>
  }

  /** Loads a model folder (optimum-cli export layout); errors name the file at fault. */
  load(dir: string, options: LoadOptions = {}): Promise<OnnxModelInfo> {
    return this.request({ op: 'load', dir, options })
  }

  unload(id: number): Promise<{ unloaded: boolean }> {
    if (!this.worker) return Promise.resolve({ unloaded: false })
    return this.request({ op: 'unload', id })
  }

  /** One graph on named tensors; returns the outputs asked for (default all). */
  run(id: number, session: string, feeds: Record<string, TensorValue>, outputs?: string[]): Promise<Record<string, TensorValue>> {
    return this.request({ op: 'run', id, session, feeds, outputs })
  }

  /** Texts to a padded int64 batch (input_ids, attention_mask), cut to maxLength tokens. */
  tokenize(id: number, texts: string[], maxLength: number | null): Promise<EncodedBatch> {
    return this.request({ op: 'tokenize', id, texts, maxLength })
  }

  /** Texts through an encoder graph (model.onnx / encoder_model.onnx) in padded batches. */
  forward(id: number, texts: string[], opts: { session?: string; maxLength: number | null; batchSize: number; outputs?: string[] }, progress?: Progress): Promise<ForwardBatch[]> {
    return this.request({ op: 'forward', id, texts, ...opts }, progress)
  }

  /** A sequence classifier's logits (output "logits" of model.onnx) for each text. */
  classify(id: number, texts: string[], opts: { maxLength: number | null; batchSize: number; output?: string }, progress?: Progress): Promise<ClassifyResult> {
    return this.request({ op: 'classify', id, texts, ...opts }, progress)
  }

  /**
   * Teacher-forced log-likelihood of each target given its source under an encoder-decoder
   * export (encoder_model + decoder_model), BARTScorer's way (seq2seq.ts).
   */
  seq2seqLikelihood(id: number, sources: string[], targets: string[], opts: { maxLength: number; batchSize: number }, progress?: Progress): Promise<PairLikelihood[]> {
    return this.request({ op: 'seq2seqLikelihood', id, sources, targets, ...opts }, progress)
  }

  /** BERTScore P/R/F1 of each candidate against its reference with an encoder export (bertscore.ts); `layer` is checked against the export. */
  bertScore(id: number, candidates: string[], references: string[], opts: { batchSize: number; layer: number | null }): Promise<BertScorePairs & { layer: number | null }> {
    return this.request({ op: 'bertScore', id, candidates, references, ...opts })
  }

  /** Whether a loaded encoder-decoder folder can generate, and the decoding settings it will use (generate.ts). */
  seq2seqPlan(id: number): Promise<Seq2seqPlan> {
    return this.request({ op: 'seq2seqPlan', id })
  }

  /**
   * Greedy generation with an encoder-decoder export, IMHI.py's way for non-LLaMA models
   * (generate.ts); each finished row (and, with `stream`, each row's new text) comes to `onEvent`.
   */
  seq2seqGenerate(id: number, jobId: string, items: GenerateItem[], opts: { batchSize: number; maxNewTokens: number; stream?: boolean; reportStopped?: boolean }, onEvent: (e: Seq2seqEvent) => void): Promise<{ aborted: boolean }> {
    return this.request({ op: 'seq2seqGenerate', id, jobId, items, batchSize: opts.batchSize, maxNewTokens: opts.maxNewTokens, stream: !!opts.stream, reportStopped: !!opts.reportStopped }, undefined, onEvent)
  }

  /** Stops a seq2seqGenerate between two decoder steps; false when no such job runs. */
  abortJob(jobId: string): Promise<{ aborted: boolean }> {
    if (!this.worker) return Promise.resolve({ aborted: false })
    return this.request({ op: 'abortJob', jobId })
  }

  /** Ends the worker and every session in it. Safe to call twice. */
  async close(): Promise<void> {
    const w = this.worker
    this.worker = null
    if (w) await w.terminate()
  }
}
