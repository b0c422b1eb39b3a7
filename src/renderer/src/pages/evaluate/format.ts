import type { CorrectnessMetrics, DatasetReport, OodConvention, RuleMode } from '../../../../shared/api/evaluation'

export const pct = (x: number | null | undefined): string => (x === null || x === undefined || !Number.isFinite(x) ? '—' : (100 * x).toFixed(2))
export const num = (x: number | null | undefined, digits = 4): string => (x === null || x === undefined || !Number.isFinite(x) ? '—' : x.toFixed(digits))

export interface MetricColumn {
  key: string
  label: string
  /** A fraction shown as percent, a number already in percent (IMHI.py's, shown as it prints it), a count, or a raw value. */
  kind: 'fraction' | 'percent' | 'count' | 'value'
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

/** Python's str(float) of a number IMHI.py printed ("41.0", "68.57"). */
export const pyFloat = (x: number): string => (Number.isInteger(x) ? x.toFixed(1) : String(x))

export function show(col: MetricColumn, v: number | null): string {
  if (v === null) return '—'
  return col.kind === 'fraction' ? pct(v) : col.kind === 'percent' ? pyFloat(v) : col.kind === 'count' ? String(v) : num(v)
}

/** Which numbers the metrics view shows: whose label rules, and how a response with no label is scored. */
export interface MetricsView {
  rules: RuleMode
  ood: OodConvention
}

export const OOD_LABELS: Record<OodConvention, string> = {
  workbench: 'extra wrong class (workbench)',
  benchmark: 'class 0, as IMHI.py (benchmark)'
}

/** The workbench rules' metrics under an OOD convention (undefined: a report stored before the benchmark convention existed). */
export function ruleMetrics(d: DatasetReport, ood: OodConvention): CorrectnessMetrics | null | undefined {
  return ood === 'benchmark' ? d.ruleBenchmarkOod : d.rule
}
export function classifierMetrics(d: DatasetReport, ood: OodConvention): CorrectnessMetrics | null | undefined {
  return ood === 'benchmark' ? d.classifierBenchmarkOod : d.classifier
}

/** The metric columns of a view: the correctness columns follow the rules and the OOD convention chosen. */
export function metricColumns(view: MetricsView): MetricColumn[] {
  const oodWords = view.ood === 'benchmark' ? 'OOD counted as class 0 (benchmark)' : 'OOD an extra wrong class (workbench)'
  const clf: MetricColumn[] = [
    { key: 'clf_accuracy', label: 'Clf acc', kind: 'fraction', get: (d) => classifierMetrics(d, view.ood)?.accuracy ?? null, help: `accuracy of the learned classifier’s labels; ${oodWords}` },
    { key: 'clf_weighted_f1', label: 'Clf wF1', kind: 'fraction', get: (d) => classifierMetrics(d, view.ood)?.weighted_f1 ?? null, help: `weighted F1 of the classifier’s labels; ${oodWords}` }
  ]
  const quality = METRIC_COLUMNS.filter((c) => ['bleu', 'rouge1', 'rouge2', 'rougeL', 'lm', 'bart', 'bertscore_f1'].includes(c.key))
  if (view.rules === 'imhi-py') {
    const py = (get: (r: NonNullable<DatasetReport['imhiPy']>) => number | null) => (d: DatasetReport) => (d.imhiPy ? get(d.imhiPy) : null)
    return [
      { key: 'n', label: 'n', kind: 'count', get: py((r) => (r.error ? null : r.golden_labels)), help: 'rows IMHI.py scored (gold labels it found)' },
      { key: 'accuracy', label: 'Acc', kind: 'percent', get: py((r) => r.accuracy), help: 'IMHI.py accuracy, rounded as it rounds' },
      { key: 'weighted_f1', label: 'wF1', kind: 'percent', get: py((r) => r.weighted_f1), help: 'IMHI.py weighted F1' },
      { key: 'micro_f1', label: 'miF1', kind: 'percent', get: py((r) => r.micro_f1), help: 'IMHI.py micro F1' },
      { key: 'macro_f1', label: 'maF1', kind: 'percent', get: py((r) => r.macro_f1), help: 'IMHI.py macro F1' },
      { key: 'ood', label: 'OOD', kind: 'count', get: py((r) => r.ood_count), help: 'IMHI.py’s OOD count: responses naming no label (scored as its class 0; SAD 8)' },
      ...clf,
      ...quality
    ]
  }
  return [
    { key: 'n', label: 'n', kind: 'count', get: (d) => ruleMetrics(d, view.ood)?.n ?? d.rows, help: 'rows scored (gold label found)' },
    { key: 'accuracy', label: 'Acc', kind: 'fraction', get: (d) => ruleMetrics(d, view.ood)?.accuracy ?? null, help: `rule-based accuracy; ${oodWords}` },
    { key: 'weighted_f1', label: 'wF1', kind: 'fraction', get: (d) => ruleMetrics(d, view.ood)?.weighted_f1 ?? null, help: `rule-based weighted F1; ${oodWords}` },
    { key: 'micro_f1', label: 'miF1', kind: 'fraction', get: (d) => ruleMetrics(d, view.ood)?.micro_f1 ?? null, help: `rule-based micro F1; ${oodWords}` },
    { key: 'macro_f1', label: 'maF1', kind: 'fraction', get: (d) => ruleMetrics(d, view.ood)?.macro_f1 ?? null, help: `rule-based macro F1; ${oodWords}` },
    { key: 'ood', label: 'OOD', kind: 'count', get: (d) => ruleMetrics(d, view.ood)?.ood ?? null, help: 'responses with no label found' },
    { key: 'unmatched_gold', label: 'no gold', kind: 'count', get: (d) => ruleMetrics(d, view.ood)?.unmatched_gold ?? null, help: 'rows left out: no gold label' },
    ...clf,
    ...quality
  ]
}
