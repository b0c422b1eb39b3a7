import type { DatasetInfo } from '../../shared/imhi/datasets'
import { fitTfidf, TfidfVectorizer, type TfidfModel } from './tfidf'
import { predict, seededRandom, shuffled, trainLogReg, type LogRegModel } from './logreg'
import { classificationReport } from './f1'

/**
 * The learned label classifier of one dataset: TF-IDF (word 1-2 grams) + multinomial logistic
 * regression, doing the job of the benchmark's MentalBERT classifiers (label a free-form
 * explanation). Trained on gold explanations with the label sentence removed (from "Reasoning:"
 * on), so it must read the reasoning, not the template sentence.
 */
export interface LabelledText {
  text: string
  label: string
}

export interface ClassifierData {
  train: LabelledText[]
  val: LabelledText[]
  /** Released test set (test_instruction) gold explanations. */
  test: LabelledText[]
  /** Expert-written explanations (human_evaluation/test_instruction_expert). */
  expert: LabelledText[]
}

export interface HeldOutScore {
  /** How the score was obtained, in words. */
  method: string
  n: number
  accuracy: number
  macro_f1: number
  weighted_f1: number
}

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
}

export const FOLDS = 5
const SEED = 20231

export function fitModel(info: DatasetInfo, rows: readonly LabelledText[]): LabelModel {
  if (rows.length === 0) throw new Error(`${info.name}: no labelled explanations to train on`)
  const tfidf = fitTfidf(rows.map((r) => r.text))
  const vec = new TfidfVectorizer(tfidf)
  const x = rows.map((r) => vec.transform(r.text))
  const logreg = trainLogReg(x, rows.map((r) => r.label), vec.size, info.labels, { seed: SEED, epochs: 12, learningRate: 0.5, l2: 1e-5 })
  return { version: 1, dataset: info.name, labels: [...info.labels], tfidf, logreg }
}

/** A loaded model ready to label texts. */
export class LabelClassifier {
  private readonly vec: TfidfVectorizer
  constructor(readonly model: LabelModel) {
    this.vec = new TfidfVectorizer(model.tfidf)
  }

  label(text: string): { label: string; probability: number } {
    return predict(this.model.logreg, this.vec.transform(text.slice(0, 20000)))
  }
}

function score(method: string, gold: string[], pred: string[], order: readonly string[]): HeldOutScore {
  const r = classificationReport(gold, pred, order)
  return { method, n: gold.length, accuracy: r.accuracy, macro_f1: r.macro.f1, weighted_f1: r.weighted.f1 }
}

function evaluateOn(info: DatasetInfo, model: LabelModel, rows: readonly LabelledText[], method: string): HeldOutScore | null {
  if (rows.length === 0) return null
  const c = new LabelClassifier(model)
  return score(method, rows.map((r) => r.label), rows.map((r) => c.label(r.text).label), info.labels)
}

/** Out-of-fold predictions: each row is labelled by a model that never saw it. */
export function crossValidate(info: DatasetInfo, rows: readonly LabelledText[], folds = FOLDS): string[] {
  const order = shuffled(rows.map((_, i) => i), seededRandom(SEED))
  const fold = new Array<number>(rows.length)
  order.forEach((row, k) => (fold[row] = k % folds))
  const predicted = new Array<string>(rows.length)
  for (let f = 0; f < folds; f++) {
    const train = rows.filter((_, i) => fold[i] !== f)
    const test = rows.map((r, i) => ({ r, i })).filter(({ i }) => fold[i] === f)
    if (test.length === 0 || train.length === 0) continue
    const c = new LabelClassifier(fitModel(info, train))
    for (const { r, i } of test) predicted[i] = c.label(r.text).label
  }
  return predicted
}

/**
 * Trains the stored model and measures it honestly:
 * - train and val both present: held-out = trained on train, scored on val; stored model on train+val; test = the test set.
 * - only one of them: held-out = 5-fold cross-validation over it; stored model on all of it; test = the test set.
 * - neither (CAMS, loneliness, t-sid, swmh): the model learns from test + expert explanations;
 *   held-out = 5-fold cross-validation over them, test = the out-of-fold accuracy on the test rows.
 */
export function trainAndScore(info: DatasetInfo, data: ClassifierData): { model: LabelModel; report: TrainReport } {
  const started = performance.now()
  let model: LabelModel
  let heldOut: HeldOutScore | null
  let test: HeldOutScore | null
  let trainRows: number
  if (data.train.length > 0 && data.val.length > 0) {
    heldOut = evaluateOn(info, fitModel(info, data.train), data.val, 'trained on train, scored on val')
    const all = [...data.train, ...data.val]
    model = fitModel(info, all)
    trainRows = all.length
    test = evaluateOn(info, model, data.test, 'test set (trained on train + val)')
  } else if (data.train.length + data.val.length > 0) {
    const pool = [...data.train, ...data.val]
    const oof = crossValidate(info, pool)
    heldOut = score(`${FOLDS}-fold cross-validation on ${data.train.length > 0 ? 'train' : 'val'}`, pool.map((r) => r.label), oof, info.labels)
    model = fitModel(info, pool)
    trainRows = pool.length
    test = evaluateOn(info, model, data.test, `test set (trained on ${data.train.length > 0 ? 'train' : 'val'})`)
  } else {
    const pool = [...data.test, ...data.expert]
    if (pool.length < FOLDS) throw new Error(`${info.name}: only ${pool.length} labelled explanations; at least ${FOLDS} are needed`)
    const oof = crossValidate(info, pool)
    heldOut = score(`${FOLDS}-fold cross-validation on test + expert`, pool.map((r) => r.label), oof, info.labels)
    const nTest = data.test.length
    test = nTest > 0 ? score(`${FOLDS}-fold cross-validation, out-of-fold test rows`, data.test.map((r) => r.label), oof.slice(0, nTest), info.labels) : null
    model = fitModel(info, pool)
    trainRows = pool.length
  }
  return { model, report: { dataset: info.name, trainRows, heldOut, test, seconds: (performance.now() - started) / 1000 } }
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

export function serializeModel(m: LabelModel): string {
  return JSON.stringify({
    version: m.version,
    dataset: m.dataset,
    labels: m.labels,
    tfidf: m.tfidf,
    logreg: { classes: m.logreg.classes, features: m.logreg.features, weights: toBase64(m.logreg.weights), bias: Array.from(m.logreg.bias) }
  })
}

export function deserializeModel(json: string): LabelModel {
  const o = JSON.parse(json) as {
    version: number
    dataset: string
    labels: string[]
    tfidf: TfidfModel
    logreg: { classes: string[]; features: number; weights: string; bias: number[] }
  }
  if (o.version !== 1) throw new Error(`unsupported classifier format version ${o.version}`)
  const weights = fromBase64(o.logreg.weights)
  if (weights.length !== o.logreg.features * o.logreg.classes.length || o.tfidf.vocabulary.length !== o.logreg.features) {
    throw new Error(`classifier of ${o.dataset} is corrupt (weights do not match its vocabulary)`)
  }
  return { version: 1, dataset: o.dataset, labels: o.labels, tfidf: o.tfidf, logreg: { classes: o.logreg.classes, features: o.logreg.features, weights, bias: Float32Array.from(o.logreg.bias) } }
}
