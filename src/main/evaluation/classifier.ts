import { createHash } from 'node:crypto'
import type { HeldOutScore } from '../../shared/api/evaluation'
import type { DatasetInfo } from '../../shared/imhi/datasets'
import { fitTfidf, TfidfVectorizer, type SparseVector, type TfidfModel } from './tfidf'
import { predict, predictProba, seededRandom, shuffled, trainLogReg, type LogRegModel } from './logreg'
import { classificationReport } from './f1'
import { aspectOf, aspectOfQuestion, aspectsOf } from './aspects'

/**
 * The learned label classifier of one dataset: TF-IDF (word 1-2 grams) + multinomial logistic
 * regression, doing the job of the benchmark's MentalBERT classifiers (label a free-form
 * explanation). Trained on gold explanations with the label sentence removed (from "Reasoning:"
 * on), so it must read the reasoning, not the template sentence. On MultiWD, whose label depends
 * on the wellness dimension asked, terms are also crossed with that dimension (aspects.ts).
 */
export interface LabelledText {
  text: string
  label: string
  /** The question asked of the post, where known: names the aspect on multi-aspect datasets (aspects.ts). */
  question?: string | null
  /** The text's L2-normalized embedding, for a classifier with embedding features (embedding.ts). */
  embedding?: Float32Array
  /** The post it explains (postGroup()): rows of one post stay in one cross-validation fold. */
  group?: string
}

/** The group key of a post: its words, lower-cased (the same post is punctuated differently across the released files). */
export function postGroup(post: string): string {
  return post.toLowerCase().replace(/[^a-z0-9]+/g, ' ').trim()
}

/** The embedding model a classifier's dense features came from (embedding.ts). */
export interface EmbeddingRef {
  /** File name of the GGUF, for messages. */
  file: string
  sha256: string
  dimension: number
  /** Tokens of the embedding context (where long texts were cut); labelling uses the same. */
  contextSize: number
}

/**
 * TF-IDF terms followed by a dense vector: the dense values take feature indices
 * offset..offset+dense.length-1 (after the TF-IDF vocabulary). Without a dense vector: the sparse one.
 */
export function withDense(x: SparseVector, dense: Float32Array | undefined, offset: number): SparseVector {
  if (!dense || dense.length === 0) return x
  const indices = new Int32Array(x.indices.length + dense.length)
  const values = new Float32Array(x.values.length + dense.length)
  indices.set(x.indices)
  values.set(x.values)
  for (let j = 0; j < dense.length; j++) {
    indices[x.indices.length + j] = offset + j
    values[x.values.length + j] = dense[j]
  }
  return { indices, values }
}

export interface ClassifierData {
  train: LabelledText[]
  val: LabelledText[]
  /** Released test set (test_instruction) gold explanations. */
  test: LabelledText[]
  /** Expert-written explanations (human_evaluation/test_instruction_expert). */
  expert: LabelledText[]
}

export type { HeldOutScore }

export interface TrainReport {
  dataset: string
  /** Rows the stored model was trained on. */
  trainRows: number
  heldOut: HeldOutScore | null
  /**
   * Accuracy on the released test set's gold explanations. For datasets without training data this
   * is out-of-fold (k-fold over test + expert rows): never a row the scoring model was trained on.
   */
  test: HeldOutScore | null
  seconds: number
}

export interface LabelModel {
  version: 1
  dataset: string
  labels: string[]
  tfidf: TfidfModel
  logreg: LogRegModel
  /**
   * Yes/no datasets: the probability of labels[1] from which it is predicted, chosen to maximize
   * out-of-fold accuracy on the model's own training rows (never on the rows it is scored on).
   */
  threshold?: number
  /** Multi-aspect datasets (MultiWD): terms are crossed with the aspect asked (aspects.ts, tfidf.ts). */
  aspects?: boolean
  /**
   * The plain model (no aspect) of the same rows, for explanations whose question is unknown (output
   * files): reading the aspect from the explanation is wrong often enough (MultiWD: 18% of
   * validation rows) that the plain model labels them better (MultiWD test 94.76% vs 94.55%).
   * Stored only when the crossed model learned its aspects from questions.
   */
  fallback?: LabelModel
  /** Embedding features (embedding.ts): weights beyond the TF-IDF vocabulary are the embedding's dimensions. */
  embedding?: EmbeddingRef
}

export interface FitOptions {
  /** Cross terms with the aspect on multi-aspect datasets (default true; false gives the plain model, for comparison). */
  aspects?: boolean
  /** Also fit the plain fallback model (stored models; not needed for the folds of a cross-validation). */
  fallback?: boolean
}

