/**
 * BERTScore's greedy matching (bert_score's bert_cos_score_idf + greedy_cos_idf, as HF evaluate's
 * `bertscore` runs it; pure functions). Each token of a candidate is matched to the most similar
 * token (cosine of the contextual embeddings) of its reference, and vice versa:
 *
 *   P = sum_i w_i max_j cos(c_i, r_j) / sum_i w_i      R = sum_j w_j max_i cos(r_j, c_i) / sum_j w_j
 *   F1 = 2 P R / (P + R)
 *
 * Weights: without idf every token weighs 1 except the tokenizer's CLS and SEP ids (<s>, </s> or
 * [CLS], [SEP]), which weigh 0 but can still be matched. Two details of bert_score are kept so the
 * numbers are its numbers: pairs are scored in batches of `batchSize`, and within a batch a
 * sentence shorter than the batch's longest is padded with positions whose similarity is 0, which
 * take part in the max (so a token whose best real similarity is negative scores 0 there); a
 * sentence of only its two special tokens (an empty text) gets P = R = F1 = 0, and an undefined
 * F1 (P + R = 0) is 0.
 */

export interface TokenEmbeddings {
  /** Row-major [tokens, dim]; normalized in place by normalizeRows. */
  data: Float32Array
  tokens: number
  dim: number
  /** Per token: 0 for CLS/SEP, else 1 (bert_score's idf_dict without idf). */
  weights: Float32Array
}

export interface MatchScores {
  precision: number
  recall: number
  f1: number
}

/** Divides each token's vector by its L2 norm (bert_score: ref_embedding.div_(norm)). */
export function normalizeRows(e: TokenEmbeddings): TokenEmbeddings {
  const { data, tokens, dim } = e
  for (let i = 0; i < tokens; i++) {
    let s = 0
    for (let k = 0; k < dim; k++) s += data[i * dim + k] * data[i * dim + k]
    const n = Math.sqrt(s)
    for (let k = 0; k < dim; k++) data[i * dim + k] /= n
  }
  return e
}

/** One pair: hyp (candidate) against ref, embeddings already normalized; `refPadded`/`hypPadded`: shorter than its batch's longest. */
export function matchPair(hyp: TokenEmbeddings, ref: TokenEmbeddings, hypPadded: boolean, refPadded: boolean): MatchScores {
  if (hyp.dim !== ref.dim) throw new Error(`embeddings of ${hyp.dim} and ${ref.dim} dimensions`)
  const dim = hyp.dim
  const bestHyp = new Float64Array(hyp.tokens).fill(refPadded ? 0 : -Infinity)
  const bestRef = new Float64Array(ref.tokens).fill(hypPadded ? 0 : -Infinity)
  for (let i = 0; i < hyp.tokens; i++) {
    const hi = i * dim
    for (let j = 0; j < ref.tokens; j++) {
      const rj = j * dim
      let s = 0
      for (let k = 0; k < dim; k++) s += hyp.data[hi + k] * ref.data[rj + k]
      if (s > bestHyp[i]) bestHyp[i] = s
      if (s > bestRef[j]) bestRef[j] = s
    }
  }
  const weighted = (best: Float64Array, w: Float32Array) => {
    let num = 0
    let den = 0
    for (let i = 0; i < best.length; i++) {
      num += w[i] * best[i]
      den += w[i]
    }
    return num / den
  }
  let precision = weighted(bestHyp, hyp.weights)
  let recall = weighted(bestRef, ref.weights)
  let f1 = (2 * precision * recall) / (precision + recall)
  if (Number.isNaN(f1)) f1 = 0
  if (hyp.tokens === 2 || ref.tokens === 2) {
    precision = 0
    recall = 0
  }
  return { precision, recall, f1 }
}

/** Pairs (hyps[k] against refs[k]) in bert_score's batches of `batchSize`; embeddings normalized. */
export function greedyMatching(hyps: readonly TokenEmbeddings[], refs: readonly TokenEmbeddings[], batchSize: number): MatchScores[] {
  if (hyps.length !== refs.length) throw new Error(`${hyps.length} candidates but ${refs.length} references`)
  const out: MatchScores[] = []
  for (let start = 0; start < hyps.length; start += batchSize) {
    const end = Math.min(hyps.length, start + batchSize)
    let maxHyp = 0
    let maxRef = 0
    for (let k = start; k < end; k++) {
      maxHyp = Math.max(maxHyp, hyps[k].tokens)
      maxRef = Math.max(maxRef, refs[k].tokens)
    }
    for (let k = start; k < end; k++) out.push(matchPair(hyps[k], refs[k], hyps[k].tokens < maxHyp, refs[k].tokens < maxRef))
  }
  return out
}
