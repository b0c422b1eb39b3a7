import type { ApiErrorBody } from '../../../../shared/api/errors'
import type { ForwardBatch, LoadOptions, OnnxModelInfo } from './model'
import type { TensorValue } from './session'
import type { EncodedBatch } from './tokenizer'
import type { PairLikelihood } from './seq2seq'
import type { BertScorePairs } from './bertscore'
import type { GeneratedItem, GenerateItem, Seq2seqPlan } from './generate'

/** Messages between the main thread (client.ts) and the ONNX worker thread (worker.ts). */

/** Logits of a classifier over texts: row i's scores are logits[i * labels .. (i + 1) * labels). */
export interface ClassifyResult {
  labels: number
  logits: Float32Array
  /** Tokens per text as fed to the model (with special tokens, after truncation). */
  tokens: number[]
  /** Indices of the texts cut to maxLength. */
  truncated: number[]
  seconds: number
}

export type OnnxRequest =
  | { op: 'load'; dir: string; options: LoadOptions }
  | { op: 'unload'; id: number }
  | { op: 'run'; id: number; session: string; feeds: Record<string, TensorValue>; outputs?: string[] }
  | { op: 'tokenize'; id: number; texts: string[]; maxLength: number | null }
  | { op: 'forward'; id: number; session?: string; texts: string[]; maxLength: number | null; batchSize: number; outputs?: string[] }
  | { op: 'classify'; id: number; texts: string[]; maxLength: number | null; batchSize: number; output?: string }
  | { op: 'seq2seqLikelihood'; id: number; sources: string[]; targets: string[]; maxLength: number; batchSize: number }
  | { op: 'bertScore'; id: number; candidates: string[]; references: string[]; batchSize: number; layer: number | null }
  /** Checks a loaded folder for generation and resolves its decoding settings (generate.ts). */
  | { op: 'seq2seqPlan'; id: number }
  /** Greedy generation; rows are reported as 'partial' Seq2seqEvents while it runs. */
  | { op: 'seq2seqGenerate'; id: number; jobId: string; items: GenerateItem[]; batchSize: number; maxNewTokens: number; stream: boolean; reportStopped: boolean }
  /** Stops a seq2seqGenerate by its job id (between decoder steps). */
  | { op: 'abortJob'; jobId: string }

export interface OnnxResults {
  load: OnnxModelInfo
  unload: { unloaded: boolean }
  run: Record<string, TensorValue>
  tokenize: EncodedBatch
  forward: ForwardBatch[]
  classify: ClassifyResult
  seq2seqLikelihood: PairLikelihood[]
  bertScore: BertScorePairs & { layer: number | null }
  seq2seqPlan: Seq2seqPlan
  seq2seqGenerate: { aborted: boolean }
  abortJob: { aborted: boolean }
}

/** What a seq2seqGenerate reports while it runs. */
export type Seq2seqEvent =
  | { kind: 'item'; result: GeneratedItem }
  | { kind: 'text'; key: number; text: string; tokens: number }
  | { kind: 'tokens'; total: number }

export type ToOnnxWorker = { id: number; req: OnnxRequest }

export type FromOnnxWorker =
  | { type: 'result'; id: number; value: unknown }
  | { type: 'error'; id: number; error: ApiErrorBody }
  /** Texts done so far by a forward/classify request. */
  | { type: 'progress'; id: number; done: number; total: number }
  /** An event of a request in flight (seq2seqGenerate's finished rows, streamed text). */
  | { type: 'partial'; id: number; value: Seq2seqEvent }