export const FOLDS = 5
const SEED = 20231

function fitPlain(info: DatasetInfo, rows: readonly LabelledText[], opts: FitOptions = {}): LabelModel {
  if (rows.length === 0) throw new Error(`${info.name}: no labelled explanations to train on`)
  const aspects = opts.aspects === false ? null : aspectsOf(info.name)
  const aspectOfRow = rows.map((r) => aspectOf(aspects, r.text, r.question))
  const tfidf = fitTfidf(rows.map((r) => r.text), {}, aspects ? aspectOfRow : undefined)
  const vec = new TfidfVectorizer(tfidf)
  const x = rows.map((r, i) => withDense(vec.transform(r.text, aspectOfRow[i]), r.embedding, vec.size))
  const logreg = trainLogReg(x, rows.map((r) => r.label), vec.size + (rows[0].embedding?.length ?? 0), info.labels, { seed: SEED, epochs: 12, learningRate: 0.5, l2: 1e-5 })
  return { version: 1, dataset: info.name, labels: [...info.labels], tfidf, logreg, ...(aspects ? { aspects: true } : {}) }
}

/**
 * Row i's fold (0..folds-1), from a seeded shuffle: the same rows always fall the same way. Rows
 * of one group (the same post) always fall in the same fold, so no row is scored by a model that
 * learned from another explanation of its post: MultiWD asks six questions of each post, Irf two,
 * and an expert explanation and a test explanation of one post (CAMS, t-sid) share their label.
 * Groups are shuffled and dealt to the folds in turn; a row without a group is a group of one.
 */
export function foldsOf(rows: readonly Pick<LabelledText, 'group'>[], folds: number): number[] {
  const groups = new Map<string, number[]>()
  rows.forEach((r, i) => {
    const key = r.group ?? `\u0000${i}`
    const members = groups.get(key)
    if (members) members.push(i)
    else groups.set(key, [i])
  })
  const fold = new Array<number>(rows.length)
  shuffled([...groups.values()], seededRandom(SEED)).forEach((members, k) => {
    for (const i of members) fold[i] = k % folds
  })
  return fold
}

/**
 * The decision threshold of a yes/no model: out-of-fold P(labels[1]) of every training row, then
 * the cut in 0.20..0.80 (step 0.01) with the best accuracy, ties to the one nearest 0.5.
 */
function tuneThreshold(info: DatasetInfo, rows: readonly LabelledText[], opts: FitOptions): number {
  const fold = foldsOf(rows, FOLDS)
  const p = new Array<number>(rows.length)
  for (let f = 0; f < FOLDS; f++) {
    const train = rows.filter((_, i) => fold[i] !== f)
    if (train.length === 0 || train.length === rows.length) continue
    const c = new LabelClassifier(fitPlain(info, train, opts))
    rows.forEach((r, i) => {
      if (fold[i] === f) p[i] = c.probabilities(r.text, r.question, r.embedding)[1]
    })
  }
  let best = 0.5
  let bestCorrect = -1
  for (let k = 20; k <= 80; k++) {
    const t = k / 100
    let correct = 0
    rows.forEach((r, i) => {
      if ((p[i] >= t ? info.labels[1] : info.labels[0]) === r.label) correct++
    })
    if (correct > bestCorrect || (correct === bestCorrect && Math.abs(t - 0.5) < Math.abs(best - 0.5))) {
      best = t
      bestCorrect = correct
    }
  }
  return best
}

export function fitModel(info: DatasetInfo, rows: readonly LabelledText[], opts: FitOptions = {}): LabelModel {
  const model = fitPlain(info, rows, opts)
  if (info.labels.length === 2 && rows.length >= 2 * FOLDS) model.threshold = tuneThreshold(info, rows, opts)
  const aspects = model.aspects ? aspectsOf(info.name) : null
  if (opts.fallback && aspects && rows.some((r) => r.question && aspectOfQuestion(aspects, r.question))) {
    model.fallback = fitModel(info, rows, { aspects: false })
  }
  return model
}

/** A loaded model ready to label texts. */
export class LabelClassifier {
  private readonly vec: TfidfVectorizer
  private readonly aspects: ReturnType<typeof aspectsOf>
  private readonly fallback: LabelClassifier | null
  constructor(readonly model: LabelModel) {
    this.vec = new TfidfVectorizer(model.tfidf)
    this.aspects = model.aspects ? aspectsOf(model.dataset) : null
    this.fallback = model.fallback ? new LabelClassifier(model.fallback) : null
  }

