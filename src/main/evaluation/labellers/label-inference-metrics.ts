/**
 * The numbers `label_inference.py --calculate` prints (MentalLLaMA, src/label_inference.py,
 * calculate_f1), computed the way it computes them:
 * - the gold label is read from the golden's text before "Reasoning:" by substring tests in the
 *   script's order (yes/no datasets: "yes" before "no", so "I do not know" counts as no);
 * - each MentalBERT label is mapped to an index by its own substring tests (swmh and t-sid use a
 *   different order than the classifier's outputs; both lists go through the same map);
 * - a golden matching no label: swmh drops the row (and its prediction); every other dataset
 *   drops only the gold, so the two lists differ in length and sklearn raises, as the script does;
 * - accuracy, weighted/micro/macro F1 from sklearn (labels: those present in either list;
 *   0 for a 0/0 precision, recall or F1), each as round(100 * x, 2), printed as Python prints floats.
 * Pure functions; test/evaluation/mentalbert.test.ts pins them to the released code run in Python.
 */

export type ScriptMetrics =
  | { ok: true; accuracy: number; weighted_f1: number; micro_f1: number; macro_f1: number; n: number; printed: string }
  | { ok: false; error: string; printed: null }

type Rule = [needle: string, index: number]

/** calculate_f1's substring tests, in its order: [prediction rules, gold rules]. */
const RULES: Record<string, [Rule[], Rule[]]> = {
  swmh: [
    [['no mental', 0], ['suicide', 1], ['depression', 2], ['anxiety', 3], ['bipolar', 4]],
    [['no mental', 0], ['suicide', 1], ['depression', 2], ['anxiety', 3], ['bipolar', 4]]
  ],
  't-sid': [
    [['depression', 2], ['suicide', 1], ['ptsd', 3], ['control', 0]],
    [['depression', 2], ['suicide or self-harm', 1], ['ptsd', 3], ['no mental', 0]]
  ],
  yesno: [
    [['yes', 1], ['no', 0]],
    [['yes', 1], ['no', 0]]
  ],
  SAD: [
    [['school', 0], ['financial', 1], ['family', 2], ['social', 3], ['work', 4], ['health', 5], ['emotional', 6], ['everyday', 7], ['other', 8]],
    [['school', 0], ['financial problem', 1], ['family issues', 2], ['social relationships', 3], ['work', 4], ['health issues', 5], ['emotion turmoil', 6], ['everyday decision making', 7], ['other', 8]]
  ],
  CAMS: [
    [['none', 0], ['bias', 1], ['job', 2], ['medication', 3], ['relation', 4], ['alienation', 5]],
    [['no causes', 0], ['bias or abuse', 1], ['jobs and career', 2], ['medication', 3], ['relationship', 4], ['alienation', 5]]
  ]
}

function rulesOf(dataset: string): [Rule[], Rule[]] | null {
  if (dataset.includes('swmh')) return RULES.swmh
  if (dataset === 't-sid') return RULES['t-sid']
  if (['CLP', 'DR', 'dreaddit', 'loneliness', 'Irf', 'MultiWD'].includes(dataset)) return RULES.yesno
  return RULES[dataset] ?? null
}

function match(rules: Rule[], text: string): number | null {
  const t = text.toLowerCase()
  for (const [needle, index] of rules) if (t.includes(needle)) return index
  return null
}

/** numpy's pairwise summation (add.reduce on a float64 array), for sums that round as numpy's do. */
export function numpySum(a: readonly number[]): number {
  const pairwise = (lo: number, n: number): number => {
    if (n < 8) {
      let s = 0
      for (let i = 0; i < n; i++) s += a[lo + i]
      return s
    }
    if (n <= 128) {
      const r = [a[lo], a[lo + 1], a[lo + 2], a[lo + 3], a[lo + 4], a[lo + 5], a[lo + 6], a[lo + 7]]
      let i = 8
      for (; i < n - (n % 8); i += 8) for (let k = 0; k < 8; k++) r[k] += a[lo + i + k]
      let s = r[0] + r[1] + (r[2] + r[3]) + (r[4] + r[5] + (r[6] + r[7]))
      for (; i < n; i++) s += a[lo + i]
      return s
    }
    let n2 = Math.floor(n / 2)
    n2 -= n2 % 8
    return pairwise(lo, n2) + pairwise(lo + n2, n - n2)
  }
  return pairwise(0, a.length)
}

