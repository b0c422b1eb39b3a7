import type { CorrectnessMetrics, CrossFitLabelling, DatasetReport, EvaluationReport, ImhiPyResult, LabellerInfo, MentalBertLabelling, OodConvention, QualityScores, RuleMode } from '../../shared/api/evaluation'
import type { CrossFittedLabeller, HeldOutStatus } from './crossfit'
import { AppError } from '../../shared/api/errors'
import { goldLabel } from '../imhi/labels'
import { scoreCorrectness } from './correctness'
import { extractLabel } from './extract'
import { imhiPyCalculate } from './imhipy'
import { bleu } from './bleu'
import { rougePair } from './rouge'
import type { LabelClassifier } from './classifier'
import type { LmScorer } from './lmscore'
import type { BartScorer, BertScorer } from './onnx-scores'
import type { LoadedOutputs, OutputDataset, OutputPair } from './outputs'

/** Responses longer than this are flagged; only their start is read for a label. */
export const LONG_RESPONSE = 20000
const PER_ROW_LIMIT = 5000

export function goldOf(ds: OutputDataset, pair: OutputPair): string | null {
  if (pair.goldLabel !== undefined) return pair.goldLabel
  return pair.golden === null ? null : goldLabel(ds.info.name, pair.golden)
}

/** The rule-based correctness of one dataset (IMHI.py --rule_calculate, done right). */
export function ruleCorrectness(ds: OutputDataset, ood: OodConvention = 'workbench') {
  const gold = ds.pairs.map((p) => goldOf(ds, p))
  const predicted = ds.pairs.map((p) => extractLabel(ds.info, p.generated).label)
  return scoreCorrectness(ds.info, gold, predicted, ood)
}

/**
 * IMHI.py's calculate_f1 on one dataset (imhipy.ts). Its goldens are the golden responses as the
 * script reads them with pandas, where an empty cell is NaN and `ref.split` stops it; its responses
 * are the generated texts it holds in memory (an empty one names nothing).
 */
export function imhiPyCorrectness(ds: OutputDataset): ImhiPyResult {
  const empty = ds.pairs.findIndex((p) => p.golden === null || p.golden === '')
  if (empty >= 0) {
    return {
      dataset: ds.info.name,
      accuracy: null,
      weighted_f1: null,
      micro_f1: null,
      macro_f1: null,
      ood_count: 0,
      golden_labels: 0,
      output_labels: 0,
      unmatched_golden_rows: [],
      error: `the golden of row ${ds.pairs[empty].row} is empty: pandas reads it as NaN and IMHI.py stops with AttributeError: 'float' object has no attribute 'split'`,
      line: null
    }
  }
  const r = imhiPyCalculate(
    ds.info.name,
    ds.pairs.map((p) => p.golden!),
    ds.pairs.map((p) => p.generated)
  )
  // Row numbers of the file (or item ids of a run), not positions.
  return { ...r, unmatched_golden_rows: r.unmatched_golden_rows.map((i) => ds.pairs[i - 1].row) }
}

export type CorrectnessResult =
  | { rules: 'workbench'; ood_convention: OodConvention; datasets: Record<string, CorrectnessMetrics> }
  | { rules: 'imhi-py'; ood_convention: 'imhi-py'; datasets: Record<string, ImhiPyResult> }

/**
 * Rule-based correctness of every dataset of loaded outputs: the workbench's rules under either OOD
 * convention, or IMHI.py's calculate_f1 as released (whose OOD handling is its own: class 0, SAD 8).
 */
export function correctnessOf(loaded: LoadedOutputs, rules: RuleMode, ood: OodConvention): CorrectnessResult {
  for (const ds of loaded.datasets) {
    if (!hasGoldens(ds)) throw new AppError('bad_file', `${ds.file ?? ds.info.name}: the goldens column is empty; correctness needs golden responses`)
  }
  if (rules === 'imhi-py') return { rules, ood_convention: 'imhi-py', datasets: Object.fromEntries(loaded.datasets.map((ds) => [ds.info.name, imhiPyCorrectness(ds)])) }
  return { rules, ood_convention: ood, datasets: Object.fromEntries(loaded.datasets.map((ds) => [ds.info.name, ruleCorrectness(ds, ood)])) }
}

