import { createHash } from 'node:crypto'
import { stat } from 'node:fs/promises'
import { basename, resolve } from 'node:path'
import type { Db } from '../db/open'
import { AppError } from '../../shared/api/errors'
import type { InferenceService } from '../inference/service'
import { readGgufHeader, sha256File } from '../inference/gguf'
import { LabelClassifier, type EmbeddingRef, type LabelModel } from './classifier'

/**
 * Embedding features of the label classifiers: a GGUF model (through node-llama-cpp, in the
 * inference worker) turns each explanation into a vector; the classifier's features are its
 * TF-IDF terms followed by that vector scaled to unit length (L2), fed to the same logistic
 * regression (classifier.ts, withDense). Vectors are cached in SQLite (migration 005) by the
 * model file's SHA-256, the context size and the text's SHA-256, so training again or labelling
 * the same explanations again computes nothing twice.
 *
 * Truncation: a text longer than the embedding context (EMBEDDING_CONTEXT tokens) keeps its first
 * tokens (worker/embed.ts); the count of such texts is reported. Empty texts are never embedded
 * (training rows are never empty; empty generated responses get no label, as without embeddings).
 */

/** Tokens of the embedding context used for classifier features; stored in each classifier's EmbeddingRef. */
export const EMBEDDING_CONTEXT = 512
/** Texts per worker request: progress is reported between chunks. */
const CHUNK = 32

/** An embedding model file, identified by its content. */
export interface EmbeddingModel {
  path: string
  file: string
  sha256: string
}

export interface EmbedStats {
  /** Texts embedded by the model in this call. */
  computed: number
  /** Texts found in the cache. */
  cached: number
  /** Texts (computed or cached) cut to fit the context. */
  truncated: number
  seconds: number
}

/** The L2-normalized copy of a vector (a zero vector stays zero). */
export function normalizeL2(v: Float32Array): Float32Array {
  let s = 0
  for (let k = 0; k < v.length; k++) s += v[k] * v[k]
  const n = Math.sqrt(s)
  const out = new Float32Array(v.length)
  if (n > 0) for (let k = 0; k < v.length; k++) out[k] = v[k] / n
  return out
}

/** The label_classifiers.features text of a model: "tfidf" or "tfidf+embedding:<file>". */
export function featuresName(model: Pick<LabelModel, 'embedding'>): string {
  return model.embedding ? `tfidf+embedding:${model.embedding.file}` : 'tfidf'
}

/** Records the embedding model on a trained model and its fallback (the same features). */
export function attachEmbedding(model: LabelModel, ref: EmbeddingRef): LabelModel {
  model.embedding = { ...ref }
  if (model.fallback) attachEmbedding(model.fallback, ref)
  return model
}

const textKey = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex')

function toBlob(v: Float32Array): Buffer {
  const b = Buffer.alloc(v.length * 4)
  for (let k = 0; k < v.length; k++) b.writeFloatLE(v[k], k * 4)
  return b
}
function fromBlob(b: Buffer, dimension: number): Float32Array {
  if (b.length !== dimension * 4) throw new AppError('internal', `A cached embedding has ${b.length} bytes, not ${dimension * 4}; clear the embeddings table.`)
  const v = new Float32Array(dimension)
  for (let k = 0; k < dimension; k++) v[k] = b.readFloatLE(k * 4)
  return v
}

export type EmbeddingInference = Pick<InferenceService, 'embed' | 'library'>

