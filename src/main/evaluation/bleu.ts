import type { BleuResult } from '../../shared/api/evaluation'
import { tokenize13a } from './tokenize13a'
import { ClipTable, keyAt } from './cliptable'

/**
 * Corpus BLEU exactly as Hugging Face evaluate's `bleu` metric computes it: its default
 * tokenizer_13a, then nmt_bleu.compute_bleu(max_order=4, smooth=False):
 *
 * - clipped n-gram matches and possible n-grams (len(translation) - n + 1 when > 0) summed over
 *   the corpus for n = 1..4; precision_n = matches_n / possible_n (0 when possible_n = 0);
 * - geo_mean = exp(sum(log(p_n)) / 4) when every p_n > 0, else 0 (no smoothing);
 * - ratio = translation_length / reference_length (the shortest reference per pair);
 *   brevity penalty = 1 when ratio > 1, else exp(1 - 1/ratio);
 * - bleu = geo_mean * brevity penalty.
 * evaluate raises ZeroDivisionError on an empty corpus side; here `bleu` is null with a reason.
 */
export type { BleuResult }

/**
 * N-gram keys of one pair as exact integers: tokens get ids 1..V local to the pair, and an
 * n-gram (t1..tn) is the number t1 + t2*B + ... + tn*B^(n-1) with B = V + 1, unique across all
 * orders (base-B digits, none zero). Exact while B^maxOrder stays below 2^53; otherwise (a very
 * long response) the key is the joined ids.
 */
function pairKeys(B: number, maxOrder: number): (ids: Int32Array, i: number, order: number) => number | string {
  if (Math.pow(B, maxOrder) < Number.MAX_SAFE_INTEGER) return (ids, i, order) => keyAt(ids, i, order, B)
  return (ids, i, order) => Array.from(ids.subarray(i, i + order)).join(',')
}

/** BLEU over token lists; `references[i]` holds one or more references of translation i. */
export function computeBleu(references: readonly (readonly string[])[][], translations: readonly (readonly string[])[], maxOrder = 4): BleuResult {
  if (references.length !== translations.length) throw new Error(`BLEU: ${translations.length} predictions but ${references.length} references`)
  const matches = new Array<number>(maxOrder).fill(0)
  const possible = new Array<number>(maxOrder).fill(0)
  let referenceLength = 0
  let translationLength = 0
  // Tokens get corpus-wide ids once; each pair renumbers its own tokens 1..V through a stamped
  // array (no per-pair map), so its n-gram keys are small exact integers.
  const corpus = new Map<string, number>()
  const global = (tokens: readonly string[]) => {
    const out = new Int32Array(tokens.length)
    for (let i = 0; i < tokens.length; i++) {
      let id = corpus.get(tokens[i])
      if (id === undefined) corpus.set(tokens[i], (id = corpus.size))
      out[i] = id
    }
    return out
  }
  const refsG = references.map((refs) => refs.map(global))
  const transG = translations.map(global)
  const table = new ClipTable()
  const localOf = new Int32Array(corpus.size)
  const stamp = new Int32Array(corpus.size)
  for (let k = 0; k < translations.length; k++) {
    const refs = refsG[k]
    const translation = transG[k]
    if (refs.length === 0) throw new Error(`BLEU: prediction ${k + 1} has no reference`)
    let shortest = Infinity
    for (const r of refs) shortest = Math.min(shortest, r.length)
    referenceLength += shortest
    translationLength += translation.length
    let V = 0
    const local = (ids: Int32Array) => {
      const out = new Int32Array(ids.length)
      for (let i = 0; i < ids.length; i++) {
        const g = ids[i]
        if (stamp[g] !== k + 1) {
          stamp[g] = k + 1
          localOf[g] = ++V
        }
        out[i] = localOf[g]
      }
      return out
    }
    const refIds = refs.map(local)
    const tIds = local(translation)
    const B = V + 1
    if (refIds.length === 1 && Math.pow(B, maxOrder) < Number.MAX_SAFE_INTEGER) {
      // The common case (one reference, exact numeric keys).
      const r = refIds[0]
      for (let order = 1; order <= maxOrder; order++) {
        matches[order - 1] += table.clipped(r, tIds, order, B)
        const p = translation.length - order + 1
        if (p > 0) possible[order - 1] += p
      }
      continue
    }
    const keyOf = pairKeys(B, maxOrder)
    for (let order = 1; order <= maxOrder; order++) {
      // Reference counts merged by maximum over references, then clipped matches.
      let merged: Map<number | string, number> | null = null
      for (const ids of refIds) {
        const counts = new Map<number | string, number>()
        for (let i = 0; i + order <= ids.length; i++) {
          const g = keyOf(ids, i, order)
          counts.set(g, (counts.get(g) ?? 0) + 1)
        }
        if (!merged) merged = counts
        else for (const [g, c] of counts) if ((merged.get(g) ?? 0) < c) merged.set(g, c)
      }
      const counts = new Map<number | string, number>()
      for (let i = 0; i + order <= tIds.length; i++) {
        const g = keyOf(tIds, i, order)
        counts.set(g, (counts.get(g) ?? 0) + 1)
      }
      for (const [g, c] of counts) {
        const r = merged!.get(g)
        if (r !== undefined) matches[order - 1] += Math.min(c, r)
      }
      const p = translation.length - order + 1
      if (p > 0) possible[order - 1] += p
    }
  }
  const precisions = matches.map((m, i) => (possible[i] > 0 ? m / possible[i] : 0))
  const base = { precisions, translation_length: translationLength, reference_length: referenceLength }
  if (referenceLength === 0) return { ...base, bleu: null, brevity_penalty: null, length_ratio: null, error: 'the references are empty (no tokens)' }
  const ratio = translationLength / referenceLength
  if (translationLength === 0) return { ...base, bleu: null, brevity_penalty: null, length_ratio: ratio, error: 'the predictions are empty (no tokens)' }
  let geoMean = 0
  if (Math.min(...precisions) > 0) {
    let logSum = 0
    for (const p of precisions) logSum += (1 / maxOrder) * Math.log(p)
    geoMean = Math.exp(logSum)
  }
  const bp = ratio > 1 ? 1 : Math.exp(1 - 1 / ratio)
  return { ...base, bleu: geoMean * bp, brevity_penalty: bp, length_ratio: ratio }
}

/** evaluate.load('bleu').compute(predictions, references) with its defaults. */
export function bleu(predictions: readonly string[], references: readonly (string | readonly string[])[], maxOrder = 4): BleuResult {
  const refs = references.map((r) => (typeof r === 'string' ? [tokenize13a(r)] : r.map((x) => tokenize13a(x))))
  return computeBleu(refs, predictions.map((p) => tokenize13a(p)), maxOrder)
}
