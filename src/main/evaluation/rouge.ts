/**
 * ROUGE-1, ROUGE-2 and ROUGE-L F-measures as Google's rouge_score (rouge_scorer.RougeScorer with
 * use_stemmer=False) computes them for one (target = golden, prediction = generated) pair:
 *
 * - tokenizer: lower-case, every run of characters outside [a-z0-9] becomes a space, split on
 *   whitespace, keep tokens matching ^[a-z0-9]+$;
 * - ROUGE-N: overlap = sum over target n-grams of min(count in target, count in prediction);
 *   precision = overlap / max(#prediction n-grams, 1), recall = overlap / max(#target n-grams, 1);
 * - ROUGE-L: lcs = longest common subsequence of the token lists; precision = lcs / len(prediction),
 *   recall = lcs / len(target), all 0 when either side is empty;
 * - F = 2PR / (P + R), 0 when P + R = 0.
 * A corpus figure is the plain mean over pairs (not evaluate's bootstrap "mid").
 */
export interface RougeScore {
  precision: number
  recall: number
  fmeasure: number
}
export interface RougeResult {
  rouge1: RougeScore
  rouge2: RougeScore
  rougeL: RougeScore
}

export function rougeTokenize(text: string): string[] {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, ' ')
    .split(/\s+/)
    .filter((t) => /^[a-z0-9]+$/.test(t))
}

function fmeasure(precision: number, recall: number): number {
  return precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0
}

function ngrams(tokens: readonly string[], n: number): Map<string, number> {
  const out = new Map<string, number>()
  for (let i = 0; i + n <= tokens.length; i++) {
    const key = n === 1 ? tokens[i] : tokens.slice(i, i + n).join(' ')
    out.set(key, (out.get(key) ?? 0) + 1)
  }
  return out
}

export function rougeN(target: readonly string[], prediction: readonly string[], n: number): RougeScore {
  const t = ngrams(target, n)
  const p = ngrams(prediction, n)
  let overlap = 0
  for (const [g, c] of t) overlap += Math.min(c, p.get(g) ?? 0)
  const tCount = Math.max(target.length - n + 1, 0)
  const pCount = Math.max(prediction.length - n + 1, 0)
  const precision = overlap / Math.max(pCount, 1)
  const recall = overlap / Math.max(tCount, 1)
  return { precision, recall, fmeasure: fmeasure(precision, recall) }
}

/** Length of the longest common subsequence, O(n*m) time, O(m) memory. */
export function lcsLength(a: readonly string[], b: readonly string[]): number {
  if (a.length === 0 || b.length === 0) return 0
  let prev = new Uint32Array(b.length + 1)
  let cur = new Uint32Array(b.length + 1)
  for (let i = 1; i <= a.length; i++) {
    const ai = a[i - 1]
    for (let j = 1; j <= b.length; j++) {
      cur[j] = ai === b[j - 1] ? prev[j - 1] + 1 : prev[j] > cur[j - 1] ? prev[j] : cur[j - 1]
    }
    const t = prev
    prev = cur
    cur = t
  }
  return prev[b.length]
}

export function rougeL(target: readonly string[], prediction: readonly string[]): RougeScore {
  if (target.length === 0 || prediction.length === 0) return { precision: 0, recall: 0, fmeasure: 0 }
  const lcs = lcsLength(target, prediction)
  const precision = lcs / prediction.length
  const recall = lcs / target.length
  return { precision, recall, fmeasure: fmeasure(precision, recall) }
}

/** RougeScorer(['rouge1','rouge2','rougeL']).score(target, prediction). */
export function rougePair(target: string, prediction: string): RougeResult {
  const t = rougeTokenize(target)
  const p = rougeTokenize(prediction)
  return { rouge1: rougeN(t, p, 1), rouge2: rougeN(t, p, 2), rougeL: rougeL(t, p) }
}

/** Mean F-measures over pairs (null on an empty list). */
export function rougeCorpus(targets: readonly string[], predictions: readonly string[]): { rouge1: number; rouge2: number; rougeL: number; pairs: RougeResult[] } | null {
  if (targets.length !== predictions.length) throw new Error(`ROUGE: ${predictions.length} predictions but ${targets.length} references`)
  if (targets.length === 0) return null
  const pairs = targets.map((t, i) => rougePair(t, predictions[i]))
  const mean = (k: keyof RougeResult) => pairs.reduce((a, r) => a + r[k].fmeasure, 0) / pairs.length
  return { rouge1: mean('rouge1'), rouge2: mean('rouge2'), rougeL: mean('rougeL'), pairs }
}
