import type { DatasetInfo } from '../../shared/imhi/datasets'
import type { CorrectnessMetrics, OodConvention } from '../../shared/api/evaluation'
import { classificationReport } from './f1'
import { confusionMatrix } from './confusion'

/** The extra class a prediction gets when no label could be found in the response. */
export const OOD = 'ood'

/**
 * The two ways of scoring a response whose label could not be found (OOD):
 * - "workbench": an extra class "ood", always wrong; it enters the macro average (F1 0) whenever it
 *   occurs and weighs nothing in the weighted average.
 * - "benchmark": the class IMHI.py's calculate_f1 gives it: its class 0 ("no" on the yes/no
 *   datasets, "none" on CAMS, t-sid and swmh), except on SAD, where it is class 8 ("other stress
 *   causes"). It is then right whenever that is the gold label, and the macro average runs over the
 *   real classes only.
 */
export type { OodConvention }
export const OOD_CONVENTIONS: Record<OodConvention, string> = {
  workbench: 'an unlabelled response is an extra class "ood", always wrong',
  benchmark: 'an unlabelled response counts as IMHI.py\'s class 0 ("no" / "none"; SAD: "other stress causes")'
}

/** The label IMHI.py's calculate_f1 gives a response that names nothing, in this app's label names. */
export function benchmarkOodLabel(info: DatasetInfo): string {
  if (info.name === 'SAD') return 'other stress causes'
  if (info.labels.includes('none')) return 'none'
  if (info.labels.includes('no')) return 'no'
  return info.labels[0]
}

/**
 * Correctness of one dataset's predictions against gold labels.
 *
 * Rows whose gold label cannot be recovered are left out of every metric and listed in
 * `unmatchedGoldRows` (the benchmark's script drops them from one list only and so misaligns the
 * two; here the pair is dropped together). Predictions with no label (null) become the extra
 * class "ood": always wrong, counted in `ood`, and, like the extra value the benchmark assigns,
 * one of sklearn's unique_labels: it enters the macro average (with precision/recall/F1 0)
 * whenever it occurs, and weighs nothing in the weighted average (its support is 0).
 */
export type { CorrectnessMetrics }

export function scoreCorrectness(info: DatasetInfo, gold: readonly (string | null)[], predicted: readonly (string | null)[], ood: OodConvention = 'workbench'): CorrectnessMetrics {
  if (gold.length !== predicted.length) {
    throw new Error(`${info.name}: ${gold.length} gold labels but ${predicted.length} predictions; the two lists must align row by row`)
  }
  const g: string[] = []
  const p: string[] = []
  const unmatchedGoldRows: number[] = []
  let unmatched = 0
  let oodCount = 0
  const fallback = ood === 'benchmark' ? benchmarkOodLabel(info) : OOD
  for (let i = 0; i < gold.length; i++) {
    const gl = gold[i]
    if (gl === null || !info.labels.includes(gl)) {
      unmatched++
      if (unmatchedGoldRows.length < 1000) unmatchedGoldRows.push(i + 1)
      continue
    }
    g.push(gl)
    const pl = predicted[i]
    if (pl !== null && info.labels.includes(pl)) {
      p.push(pl)
    } else {
      oodCount++
      p.push(fallback)
    }
  }
  const report = classificationReport(g, p, info.labels)
  const labels = ood === 'benchmark' ? [...info.labels] : [...info.labels, OOD]
  const count = (xs: string[]) => Object.fromEntries(labels.map((l) => [l, xs.filter((x) => x === l).length]))
  return {
    dataset: info.name,
    n: g.length,
    accuracy: report.accuracy,
    weighted_f1: report.weighted.f1,
    micro_f1: report.micro.f1,
    macro_f1: report.macro.f1,
    weighted_precision: report.weighted.precision,
    weighted_recall: report.weighted.recall,
    macro_precision: report.macro.precision,
    macro_recall: report.macro.recall,
    ood: oodCount,
    ood_convention: ood,
    unmatched_gold: unmatched,
    unmatchedGoldRows,
    perClass: report.perClass,
    confusion: confusionMatrix(g, p, labels),
    goldDistribution: count(g),
    predictedDistribution: count(p)
  }
}