/** Python's round(x, 2): the nearest, ties (exact binary halves: x * 8 odd) to the even last digit. */
export function pyRound2(x: number): number {
  if (!Number.isFinite(x)) return x
  const eighths = x * 8
  if (Number.isInteger(eighths) && Math.abs(eighths % 2) === 1 && !Number.isInteger(x * 100)) {
    const k = x * 100 // exact: a multiple of 1/2
    const lo = Math.floor(k)
    return (lo % 2 === 0 ? lo : lo + 1) / 100
  }
  return Number(x.toFixed(2))
}

/** A float as Python's str() writes it: "50.0", "82.86", "nan". */
export function pyFloat(x: number): string {
  if (Number.isNaN(x)) return 'nan'
  if (x === Infinity) return 'inf'
  if (x === -Infinity) return '-inf'
  const s = String(x)
  return Number.isInteger(x) && !/e/.test(s) ? `${s}.0` : s
}

function f1Scores(gold: readonly number[], pred: readonly number[]) {
  const labels = [...new Set([...gold, ...pred])].sort((a, b) => a - b)
  const tp = labels.map(() => 0)
  const predicted = labels.map(() => 0)
  const support = labels.map(() => 0)
  const at = new Map(labels.map((l, i) => [l, i]))
  for (let i = 0; i < gold.length; i++) {
    support[at.get(gold[i])!]++
    predicted[at.get(pred[i])!]++
    if (gold[i] === pred[i]) tp[at.get(gold[i])!]++
  }
  const f = (t: number, p: number, s: number) => {
    const precision = p === 0 ? 0 : t / p
    const recall = s === 0 ? 0 : t / s
    return precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall)
  }
  const perClass = labels.map((_, i) => f(tp[i], predicted[i], support[i]))
  const weightSum = numpySum(support)
  const weighted = weightSum === 0 ? 0 : numpySum(perClass.map((x, i) => x * support[i])) / weightSum
  const macro = labels.length === 0 ? NaN : numpySum(perClass) / labels.length
  const tpSum = numpySum(tp)
  const micro = f(tpSum, numpySum(predicted), numpySum(support))
  return { weighted, macro, micro }
}

/** calculate_f1(goldens, final_labels, dataset_name) of label_inference.py. */
export function labelInferenceMetrics(dataset: string, goldens: readonly string[], labels: readonly string[]): ScriptMetrics {
  const rules = rulesOf(dataset)
  if (!rules) return { ok: false, error: `Exception: the script's calculate_f1 knows no dataset ${dataset}`, printed: null }
  const [predRules, goldRules] = rules
  const gold: number[] = []
  let out: number[] = []
  for (let i = 0; i < Math.min(goldens.length, labels.length); i++) {
    const ref = goldens[i].split('Reasoning:')[0]
    const p = match(predRules, labels[i].trim())
    if (p === null) return { ok: false, error: `Exception: Wrong label in predictions for ${dataset}`, printed: null }
    out.push(p)
    const g = match(goldRules, ref)
    if (g !== null) gold.push(g)
    else if (rules === RULES.swmh) out = out.slice(0, -1)
  }
  if (gold.length !== out.length) {
    return { ok: false, error: `ValueError: Found input variables with inconsistent numbers of samples: [${gold.length}, ${out.length}]`, printed: null }
  }
  const accuracy = gold.length === 0 ? NaN : numpySum(gold.map((g, i) => (g === out[i] ? 1 : 0))) / gold.length
  const f = f1Scores(gold, out)
  const r = { accuracy: pyRound2(accuracy * 100), weighted_f1: pyRound2(f.weighted * 100), micro_f1: pyRound2(f.micro * 100), macro_f1: pyRound2(f.macro * 100) }
  const printed = `Dataset: ${dataset}, average acc:${pyFloat(r.accuracy)}, weighted F1 ${pyFloat(r.weighted_f1)}, micro F1 ${pyFloat(r.micro_f1)}, macro F1 ${pyFloat(r.macro_f1)}`
  return { ok: true, ...r, n: gold.length, printed }
}
