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
import { ClipTable } from './cliptable'

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
  // Replacing every non-[a-z0-9] run by a space, splitting and keeping ^[a-z0-9]+$ tokens leaves
  // exactly the maximal [a-z0-9] runs of the lower-cased text.
  return text.toLowerCase().match(/[a-z0-9]+/g) ?? []
}

function fmeasure(precision: number, recall: number): number {
  return precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0
}

/** Token ids local to one pair, so n-grams and LCS compare integers. */
function toIds(a: readonly string[], b: readonly string[]): [Int32Array, Int32Array, number] {
  const map = new Map<string, number>()
  const conv = (xs: readonly string[]) => {
    const out = new Int32Array(xs.length)
    for (let i = 0; i < xs.length; i++) {
      let id = map.get(xs[i])
      if (id === undefined) map.set(xs[i], (id = map.size + 1))
      out[i] = id
    }
    return out
  }
  const x = conv(a)
  const y = conv(b)
  return [x, y, map.size]
}

const table = new ClipTable()

function scoreNgrams(t: Int32Array, p: Int32Array, n: number, vocab: number): RougeScore {
  // Keys are exact while (vocab + 1)^n < 2^53; beyond that (only for n >= 3 with huge texts), joined ids.
  let overlap: number
  if (Math.pow(vocab + 1, n) < Number.MAX_SAFE_INTEGER) {
    overlap = table.clipped(t, p, n, vocab + 1)
  } else {
    const count = (ids: Int32Array) => {
      const m = new Map<string, number>()
      for (let i = 0; i + n <= ids.length; i++) {
        const k = Array.from(ids.subarray(i, i + n)).join(',')
        m.set(k, (m.get(k) ?? 0) + 1)
      }
      return m
    }
    const pg = count(p)
    overlap = 0
    for (const [g, c] of count(t)) overlap += Math.min(c, pg.get(g) ?? 0)
  }
  const precision = overlap / Math.max(p.length - n + 1, 1)
  const recall = overlap / Math.max(t.length - n + 1, 1)
  return { precision, recall, fmeasure: fmeasure(precision, recall) }
}

export function rougeN(target: readonly string[], prediction: readonly string[], n: number): RougeScore {
  const [t, p, vocab] = toIds(target, prediction)
  return scoreNgrams(t, p, n, vocab)
}

/**
 * LCS length by the bit-parallel method (Allison & Dix 1986; Hyyrö 2004): one bit per token of
 * b, V starts all ones, and for each token x of a, U = V & match(x), V = (V + U) | (V - U);
 * the LCS length is the number of zero bits of V. Exactly the dynamic-programming value, about
 * 32 times fewer steps; words of 32 bits with the carry carried by hand.
 */
function lcsIds(a: Int32Array, b: Int32Array): number {
  const m = b.length
  if (a.length === 0 || m === 0) return 0
  const W = (m + 31) >>> 5
  const masks = new Map<number, Uint32Array>()
  for (let j = 0; j < m; j++) {
    let mask = masks.get(b[j])
    if (!mask) masks.set(b[j], (mask = new Uint32Array(W)))
    mask[j >>> 5] |= 1 << (j & 31)
  }
  const V = new Uint32Array(W).fill(0xffffffff)
  for (let i = 0; i < a.length; i++) {
    const M = masks.get(a[i])
    if (!M) continue
    let carry = 0
    for (let k = 0; k < W; k++) {
      const v = V[k]
      const u = (v & M[k]) >>> 0
      const sum = v + u + carry
      carry = sum > 0xffffffff ? 1 : 0
      V[k] = ((sum >>> 0) | (v & ~M[k])) >>> 0
    }
  }
  let ones = 0
  for (let k = 0; k < W; k++) {
    let x = V[k]
    if (k === W - 1 && (m & 31) !== 0) x &= (1 << (m & 31)) - 1
    x -= (x >>> 1) & 0x55555555
    x = (x & 0x33333333) + ((x >>> 2) & 0x33333333)
    ones += (((x + (x >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24
  }
  return m - ones
}

/** Length of the longest common subsequence, O(n*m) time, O(m) memory. */
export function lcsLength(a: readonly string[], b: readonly string[]): number {
  const [x, y] = toIds(a, b)
  return lcsIds(x, y)
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
  const [t, p, vocab] = toIds(rougeTokenize(target), rougeTokenize(prediction))
  let rougeL: RougeScore = { precision: 0, recall: 0, fmeasure: 0 }
  if (t.length > 0 && p.length > 0) {
    const lcs = lcsIds(t, p)
    const precision = lcs / p.length
    const recall = lcs / t.length
    rougeL = { precision, recall, fmeasure: fmeasure(precision, recall) }
  }
  return { rouge1: scoreNgrams(t, p, 1, vocab), rouge2: scoreNgrams(t, p, 2, vocab), rougeL }
}

/** Mean F-measures over pairs (null on an empty list). */
export function rougeCorpus(targets: readonly string[], predictions: readonly string[]): { rouge1: number; rouge2: number; rougeL: number; pairs: RougeResult[] } | null {
  if (targets.length !== predictions.length) throw new Error(`ROUGE: ${predictions.length} predictions but ${targets.length} references`)
  if (targets.length === 0) return null
  const pairs = targets.map((t, i) => rougePair(t, predictions[i]))
  const mean = (k: keyof RougeResult) => pairs.reduce((a, r) => a + r[k].fmeasure, 0) / pairs.length
  return { rouge1: mean('rouge1'), rouge2: mean('rouge2'), rougeL: mean('rougeL'), pairs }
}