export interface RowLabel {
  row: number
  itemId?: number
  label: string | null
  /** Classifier probability of the label; null for empty responses. */
  confidence: number | null
  gold: string | null
  empty: boolean
  /** The fold model that labelled it (cross-fitted labelling), else null/absent: the stored model. */
  fold?: number | null
  /** Cross-fitted labelling only (crossfit.ts): out_of_fold, not_in_training or unknown; null/absent where the classifier learned from training data only (and for MentalBERT). */
  heldOut?: HeldOutStatus | null
}

/**
 * The classifier's label of every row. With a cross-fitted labeller (datasets whose classifier
 * learned from the test posts), a row whose post it learned from is labelled by the fold model
 * that never saw that post.
 */
export function classifierLabels(ds: OutputDataset, classifier: LabelClassifier, crossFit?: CrossFittedLabeller | null): RowLabel[] {
  return ds.pairs.map((p) => {
    const empty = p.generated.trim().length === 0
    const gold = p.golden === null && p.goldLabel === undefined ? null : goldOf(ds, p)
    if (crossFit) {
      const where = empty ? null : crossFit.label(p.generated, p.question, { posts: p.posts, golden: p.golden })
      return { row: p.row, itemId: p.itemId, label: where?.label ?? null, confidence: where?.probability ?? null, gold, empty, fold: where?.fold ?? null, heldOut: where?.heldOut ?? null }
    }
    const r = empty ? null : classifier.label(p.generated, p.question)
    return { row: p.row, itemId: p.itemId, label: r?.label ?? null, confidence: r?.probability ?? null, gold, empty, fold: null, heldOut: null }
  })
}

/** How the rows of a cross-fitted dataset were labelled, in counts (empty responses are not labelled). */
export function crossFitSummary(rows: readonly RowLabel[], folds: number): CrossFitLabelling {
  const count = (s: HeldOutStatus) => rows.filter((r) => r.heldOut === s).length
  return { folds, outOfFold: count('out_of_fold'), notInTraining: count('not_in_training'), unknown: count('unknown') }
}

export function hasGoldens(ds: OutputDataset): boolean {
  return ds.pairs.some((p) => p.golden !== null && p.golden.trim() !== '')
}

/** BLEU and ROUGE over the pairs that have a golden explanation (the reference); per-row values aligned with ds.pairs. */
export function qualityScores(ds: OutputDataset): { quality: QualityScores; perRow: { rouge1: (number | null)[]; rouge2: (number | null)[]; rougeL: (number | null)[] } } | null {
  const withGolden = (p: OutputPair) => p.golden !== null && p.golden.trim() !== ''
  const pairs = ds.pairs.filter(withGolden)
  if (pairs.length === 0) return null
  const b = bleu(pairs.map((p) => p.generated), pairs.map((p) => p.golden!))
  const rouge1: (number | null)[] = []
  const rouge2: (number | null)[] = []
  const rougeL: (number | null)[] = []
  let s1 = 0
  let s2 = 0
  let sL = 0
  for (const p of ds.pairs) {
    if (!withGolden(p)) {
      rouge1.push(null)
      rouge2.push(null)
      rougeL.push(null)
      continue
    }
    const r = rougePair(p.golden!, p.generated)
    rouge1.push(r.rouge1.fmeasure)
    rouge2.push(r.rouge2.fmeasure)
    rougeL.push(r.rougeL.fmeasure)
    s1 += r.rouge1.fmeasure
    s2 += r.rouge2.fmeasure
    sL += r.rougeL.fmeasure
  }
  return {
    quality: { pairs: pairs.length, bleu: b, rouge1: s1 / pairs.length, rouge2: s2 / pairs.length, rougeL: sL / pairs.length, lm: null },
    perRow: { rouge1, rouge2, rougeL }
  }
}

/** Mean LM score over the pairs with a golden; per-row values aligned with ds.pairs (null where none). */
/**
 * The LM score of every row with a golden response. Progress: (0, total) before the first row (whose
 * call also loads the model, which can take a while), then after each row. An aborted `signal` stops
 * it between rows with a 'cancelled' error.
 */
