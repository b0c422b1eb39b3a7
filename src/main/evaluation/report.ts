import type { DatasetReport, EvaluationReport, LabellerInfo, MentalBertLabelling, QualityScores } from '../../shared/api/evaluation'
import { goldLabel } from '../imhi/labels'
import { scoreCorrectness } from './correctness'
import { extractLabel } from './extract'
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
export function ruleCorrectness(ds: OutputDataset) {
  const gold = ds.pairs.map((p) => goldOf(ds, p))
  const predicted = ds.pairs.map((p) => extractLabel(ds.info, p.generated).label)
  return scoreCorrectness(ds.info, gold, predicted)
}

export interface RowLabel {
  row: number
  itemId?: number
  label: string | null
  /** Classifier probability of the label; null for empty responses. */
  confidence: number | null
  gold: string | null
  empty: boolean
}

export function classifierLabels(ds: OutputDataset, classifier: LabelClassifier): RowLabel[] {
  return ds.pairs.map((p) => {
    const empty = p.generated.trim().length === 0
    const r = empty ? null : classifier.label(p.generated, p.question)
    return { row: p.row, itemId: p.itemId, label: r?.label ?? null, confidence: r?.probability ?? null, gold: p.golden === null && p.goldLabel === undefined ? null : goldOf(ds, p), empty }
  })
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
export async function lmScores(ds: OutputDataset, scorer: LmScorer, onProgress?: (done: number, total: number) => void): Promise<{ mean: number | null; n: number; truncated: number; perRow: (number | null)[] }> {
  const perRow: (number | null)[] = []
  let sum = 0
  let n = 0
  let truncated = 0
  const total = ds.pairs.filter((p) => p.golden !== null && p.golden.trim() !== '').length
  let done = 0
  for (const p of ds.pairs) {
    if (p.golden === null || p.golden.trim() === '') {
      perRow.push(null)
      continue
    }
    const s = await scorer.score(p.generated, p.golden)
    perRow.push(s?.meanLogProb ?? null)
    if (s) {
      sum += s.meanLogProb
      n++
      if (s.truncated) truncated++
    }
    onProgress?.(++done, total)
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
  lm?: LmScorer
  /** BART-score and BERTScore through ONNX Runtime (score.py's scorers). */
  bart?: BartScorer
  bertscore?: BertScorer
  /** Aborts between scoring batches (AppError 'cancelled'). */
  signal?: AbortSignal
  onProgress?: (stage: string, dataset: string | null, done: number, total: number) => void
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
    if (!goldens) notes.push(`${ds.info.name}: no golden responses, so no correctness or quality scores`)
    if (rule && rule.unmatched_gold > 0) notes.push(`${ds.info.name}: ${rule.unmatched_gold} row(s) have no recoverable gold label and are left out of the correctness metrics`)
    const labels = opts.labels.get(ds.info.name)
    let classifierMetrics = null
    let confidence: (number | null)[] | null = null
    let classifierRow: (string | null)[] | null = null
    if (labels) {
      confidence = labels.map((l) => l.confidence)
      classifierRow = labels.map((l) => l.label)
      if (goldens) {
        classifierMetrics = scoreCorrectness(
          ds.info,
          ds.pairs.map((p) => goldOf(ds, p)),
          labels.map((l) => l.label)
        )
      }
    } else if (opts.labeller.kind === 'tfidf') {
      notes.push(`${ds.info.name}: no label classifier trained yet (imhi classifiers train)`)
    } else {
      notes.push(`${ds.info.name}: no MentalBERT classifier folder for it under ${opts.labeller.modelPath}`)
    }
    const q = goldens ? qualityScores(ds) : null
    let lmRow: (number | null)[] | null = null
    if (q && opts.lm) {
      const lm = await lmScores(ds, opts.lm, (d, t) => opts.onProgress?.('lm', ds.info.name, d, t))
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
        classifierConfidence: confidence ? confidence.slice(0, PER_ROW_LIMIT) : null
      }
    }
  }
  return { id: null, name: opts.name, source: loaded.source, createdAt: new Date().toISOString(), datasets, skipped: loaded.skipped, notes, labeller: opts.labeller }
}
