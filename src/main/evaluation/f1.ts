import type { ClassScores } from '../../shared/api/evaluation'

/**
 * Classification metrics with scikit-learn's exact definitions (sklearn.metrics, 1.x):
 *
 * - accuracy_score: share of positions where prediction equals gold.
 * - precision_recall_fscore_support with labels = sorted unique labels of y_true and y_pred
 *   (here: the dataset's canonical order restricted to labels that occur, then any extra labels
 *   such as "ood"). Per class: precision = tp / predicted, recall = tp / support,
 *   F1 = 2 tp / (support + predicted). A 0/0 is replaced by zero_division, whose default "warn"
 *   acts as 0 (sklearn warns and returns 0.0).
 * - average="micro": the same ratios over summed tp, predicted and support; for single-label
 *   multiclass data with every label counted, micro F1 equals accuracy.
 * - average="macro": unweighted mean of the per-class values over the labels above.
 * - average="weighted": mean weighted by support; 0 when the total support is 0 (zero_division).
 */
export type { ClassScores }

export interface ClassificationReport {
  n: number
  accuracy: number
  micro: { precision: number; recall: number; f1: number }
  macro: { precision: number; recall: number; f1: number }
  weighted: { precision: number; recall: number; f1: number }
  /** The labels the averages run over (sklearn's unique_labels(y_true, y_pred)), in order. */
  averagedOver: string[]
  perClass: ClassScores[]
}

/** sklearn's _prf_divide with zero_division = 0 (the "warn" default). */
export function divide(num: number, den: number, zeroDivision = 0): number {
  return den === 0 ? zeroDivision : num / den
}

/**
 * `order` gives the preferred order of known labels; labels that occur but are not in `order`
 * (e.g. "ood") follow in sorted order. Labels of `order` that occur in neither list are reported
 * per class with support 0 but are NOT averaged over, exactly as sklearn without `labels=`.
 */
export function classificationReport(gold: readonly string[], pred: readonly string[], order: readonly string[] = []): ClassificationReport {
  if (gold.length !== pred.length) throw new Error(`classificationReport: ${gold.length} gold labels but ${pred.length} predictions`)
  const n = gold.length
  const support = new Map<string, number>()
  const predicted = new Map<string, number>()
  const tp = new Map<string, number>()
  let correct = 0
  for (let i = 0; i < n; i++) {
    const g = gold[i]
    const p = pred[i]
    support.set(g, (support.get(g) ?? 0) + 1)
    predicted.set(p, (predicted.get(p) ?? 0) + 1)
    if (g === p) {
      correct++
      tp.set(g, (tp.get(g) ?? 0) + 1)
    }
  }
  const present = new Set([...support.keys(), ...predicted.keys()])
  const known = order.filter((l) => present.has(l))
  const extra = [...present].filter((l) => !order.includes(l)).sort()
  const averagedOver = [...known, ...extra]
  const reportLabels = [...order, ...extra]
  const scores = (label: string): ClassScores => {
    const t = tp.get(label) ?? 0
    const s = support.get(label) ?? 0
    const p = predicted.get(label) ?? 0
    return { label, precision: divide(t, p), recall: divide(t, s), f1: divide(2 * t, s + p), support: s, predicted: p }
  }
  const perClass = reportLabels.map(scores)
  const averaged = averagedOver.map(scores)
  const k = averaged.length
  const mean = (f: (c: ClassScores) => number) => divide(averaged.reduce((a, c) => a + f(c), 0), k)
  const totalSupport = averaged.reduce((a, c) => a + c.support, 0)
  const wmean = (f: (c: ClassScores) => number) => divide(averaged.reduce((a, c) => a + f(c) * c.support, 0), totalSupport)
  const tpSum = averaged.reduce((a, c) => a + (tp.get(c.label) ?? 0), 0)
  const predSum = averaged.reduce((a, c) => a + c.predicted, 0)
  return {
    n,
    accuracy: divide(correct, n),
    micro: { precision: divide(tpSum, predSum), recall: divide(tpSum, totalSupport), f1: divide(2 * tpSum, totalSupport + predSum) },
    macro: { precision: mean((c) => c.precision), recall: mean((c) => c.recall), f1: mean((c) => c.f1) },
    weighted: { precision: wmean((c) => c.precision), recall: wmean((c) => c.recall), f1: wmean((c) => c.f1) },
    averagedOver,
    perClass
  }
}
