/**
 * IMHI.py's `calculate_f1` (MentalLLaMA, src/IMHI.py, `--rule_calculate`) as released, quirks
 * included, so that its numbers can be reproduced:
 *
 * - Both the golden and the generated text are cut at the first "Reasoning:" (case-sensitive) and
 *   lower-cased; a label is the first of a fixed list of substrings found anywhere in that part,
 *   in the script's order ("no" matches "know" and "not", "yes" matches "eyes", SAD's "work"
 *   matches "homework").
 * - A response naming nothing gets class 0 (SAD: 8, "other"), and is counted as OOD.
 * - A golden naming nothing appends no gold label, while the response's label stays: the two lists
 *   differ in length and scikit-learn refuses them (ValueError), except on swmh, where the
 *   response's label is dropped too (the OOD count keeps it).
 * - accuracy_score and f1_score (average weighted, micro, macro; labels = unique labels of both
 *   lists; 0/0 = 0), each times 100 and rounded by Python's round(x, 2).
 *
 * Responses are strings (IMHI.py passes the texts it generated, never NaN); an empty response names
 * nothing. Class numbers are the script's own (see IMHI_PY_CLASSES).
 */
import { divide } from './f1'
import type { ImhiPyResult } from '../../shared/api/evaluation'

export type { ImhiPyResult }

export type ImhiPyDataset = 'swmh' | 't-sid' | 'CLP' | 'DR' | 'dreaddit' | 'loneliness' | 'Irf' | 'MultiWD' | 'SAD' | 'CAMS'

/** The script's class numbers, in words (index = class number). */
export const IMHI_PY_CLASSES: Record<ImhiPyDataset, string[]> = {
  swmh: ['no mental', 'suicide', 'depression', 'anxiety', 'bipolar'],
  't-sid': ['no mental disorders', 'suicide or self-harm', 'depression', 'ptsd'],
  CLP: ['no', 'yes'],
  DR: ['no', 'yes'],
  dreaddit: ['no', 'yes'],
  loneliness: ['no', 'yes'],
  Irf: ['no', 'yes'],
  MultiWD: ['no', 'yes'],
  SAD: ['school', 'financial', 'family', 'social', 'work', 'health', 'emotional', 'decision', 'other'],
  CAMS: ['none', 'bias', 'jobs', 'medication', 'relationship', 'alienation']
}

export function isImhiPyDataset(name: string): name is ImhiPyDataset {
  return Object.prototype.hasOwnProperty.call(IMHI_PY_CLASSES, name)
}

/** A list of (substring, class) tried in order; the first found wins. */
type Rule = readonly (readonly [string, number])[]

interface DatasetRules {
  output: Rule
  /** Class of a response that names nothing. */
  unmatchedOutput: number
  golden: Rule
  /** What happens to the response's label when the golden names nothing. */
  unmatchedGolden: 'keep' | 'drop'
}

const BINARY_RULES: DatasetRules = {
  output: [['yes', 1], ['no', 0]],
  unmatchedOutput: 0,
  golden: [['yes', 1], ['no', 0]],
  unmatchedGolden: 'keep'
}