  /** The fallback model where the question names no aspect and one exists; else null (this model). */
  private delegate(question?: string | null): LabelClassifier | null {
    if (!this.fallback || !this.aspects) return null
    return question && aspectOfQuestion(this.aspects, question) ? null : this.fallback
  }

  private features(text: string, question?: string | null, embedding?: Float32Array) {
    const t = text.slice(0, 20000)
    const x = this.vec.transform(t, aspectOf(this.aspects, t, question))
    const dense = this.model.logreg.features - this.vec.size
    if (dense === 0) return x
    if (!embedding || embedding.length !== dense) {
      throw new Error(`the classifier of ${this.model.dataset} needs the ${dense}-dimensional embedding of each text (${this.model.embedding?.file ?? 'embedding model'})${embedding ? `; got ${embedding.length}` : ''}`)
    }
    return withDense(x, embedding, this.vec.size)
  }

  /** Class probabilities, in the order of model.labels. */
  probabilities(text: string, question?: string | null, embedding?: Float32Array): number[] {
    const other = this.delegate(question)
    if (other) return other.probabilities(text, undefined, embedding)
    return predictProba(this.model.logreg, this.features(text, question, embedding))
  }

  /**
   * The label of an explanation. The question asked (where known) names the aspect on
   * multi-aspect datasets; without it the fallback model labels it, or where there is none the
   * aspect is read from the explanation.
   */
  label(text: string, question?: string | null, embedding?: Float32Array): { label: string; probability: number } {
    const other = this.delegate(question)
    if (other) return other.label(text, undefined, embedding)
    const x = this.features(text, question, embedding)
    const t = this.model.threshold
    if (t === undefined || this.model.labels.length !== 2) return predict(this.model.logreg, x)
    const p = predictProba(this.model.logreg, x)[1]
    return p >= t ? { label: this.model.labels[1], probability: p } : { label: this.model.labels[0], probability: 1 - p }
  }
}

function score(method: string, gold: string[], pred: string[], order: readonly string[]): HeldOutScore {
  const r = classificationReport(gold, pred, order)
  return { method, n: gold.length, accuracy: r.accuracy, macro_f1: r.macro.f1, weighted_f1: r.weighted.f1 }
}

function evaluateOn(info: DatasetInfo, model: LabelModel, rows: readonly LabelledText[], method: string): HeldOutScore | null {
  if (rows.length === 0) return null
  const c = new LabelClassifier(model)
  return score(method, rows.map((r) => r.label), rows.map((r) => c.label(r.text, r.question, r.embedding).label), info.labels)
}

/** Out-of-fold predictions: each row is labelled by a model that never saw it. */
export function crossValidate(info: DatasetInfo, rows: readonly LabelledText[], folds = FOLDS, opts: FitOptions = {}): string[] {
  return crossValidateWithModels(info, rows, folds, opts).predicted
}

/** crossValidate, keeping each fold's model (models[f] never saw a row of fold f; null where a fold is empty) and the fold of each row. */
export function crossValidateWithModels(
  info: DatasetInfo,
  rows: readonly LabelledText[],
  folds = FOLDS,
  opts: FitOptions = {}
): { predicted: string[]; fold: number[]; models: (LabelModel | null)[] } {
  const fold = foldsOf(rows, folds)
  const predicted = new Array<string>(rows.length)
  const models: (LabelModel | null)[] = []
  for (let f = 0; f < folds; f++) {
    const train = rows.filter((_, i) => fold[i] !== f)
    const test = rows.map((r, i) => ({ r, i })).filter(({ i }) => fold[i] === f)
    if (test.length === 0 || train.length === 0) {
      models.push(null)
      continue
    }
    const model = fitModel(info, train, opts)
    models.push(model)
    const c = new LabelClassifier(model)
    for (const { r, i } of test) predicted[i] = c.label(r.text, r.question, r.embedding).label
  }
  return { predicted, fold, models }
}

/**
 * The fold models of a classifier that learned from the test posts themselves, and which fold held
 * out each post: labelling a test post with its fold's model (crossfit.ts) never uses a model that
 * saw that post. Posts and explanations are keyed by the SHA-256 of their normalized text
 * (crossFitKey), so no post text is stored twice.
 */
export interface CrossFit {
  folds: number
  models: (LabelModel | null)[]
  /** crossFitKey(postGroup(post)) -> fold. */
  posts: Record<string, number>
  /** crossFitKey(normalized gold explanation) -> fold. */
  explanations: Record<string, number>
}

/**
 * Rows whose gold explanations are the same text are one group too, with every row of their posts:
 * a few expert rows repeat the test explanation of their post under a differently written post
 * text (CAMS: 4), and a fold that held out one copy must not have learned from the other.
 */
