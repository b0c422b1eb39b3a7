import type { DatasetReport } from '../../../../shared/api/evaluation'

export const pct = (x: number | null | undefined): string => (x === null || x === undefined || !Number.isFinite(x) ? '—' : (100 * x).toFixed(2))
export const num = (x: number | null | undefined, digits = 4): string => (x === null || x === undefined || !Number.isFinite(x) ? '—' : x.toFixed(digits))

export interface MetricColumn {
  key: string
  label: string
  /** A fraction shown as percent, a count, or a raw value. */
  kind: 'fraction' | 'count' | 'value'
  get: (d: DatasetReport) => number | null
  help: string
}

export const METRIC_COLUMNS: MetricColumn[] = [
  { key: 'n', label: 'n', kind: 'count', get: (d) => d.rule?.n ?? d.rows, help: 'rows scored (gold label found)' },
  { key: 'accuracy', label: 'Acc', kind: 'fraction', get: (d) => d.rule?.accuracy ?? null, help: 'rule-based accuracy' },
  { key: 'weighted_f1', label: 'wF1', kind: 'fraction', get: (d) => d.rule?.weighted_f1 ?? null, help: 'rule-based weighted F1' },
  { key: 'micro_f1', label: 'miF1', kind: 'fraction', get: (d) => d.rule?.micro_f1 ?? null, help: 'rule-based micro F1' },
  { key: 'macro_f1', label: 'maF1', kind: 'fraction', get: (d) => d.rule?.macro_f1 ?? null, help: 'rule-based macro F1' },
  { key: 'ood', label: 'OOD', kind: 'count', get: (d) => d.rule?.ood ?? null, help: 'responses with no label found' },
  { key: 'unmatched_gold', label: 'no gold', kind: 'count', get: (d) => d.rule?.unmatched_gold ?? null, help: 'rows left out: no gold label' },
  { key: 'clf_accuracy', label: 'Clf acc', kind: 'fraction', get: (d) => d.classifier?.accuracy ?? null, help: 'accuracy of the learned classifier’s labels' },
  { key: 'clf_weighted_f1', label: 'Clf wF1', kind: 'fraction', get: (d) => d.classifier?.weighted_f1 ?? null, help: 'weighted F1 of the classifier’s labels' },
  { key: 'bleu', label: 'BLEU', kind: 'fraction', get: (d) => d.quality?.bleu?.bleu ?? null, help: 'corpus BLEU (HF evaluate)' },
  { key: 'rouge1', label: 'R-1', kind: 'fraction', get: (d) => d.quality?.rouge1 ?? null, help: 'ROUGE-1 F (mean)' },
  { key: 'rouge2', label: 'R-2', kind: 'fraction', get: (d) => d.quality?.rouge2 ?? null, help: 'ROUGE-2 F (mean)' },
  { key: 'rougeL', label: 'R-L', kind: 'fraction', get: (d) => d.quality?.rougeL ?? null, help: 'ROUGE-L F (mean)' },
  { key: 'lm', label: 'LM', kind: 'value', get: (d) => d.quality?.lm?.mean ?? null, help: 'mean log-prob per token of the golden given the generated' },
  { key: 'bart', label: 'BART', kind: 'value', get: (d) => d.quality?.bart?.mean ?? null, help: 'BART-score (score.py): mean over pairs of the mean log-likelihood per token of the golden given the generated' },
  { key: 'bertscore_f1', label: 'BERTS F1', kind: 'fraction', get: (d) => d.quality?.bertscore?.f1 ?? null, help: 'BERTScore F1 (evaluate bertscore, no idf, no rescaling), mean over pairs' }
]

export function show(col: MetricColumn, v: number | null): string {
  if (v === null) return '—'
  return col.kind === 'fraction' ? pct(v) : col.kind === 'count' ? String(v) : num(v)
}