const RULES: Record<ImhiPyDataset, DatasetRules> = {
  swmh: {
    output: [['no mental', 0], ['suicide', 1], ['depression', 2], ['anxiety', 3], ['bipolar', 4]],
    unmatchedOutput: 0,
    golden: [['no mental', 0], ['suicide', 1], ['depression', 2], ['anxiety', 3], ['bipolar', 4]],
    unmatchedGolden: 'drop'
  },
  't-sid': {
    output: [['depression', 2], ['suicide', 1], ['ptsd', 3], ['no mental', 0]],
    unmatchedOutput: 0,
    golden: [['depression', 2], ['suicide or self-harm', 1], ['ptsd', 3], ['no mental disorders', 0]],
    unmatchedGolden: 'keep'
  },
  CLP: BINARY_RULES,
  DR: BINARY_RULES,
  dreaddit: BINARY_RULES,
  loneliness: BINARY_RULES,
  Irf: BINARY_RULES,
  MultiWD: BINARY_RULES,
  SAD: {
    output: [['school', 0], ['financial', 1], ['family', 2], ['social', 3], ['work', 4], ['health', 5], ['emotional', 6], ['decision', 7], ['other', 8]],
    unmatchedOutput: 8,
    golden: [
      ['school', 0],
      ['financial problem', 1],
      ['family issues', 2],
      ['social relationships', 3],
      ['work', 4],
      ['health issues', 5],
      ['emotional turmoil', 6],
      ['everyday decision making', 7],
      ['other causes', 8]
    ],
    unmatchedGolden: 'keep'
  },
  CAMS: {
    output: [['none', 0], ['bias', 1], ['jobs', 2], ['medication', 3], ['relationship', 4], ['alienation', 5]],
    unmatchedOutput: 0,
    golden: [['none', 0], ['bias or abuse', 1], ['jobs and career', 2], ['medication', 3], ['relationship', 4], ['alienation', 5]],
    unmatchedGolden: 'keep'
  }
}
function firstMatch(rule: Rule, text: string): number | null {
  for (const [phrase, cls] of rule) if (text.includes(phrase)) return cls
  return null
}

/** Python's str.split(sep)[0] then .lower() (full Unicode lower-casing, as JS's toLowerCase). */
function labelPart(text: string): string {
  return text.split('Reasoning:')[0].toLowerCase()
}

export interface ImhiPyLabels {
  golden: number[]
  output: number[]
  /** The script's `count`: responses that named nothing (swmh: also those whose golden named nothing). */
  oodCount: number
  /** 1-based rows whose golden named nothing. */
  unmatchedGoldenRows: number[]
}

/** The two label lists exactly as calculate_f1 builds them (zip: the shorter list decides the rows). */
export function imhiPyLabels(dataset: ImhiPyDataset, goldens: readonly string[], outputs: readonly string[]): ImhiPyLabels {
  const rules = RULES[dataset]
  let output: number[] = []
  const golden: number[] = []
  let oodCount = 0
  const unmatchedGoldenRows: number[] = []
  const n = Math.min(goldens.length, outputs.length)
  for (let i = 0; i < n; i++) {
    const out = firstMatch(rules.output, labelPart(outputs[i]))
    if (out === null) {
      oodCount++
      output.push(rules.unmatchedOutput)
    } else {
      output.push(out)
    }
    const gold = firstMatch(rules.golden, labelPart(goldens[i]))
    if (gold === null) {
      unmatchedGoldenRows.push(i + 1)
      if (rules.unmatchedGolden === 'drop') output = output.slice(0, -1)
    } else {
      golden.push(gold)
    }
  }
  return { golden, output, oodCount, unmatchedGoldenRows }
}

/** Python's round(x, 2): the nearest of the two-decimal values, exact halves (x*8 odd) to the even one. */
export function pyRound2(x: number): number {
  if (!Number.isFinite(x)) return x
  const eighths = x * 8
  if (Number.isInteger(eighths) && !Number.isInteger(x * 4)) {
    // x = k + j/8 with j odd, exactly: a true tie at the second decimal.
    const lo = Math.floor(x * 100)
    const n = lo % 2 === 0 ? lo : lo + 1
    return n / 100
  }
  return Number(x.toFixed(2))
}

/** Python's str(float) for the values the script prints ("82.86", "100.0", "nan"). */
export function pyFloat(x: number): string {
  if (Number.isNaN(x)) return 'nan'
  if (Number.isInteger(x) && Math.abs(x) < 1e16) return x.toFixed(1)
  return String(x)
}

/**
 * sklearn 1.x accuracy, and f1_score for average weighted, micro and macro, over
 * unique_labels(y_true, y_pred). On empty lists sklearn gives accuracy nan, weighted and micro 0
 * (zero_division) and macro nan (the mean of no classes); so does this.
 */