export function linkByExplanation(rows: readonly LabelledText[]): string[] {
  const parent = new Map<string, string>()
  const find = (k: string): string => {
    let r = k
    while (parent.get(r) !== r) r = parent.get(r)!
    parent.set(k, r)
    return r
  }
  const keys = rows.map((r, i) => ({ post: r.group !== undefined ? `p:${r.group}` : `r:${i}`, text: `t:${postGroup(r.text)}` }))
  for (const k of keys) {
    for (const x of [k.post, k.text]) if (!parent.has(x)) parent.set(x, x)
    const a = find(k.post)
    const b = find(k.text)
    if (a !== b) parent.set(b, a)
  }
  return keys.map((k) => find(k.post))
}

export function crossFitKey(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex').slice(0, 24)
}

/** The explanation key of a text: lower-case words, as postGroup. */
export function explanationKey(text: string): string {
  return crossFitKey(postGroup(text))
}

/**
 * Trains the stored model and measures it honestly:
 * - train and val both present: held-out = trained on train, scored on val; stored model on train+val; test = the test set.
 * - only one of them: held-out = 5-fold cross-validation over it; stored model on all of it; test = the test set.
 * - neither (CAMS, loneliness, t-sid, swmh): the model learns from test + expert explanations;
 *   held-out = 5-fold cross-validation over them, test = the out-of-fold accuracy on the test rows.
 * Every cross-validation keeps the rows of one post in one fold (foldsOf): an expert explanation
 * and the test explanation of the same post never sit on both sides of a split.
 */
export function trainAndScore(info: DatasetInfo, data: ClassifierData, opts: FitOptions = {}): { model: LabelModel; report: TrainReport; crossFit: CrossFit | null } {
  const started = performance.now()
  let crossFit: CrossFit | null = null
  let model: LabelModel
  let heldOut: HeldOutScore | null
  let test: HeldOutScore | null
  let trainRows: number
  if (data.train.length > 0 && data.val.length > 0) {
    heldOut = evaluateOn(info, fitModel(info, data.train, opts), data.val, 'trained on train, scored on val')
    const all = [...data.train, ...data.val]
    model = fitModel(info, all, { ...opts, fallback: true })
    trainRows = all.length
    test = evaluateOn(info, model, data.test, 'test set (trained on train + val)')
  } else if (data.train.length + data.val.length > 0) {
    const pool = [...data.train, ...data.val]
    const oof = crossValidate(info, pool, FOLDS, opts)
    heldOut = score(`${FOLDS}-fold cross-validation on ${data.train.length > 0 ? 'train' : 'val'} (folds by post)`, pool.map((r) => r.label), oof, info.labels)
    model = fitModel(info, pool, { ...opts, fallback: true })
    trainRows = pool.length
    test = evaluateOn(info, model, data.test, `test set (trained on ${data.train.length > 0 ? 'train' : 'val'})`)
  } else {
    const pool = [...data.test, ...data.expert]
    if (pool.length < FOLDS) throw new Error(`${info.name}: only ${pool.length} labelled explanations; at least ${FOLDS} are needed`)
    const linked = linkByExplanation(pool)
    const cv = crossValidateWithModels(
      info,
      pool.map((r, i) => ({ ...r, group: linked[i] })),
      FOLDS,
      opts
    )
    const oof = cv.predicted
    crossFit = { folds: FOLDS, models: cv.models, posts: {}, explanations: {} }
    pool.forEach((r, i) => {
      if (r.group) crossFit!.posts[crossFitKey(r.group)] = cv.fold[i]
      crossFit!.explanations[explanationKey(r.text)] = cv.fold[i]
    })
    heldOut = score(`${FOLDS}-fold cross-validation on test + expert (folds by post)`, pool.map((r) => r.label), oof, info.labels)
    const nTest = data.test.length
    test = nTest > 0 ? score(`${FOLDS}-fold cross-validation (folds by post), out-of-fold test rows`, data.test.map((r) => r.label), oof.slice(0, nTest), info.labels) : null
    model = fitModel(info, pool, { ...opts, fallback: true })
    trainRows = pool.length
  }
  return { model, report: { dataset: info.name, trainRows, heldOut, test, seconds: (performance.now() - started) / 1000 }, crossFit }
}

function toBase64(a: Float32Array): string {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64')
}
function fromBase64(s: string): Float32Array {
  const buf = Buffer.from(s, 'base64')
  const out = new Float32Array(Math.floor(buf.byteLength / 4))
  new Uint8Array(out.buffer).set(buf.subarray(0, out.length * 4))
  return out
}

