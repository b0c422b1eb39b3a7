import type { ApiErrorBody } from '../../../../shared/api/errors'
import type { ForwardBatch, LoadOptions, OnnxModelInfo } from './model'
import type { TensorValue } from './session'
import type { EncodedBatch } from './tokenizer'
import type { PairLikelihood } from './seq2seq'
import type { BertScorePairs } from './bertscore'

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

export interface OnnxResults {
  load: OnnxModelInfo
  unload: { unloaded: boolean }
  run: Record<string, TensorValue>
  tokenize: EncodedBatch
  forward: ForwardBatch[]
  classify: ClassifyResult
  seq2seqLikelihood: PairLikelihood[]
  bertScore: BertScorePairs & { layer: number | null }
}

export type ToOnnxWorker = { id: number; req: OnnxRequest }

export type FromOnnxWorker =
  | { type: 'result'; id: number; value: unknown }
  | { type: 'error'; id: number; error: ApiErrorBody }
  /** Texts done so far by a forward/classify request. */
  | { type: 'progress'; id: number; done: number; total: number }
