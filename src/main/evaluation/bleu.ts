import { tokenize13a } from './tokenize13a'

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
export interface BleuResult {
  bleu: number | null
  precisions: number[]
  brevity_penalty: number | null
  length_ratio: number | null
  translation_length: number
  reference_length: number
  /** Why bleu is null (empty predictions or references), else absent. */
  error?: string
}

function ngramCounts(tokens: readonly string[], maxOrder: number): Map<string, number> {
  const counts = new Map<string, number>()
  for (let order = 1; order <= maxOrder; order++) {
    for (let i = 0; i + order <= tokens.length; i++) {
      // \u0001 cannot occur inside a 13a token (it has no whitespace but may hold any other char);
      // the order prefix keeps n-grams of different lengths apart.
      const key = order + '\u0001' + tokens.slice(i, i + order).join('\u0001')
      counts.set(key, (counts.get(key) ?? 0) + 1)
    }
  }
  return counts
}

/** BLEU over token lists; `references[i]` holds one or more references of translation i. */
export function computeBleu(references: readonly (readonly string[])[][], translations: readonly (readonly string[])[], maxOrder = 4): BleuResult {
  if (references.length !== translations.length) throw new Error(`BLEU: ${translations.length} predictions but ${references.length} references`)
  const matches = new Array<number>(maxOrder).fill(0)
  const possible = new Array<number>(maxOrder).fill(0)
  let referenceLength = 0
  let translationLength = 0
  for (let k = 0; k < translations.length; k++) {
    const refs = references[k]
    const translation = translations[k]
    if (refs.length === 0) throw new Error(`BLEU: prediction ${k + 1} has no reference`)
    referenceLength += Math.min(...refs.map((r) => r.length))
    translationLength += translation.length
    const merged = new Map<string, number>()
    for (const ref of refs) {
      for (const [g, c] of ngramCounts(ref, maxOrder)) if ((merged.get(g) ?? 0) < c) merged.set(g, c)
    }
    for (const [g, c] of ngramCounts(translation, maxOrder)) {
      const r = merged.get(g)
      if (r === undefined) continue
      const order = Number(g.slice(0, g.indexOf('\u0001')))
      matches[order - 1] += Math.min(c, r)
    }
    for (let order = 1; order <= maxOrder; order++) {
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