interface StoredModel {
  version: number
  dataset: string
  labels: string[]
  tfidf: TfidfModel
  logreg: { classes: string[]; features: number; weights: string; bias: number[] }
  threshold?: number
  aspects?: boolean
  fallback?: StoredModel
  embedding?: EmbeddingRef
}

function toStored(m: LabelModel): StoredModel {
  return {
    version: m.version,
    dataset: m.dataset,
    labels: m.labels,
    tfidf: m.tfidf,
    logreg: { classes: m.logreg.classes, features: m.logreg.features, weights: toBase64(m.logreg.weights), bias: Array.from(m.logreg.bias) },
    ...(m.threshold !== undefined ? { threshold: m.threshold } : {}),
    ...(m.aspects ? { aspects: true } : {}),
    ...(m.fallback ? { fallback: toStored(m.fallback) } : {}),
    ...(m.embedding ? { embedding: m.embedding } : {})
  }
}

function fromStored(o: StoredModel): LabelModel {
  if (o.version !== 1) throw new Error(`unsupported classifier format version ${o.version}`)
  const weights = fromBase64(o.logreg.weights)
  const e = o.embedding
  if (e !== undefined && !(typeof e.file === 'string' && typeof e.sha256 === 'string' && /^[0-9a-f]{64}$/.test(e.sha256) && Number.isInteger(e.dimension) && e.dimension > 0 && Number.isInteger(e.contextSize) && e.contextSize > 0)) {
    throw new Error(`classifier of ${o.dataset} is corrupt (embedding model reference)`)
  }
  if (weights.length !== o.logreg.features * o.logreg.classes.length || o.tfidf.vocabulary.length + (e?.dimension ?? 0) !== o.logreg.features) {
    throw new Error(`classifier of ${o.dataset} is corrupt (weights do not match its vocabulary)`)
  }
  if (o.threshold !== undefined && !(o.threshold > 0 && o.threshold < 1)) throw new Error(`classifier of ${o.dataset} is corrupt (threshold ${o.threshold})`)
  if (o.fallback !== undefined && (o.fallback.fallback !== undefined || o.fallback.dataset !== o.dataset)) {
    throw new Error(`classifier of ${o.dataset} is corrupt (fallback model)`)
  }
  return {
    version: 1,
    dataset: o.dataset,
    labels: o.labels,
    tfidf: o.tfidf,
    logreg: { classes: o.logreg.classes, features: o.logreg.features, weights, bias: Float32Array.from(o.logreg.bias) },
    ...(o.threshold !== undefined ? { threshold: o.threshold } : {}),
    ...(o.aspects === true ? { aspects: true } : {}),
    ...(o.fallback !== undefined ? { fallback: fromStored(o.fallback) } : {}),
    ...(e !== undefined ? { embedding: { file: e.file, sha256: e.sha256, dimension: e.dimension, contextSize: e.contextSize } } : {})
  }
}

export function serializeModel(m: LabelModel): string {
  return JSON.stringify(toStored(m))
}

export function deserializeModel(json: string): LabelModel {
  return fromStored(JSON.parse(json) as StoredModel)
}

interface StoredCrossFit {
  folds: number
  models: (StoredModel | null)[]
  posts: Record<string, number>
  explanations: Record<string, number>
}

export function serializeCrossFit(c: CrossFit): string {
  const stored: StoredCrossFit = { folds: c.folds, models: c.models.map((m) => (m ? toStored(m) : null)), posts: c.posts, explanations: c.explanations }
  return JSON.stringify(stored)
}

export function deserializeCrossFit(json: string, dataset: string): CrossFit {
  const o = JSON.parse(json) as StoredCrossFit
  const okFold = (f: unknown) => Number.isInteger(f) && (f as number) >= 0 && (f as number) < o.folds
  if (!Number.isInteger(o.folds) || o.folds < 2 || !Array.isArray(o.models) || o.models.length !== o.folds || typeof o.posts !== 'object' || typeof o.explanations !== 'object') {
    throw new Error(`cross-fitted models of ${dataset} are corrupt`)
  }
  if (!Object.values(o.posts).every(okFold) || !Object.values(o.explanations).every(okFold)) throw new Error(`cross-fitted models of ${dataset} are corrupt (fold numbers)`)
  const models = o.models.map((m) => (m ? fromStored(m) : null))
  if (models.some((m) => m && m.dataset !== dataset)) throw new Error(`cross-fitted models of ${dataset} are corrupt (another dataset's model)`)
  return { folds: o.folds, models, posts: o.posts, explanations: o.explanations }
}