export function sklearnScores(y: readonly number[], p: readonly number[]): { accuracy: number; weighted: number; micro: number; macro: number } {
  if (y.length === 0) return { accuracy: Number.NaN, weighted: 0, micro: 0, macro: Number.NaN }
  const labels = [...new Set([...y, ...p])].sort((a, b) => a - b)
  let correct = 0
  const tp = new Map<number, number>()
  const support = new Map<number, number>()
  const predicted = new Map<number, number>()
  for (let i = 0; i < y.length; i++) {
    support.set(y[i], (support.get(y[i]) ?? 0) + 1)
    predicted.set(p[i], (predicted.get(p[i]) ?? 0) + 1)
    if (y[i] === p[i]) {
      correct++
      tp.set(y[i], (tp.get(y[i]) ?? 0) + 1)
    }
  }
  // sklearn's precision_recall_fscore_support (1.2): F = 2PR / (P + R), 0 where P + R = 0.
  const f = (t: number, pr: number, s: number) => {
    const precision = divide(t, pr)
    const recall = divide(t, s)
    return precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall)
  }
  const perClass = labels.map((l) => f(tp.get(l) ?? 0, predicted.get(l) ?? 0, support.get(l) ?? 0))
  const totalSupport = y.length
  const tpSum = labels.reduce((a, l) => a + (tp.get(l) ?? 0), 0)
  return {
    accuracy: correct / y.length,
    macro: perClass.reduce((a, x) => a + x, 0) / perClass.length,
    weighted: totalSupport === 0 ? 0 : labels.reduce((a, l, i) => a + perClass[i] * (support.get(l) ?? 0), 0) / totalSupport,
    micro: f(tpSum, p.length, totalSupport)
  }
}

/** calculate_f1 on one dataset: its numbers, or the error the script stops with. */
export function imhiPyCalculate(dataset: string, goldens: readonly string[], outputs: readonly string[]): ImhiPyResult {
  if (!isImhiPyDataset(dataset)) {
    // calculate_f1 has no rules for other names: both lists stay empty and sklearn returns nan.
    return { dataset, accuracy: null, weighted_f1: null, micro_f1: null, macro_f1: null, ood_count: 0, golden_labels: 0, output_labels: 0, unmatched_golden_rows: [], error: `IMHI.py has no label rules for a dataset named "${dataset}"`, line: null }
  }
  const l = imhiPyLabels(dataset, goldens, outputs)
  const base = { dataset, ood_count: l.oodCount, golden_labels: l.golden.length, output_labels: l.output.length, unmatched_golden_rows: l.unmatchedGoldenRows.slice(0, 1000) }
  if (l.golden.length !== l.output.length) {
    const rows = l.unmatchedGoldenRows
    const where = rows.length > 0 ? `; the golden of row${rows.length > 1 ? 's' : ''} ${rows.slice(0, 10).join(', ')}${rows.length > 10 ? ', ...' : ''} names no label, so IMHI.py appends no gold label there but keeps the response's` : ''
    return {
      ...base,
      accuracy: null,
      weighted_f1: null,
      micro_f1: null,
      macro_f1: null,
      error: `scikit-learn raises ValueError: Found input variables with inconsistent numbers of samples: [${l.golden.length}, ${l.output.length}]${where}`,
      line: null
    }
  }
  const s = sklearnScores(l.golden, l.output)
  const r = (x: number) => pyRound2(x * 100)
  const acc = r(s.accuracy)
  const wf1 = r(s.weighted)
  const mif1 = r(s.micro)
  const maf1 = r(s.macro)
  const num = (x: number) => (Number.isNaN(x) ? null : x)
  return {
    ...base,
    accuracy: num(acc),
    weighted_f1: num(wf1),
    micro_f1: num(mif1),
    macro_f1: num(maf1),
    error: null,
    line: `Dataset: ${dataset}, average acc:${pyFloat(acc)}, weighted F1 ${pyFloat(wf1)}, micro F1 ${pyFloat(mif1)}, macro F1 ${pyFloat(maf1)}, OOD count: ${l.oodCount}`
  }
}