/** The embedding cache and the model look-ups, on the app's database and inference service. */
export function createEmbeddings(db: Db, inference: EmbeddingInference) {
  const q = {
    get: db.prepare<[string, number, string], { dimension: number; vector: Buffer; truncated_from: number | null }>(
      'SELECT dimension, vector, truncated_from FROM embeddings WHERE model_sha256 = ? AND context_size = ? AND text_sha256 = ?'
    ),
    put: db.prepare(
      `INSERT OR REPLACE INTO embeddings (model_sha256, context_size, text_sha256, dimension, vector, tokens, truncated_from)
       VALUES (@model, @contextSize, @text, @dimension, @vector, @tokens, @truncatedFrom)`
    ),
    count: db.prepare<[string], { n: number }>('SELECT COUNT(*) AS n FROM embeddings WHERE model_sha256 = ?')
  }
  const putMany = db.transaction((rows: { model: string; contextSize: number; text: string; dimension: number; vector: Buffer; tokens: number; truncatedFrom: number | null }[]) => {
    for (const r of rows) q.put.run(r)
  })
  /** SHA-256 per path, remembered while the file's size and modification time stay the same. */
  const shaCache = new Map<string, { size: number; mtimeMs: number; sha256: string }>()

  /**
   * A GGUF file given by path: checked as a GGUF (a clear error naming the file otherwise) and
   * identified by its SHA-256 (the library's, where it lists the same unchanged file).
   */
  async function resolveModel(path: string): Promise<EmbeddingModel> {
    const abs = resolve(path)
    await readGgufHeader(abs)
    const st = await stat(abs)
    const known = shaCache.get(abs)
    if (known && known.size === st.size && known.mtimeMs === st.mtimeMs) return { path: abs, file: basename(abs), sha256: known.sha256 }
    const lib = inference.library.findByPath(abs)
    const sha256 = lib?.sha256 && lib.sizeBytes === st.size ? lib.sha256 : await sha256File(abs)
    shaCache.set(abs, { size: st.size, mtimeMs: st.mtimeMs, sha256 })
    return { path: abs, file: basename(abs), sha256 }
  }

  /**
   * The model file a classifier's embedding features need: the explicit path (which must be the
   * same file, by SHA-256), else a model of the library with that SHA-256. Never labels without it.
   */
  async function modelFor(ref: EmbeddingRef, dataset: string, explicitPath?: string): Promise<EmbeddingModel> {
    const need = `${ref.file} (SHA-256 ${ref.sha256.slice(0, 12)}…, ${ref.dimension} dimensions)`
    if (explicitPath) {
      const m = await resolveModel(explicitPath)
      if (m.sha256 !== ref.sha256) {
        throw new AppError(
          'invalid_input',
          `The classifier of ${dataset} was trained with embedding features of ${need}; ${m.file} is a different file (SHA-256 ${m.sha256.slice(0, 12)}…). Choose that model as the embedding model, or retrain the classifier.`,
          { file: m.path, needSha256: ref.sha256, field: 'embeddingModel' }
        )
      }
      return m
    }
    const candidates = inference.library.list().filter((m) => m.kind === 'model' && m.sha256 === ref.sha256 && !m.missing)
    if (candidates.length === 0) {
      throw new AppError(
        'not_found',
        `The classifier of ${dataset} was trained with embedding features of ${need}, and no model of the library is that file. Add ${ref.file} to the model library or choose it as the embedding model; or retrain the classifier without embeddings.`,
        { needFile: ref.file, needSha256: ref.sha256, field: 'embeddingModel', needs: 'model' }
      )
    }
    const m = candidates[0]
    shaCache.delete(m.path)
    return { path: m.path, file: m.fileName, sha256: m.sha256! }
  }

  /**
   * Raw embeddings (as the model returns them) of `texts`, from the cache where present, else
   * computed in chunks and stored (one transaction per chunk). Duplicate texts are embedded once.
   */
  async function embed(
    model: EmbeddingModel,
    texts: readonly string[],
    opts: { contextSize?: number; onProgress?: (done: number, total: number) => void } = {}
  ): Promise<{ vectors: Float32Array[]; dimension: number; stats: EmbedStats }> {
    const started = performance.now()
    const contextSize = opts.contextSize ?? EMBEDDING_CONTEXT
    const keys = texts.map(textKey)
    const found = new Map<string, { v: Float32Array; truncated: boolean }>()
    let dimension = 0
    let truncated = 0
    for (const k of new Set(keys)) {
      const row = q.get.get(model.sha256, contextSize, k)
      if (row) {
        found.set(k, { v: fromBlob(row.vector, row.dimension), truncated: row.truncated_from !== null })
        dimension = row.dimension
      }
    }
    const cached = found.size
    const missing: { key: string; text: string }[] = []
    const seen = new Set<string>()
    texts.forEach((t, i) => {
      const k = keys[i]
      if (found.has(k) || seen.has(k)) return
      seen.add(k)
      missing.push({ key: k, text: t })
    })
    opts.onProgress?.(0, missing.length)
    for (let start = 0; start < missing.length; start += CHUNK) {
      const chunk = missing.slice(start, start + CHUNK)
      const r = await inference.embed({ modelPath: model.path, texts: chunk.map((c) => c.text), contextSize })
      if (dimension && r.dimension !== dimension) {
        throw new AppError('conflict', `${model.file}: cached embeddings have ${dimension} dimensions but the model now returns ${r.dimension}; clear the embeddings table.`)
      }
      dimension = r.dimension
      putMany(
        chunk.map((c, j) => ({
          model: model.sha256,
          contextSize,
          text: c.key,
          dimension: r.dimension,
          vector: toBlob(r.vectors[j]),
          tokens: r.tokens[j],
          truncatedFrom: r.truncatedFrom[j]
        }))
      )
      chunk.forEach((c, j) => found.set(c.key, { v: r.vectors[j], truncated: r.truncatedFrom[j] !== null }))
      opts.onProgress?.(Math.min(start + CHUNK, missing.length), missing.length)
    }
    const vectors = keys.map((k) => {
      const f = found.get(k)!
      if (f.truncated) truncated++
      return f.v
    })
    return { vectors, dimension, stats: { computed: missing.length, cached, truncated, seconds: (performance.now() - started) / 1000 } }
  }

  return {
    resolveModel,
    modelFor,
    embed,
    /** Cached vectors of a model (tests, diagnostics). */
    cachedCount: (sha256: string) => q.count.get(sha256)!.n
  }
}
export type Embeddings = ReturnType<typeof createEmbeddings>

/**
 * A stored classifier with embedding features, ready to label a known set of texts: their
 * normalized embeddings were computed beforehand (labelling is synchronous). A text it has no
 * embedding for is an error, never a label from the TF-IDF part alone.
 */
export class EmbeddingLabelClassifier extends LabelClassifier {
  constructor(
    model: LabelModel,
    private readonly vectors: ReadonlyMap<string, Float32Array>
  ) {
    super(model)
  }

  private vectorOf(text: string, embedding?: Float32Array): Float32Array {
    const v = embedding ?? this.vectors.get(text)
    if (!v) throw new AppError('internal', `No embedding was computed for a text labelled by the ${this.model.dataset} classifier (${this.model.embedding?.file ?? 'embedding model'}).`)
    return v
  }

  override probabilities(text: string, question?: string | null, embedding?: Float32Array): number[] {
    return super.probabilities(text, question, this.vectorOf(text, embedding))
  }

  override label(text: string, question?: string | null, embedding?: Float32Array): { label: string; probability: number } {
    return super.label(text, question, this.vectorOf(text, embedding))
  }
}

/** Normalized embeddings of texts, keyed by the text (for EmbeddingLabelClassifier). */
export function vectorMap(texts: readonly string[], raw: readonly Float32Array[]): Map<string, Float32Array> {
  const m = new Map<string, Float32Array>()
  texts.forEach((t, i) => m.set(t, normalizeL2(raw[i])))
  return m
}