export async function lmScores(
  ds: OutputDataset,
  scorer: LmScorer,
  onProgress?: (done: number, total: number) => void,
  signal?: AbortSignal
): Promise<{ mean: number | null; n: number; truncated: number; perRow: (number | null)[] }> {
  const perRow: (number | null)[] = []
  let sum = 0
  let n = 0
  let truncated = 0
  const total = ds.pairs.filter((p) => p.golden !== null && p.golden.trim() !== '').length
  let done = 0
  onProgress?.(0, total)
  for (const p of ds.pairs) {
    if (p.golden === null || p.golden.trim() === '') {
      perRow.push(null)
      continue
    }
    if (signal?.aborted) throw new AppError('cancelled', `Evaluation cancelled during the LM score of ${ds.info.name} (${done} of ${total} rows scored); nothing was stored.`)
    const s = await scorer.score(p.generated, p.golden)
    perRow.push(s?.meanLogProb ?? null)
    if (s) {
      sum += s.meanLogProb
      n++
      if (s.truncated) truncated++
    }
    done++
    onProgress?.(done, total)
  }
  return { mean: n > 0 ? sum / n : null, n, truncated, perRow }
}

export interface ReportOptions {
  name: string
  /** Labels of each dataset's rows (in row order) by the evaluation's labeller; a dataset not in the map has none. */
  labels: Map<string, RowLabel[]>
  labeller: LabellerInfo
  /** How MentalBERT labelled each dataset, where it did. */
  mentalbert?: Map<string, MentalBertLabelling>
  /** Datasets whose TF-IDF labels were cross-fitted (their classifier learned from the test posts), with the number of folds. */
  crossFits?: Map<string, { folds: number }>
  /** Datasets whose classifier learned from the test posts but has no fold models (trained before cross-fitting): its labels may be in-sample. */
  notCrossFitted?: Set<string>
  lm?: LmScorer
  /** BART-score and BERTScore through ONNX Runtime (score.py's scorers). */
  bart?: BartScorer
  bertscore?: BertScorer
  onProgress?: (stage: string, dataset: string | null, done: number, total: number) => void
  /** Cancels: the LM score between rows, BART-score and BERTScore between batches (AppError 'cancelled'). */
  signal?: AbortSignal
}

export async function buildReport(loaded: LoadedOutputs, opts: ReportOptions): Promise<EvaluationReport> {
  const datasets: Record<string, DatasetReport> = {}
  const notes: string[] = []
  for (const [k, ds] of loaded.datasets.entries()) {
    opts.onProgress?.('metrics', ds.info.name, k, loaded.datasets.length)
    const goldens = hasGoldens(ds)
    const goldRow = ds.pairs.map((p) => (p.golden === null && p.goldLabel === undefined ? null : goldOf(ds, p)))
    const ruleRow = ds.pairs.map((p) => extractLabel(ds.info, p.generated).label)
    const rule = goldens ? scoreCorrectness(ds.info, goldRow, ruleRow) : null
    const ruleBenchmarkOod = goldens ? scoreCorrectness(ds.info, goldRow, ruleRow, 'benchmark') : null
    const imhiPy = goldens ? imhiPyCorrectness(ds) : null
    if (imhiPy?.error) notes.push(`${ds.info.name}: IMHI.py's rules give no number: ${imhiPy.error}`)
    if (!goldens) notes.push(`${ds.info.name}: no golden responses, so no correctness or quality scores`)
    if (rule && rule.unmatched_gold > 0) notes.push(`${ds.info.name}: ${rule.unmatched_gold} row(s) have no recoverable gold label and are left out of the correctness metrics`)
    const labels = opts.labels.get(ds.info.name)
    let classifierMetrics = null
    let classifierBenchmarkOod = null
    let confidence: (number | null)[] | null = null
    let classifierRow: (string | null)[] | null = null
    let heldOutRow: (HeldOutStatus | null)[] | null = null
    let classifierLabelling: CrossFitLabelling | null = null
    if (labels) {
      const cf = opts.crossFits?.get(ds.info.name)
      confidence = labels.map((l) => l.confidence)
      classifierRow = labels.map((l) => l.label)
      if (cf) {
        heldOutRow = labels.map((l) => l.heldOut ?? null)
        classifierLabelling = crossFitSummary(labels, cf.folds)
        if (classifierLabelling.unknown > 0) {
          notes.push(
            `${ds.info.name}: ${classifierLabelling.unknown} row(s) could not be matched to a post, so the classifier that learned from the test posts labelled them and may have seen them: its figures here include in-sample labels`
          )
        }
      } else if (opts.notCrossFitted?.has(ds.info.name)) {
        heldOutRow = labels.map((l) => (l.empty ? null : 'unknown'))
        classifierLabelling = { folds: 0, outOfFold: 0, notInTraining: 0, unknown: labels.filter((l) => !l.empty).length }
        notes.push(
          `${ds.info.name}: its classifier learned from the test posts and was trained before cross-fitted labelling existed, so its labels of test posts may be in-sample; retrain the label classifiers for out-of-fold labels`
        )
      }
      if (goldens) {
        const gold = ds.pairs.map((p) => goldOf(ds, p))
        classifierMetrics = scoreCorrectness(
          ds.info,
          gold,
          labels.map((l) => l.label)
        )
        classifierBenchmarkOod = scoreCorrectness(
          ds.info,
          gold,
          labels.map((l) => l.label),
          'benchmark'
        )
      }
    } else if (opts.labeller.kind === 'tfidf') {
      notes.push(`${ds.info.name}: no label classifier trained yet (train the label classifiers)`)
    } else {
      notes.push(`${ds.info.name}: no MentalBERT classifier folder for it under ${opts.labeller.modelPath}`)
    }
    const q = goldens ? qualityScores(ds) : null
    let lmRow: (number | null)[] | null = null
    if (q && opts.lm) {
      const lm = await lmScores(ds, opts.lm, (d, t) => opts.onProgress?.('lm', ds.info.name, d, t), opts.signal)
      q.quality.lm = { model: opts.lm.modelPath, mean: lm.mean, n: lm.n, truncated: lm.truncated }
      lmRow = lm.perRow
    }
    let bartRow: (number | null)[] | null = null
    let bertRow: (number | null)[] | null = null
    if (q && opts.bart) {
      const r = await opts.bart.score(ds.pairs, { signal: opts.signal, onProgress: (d, t) => opts.onProgress?.('bart', ds.info.name, d, t) })
      q.quality.bart = r.summary
      bartRow = r.perRow
    }
    if (q && opts.bertscore) {
      const r = await opts.bertscore.score(ds.pairs, { signal: opts.signal, onProgress: (d, t) => opts.onProgress?.('bertscore', ds.info.name, d, t) })
      q.quality.bertscore = r.summary
      bertRow = r.perRow
    }
    datasets[ds.info.name] = {
      dataset: ds.info.name,
      task: ds.info.task,
      labels: [...ds.info.labels],
      file: ds.file,
      rows: ds.pairs.length,
      emptyResponses: ds.pairs.filter((p) => p.generated.trim() === '').length,
      longResponses: ds.pairs.filter((p) => p.generated.length > LONG_RESPONSE).length,
      rule,
      classifier: classifierMetrics,
      ...(opts.labeller.kind === 'mentalbert' ? { mentalbert: opts.mentalbert?.get(ds.info.name) ?? null } : {}),
      ruleBenchmarkOod,
      classifierBenchmarkOod,
      imhiPy,
      classifierLabelling,
      quality: q?.quality ?? null,
      perRow: {
        row: ds.pairs.slice(0, PER_ROW_LIMIT).map((p) => p.row),
        gold: goldRow.slice(0, PER_ROW_LIMIT),
        rule: ruleRow.slice(0, PER_ROW_LIMIT),
        classifier: classifierRow ? classifierRow.slice(0, PER_ROW_LIMIT) : null,
        snippet: ds.pairs.slice(0, PER_ROW_LIMIT).map((p) => p.generated.slice(0, 200)),
        rouge1: (q?.perRow.rouge1 ?? []).slice(0, PER_ROW_LIMIT),
        rouge2: (q?.perRow.rouge2 ?? []).slice(0, PER_ROW_LIMIT),
        rougeL: (q?.perRow.rougeL ?? []).slice(0, PER_ROW_LIMIT),
        lm: lmRow ? lmRow.slice(0, PER_ROW_LIMIT) : null,
        bart: bartRow ? bartRow.slice(0, PER_ROW_LIMIT) : null,
        bertscore: bertRow ? bertRow.slice(0, PER_ROW_LIMIT) : null,
        classifierConfidence: confidence ? confidence.slice(0, PER_ROW_LIMIT) : null,
        classifierHeldOut: heldOutRow ? heldOutRow.slice(0, PER_ROW_LIMIT) : null
      }
    }
  }
  return { id: null, name: opts.name, source: loaded.source, createdAt: new Date().toISOString(), datasets, skipped: loaded.skipped, notes, labeller: opts.labeller }
}
