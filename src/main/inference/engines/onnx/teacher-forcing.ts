/**
 * Teacher forcing for an encoder-decoder model, as transformers' BartForConditionalGeneration does
 * it when given `labels` and as neulab's BARTScorer.score reads the result (pure functions).
 *
 * The decoder sees the target shifted one place right behind decoder_start_token_id
 * (shift_tokens_right); at each position it predicts the target token there. The log-likelihood
 * of a target is the sum, over its positions whose token is not the pad id (NLLLoss with
 * ignore_index = pad), of log_softmax(logits)[token], divided by the number of target tokens
 * (the attention-mask length, <s> and </s> included): BARTScorer's `loss.sum(dim=1) / tgt_len`,
 * negated.
 */

/** transformers' shift_tokens_right on a padded [batch, length] int64 batch (row-major). */
export function shiftTokensRight(ids: BigInt64Array, batch: number, length: number, decoderStart: number, pad: number): BigInt64Array {
  const out = new BigInt64Array(batch * length)
  const start = BigInt(decoderStart)
  const padId = BigInt(pad)
  for (let b = 0; b < batch; b++) {
    const row = b * length
    if (length > 0) out[row] = start
    for (let t = 1; t < length; t++) {
      const v = ids[row + t - 1]
      out[row + t] = v === -100n ? padId : v
    }
  }
  return out
}

export interface TargetLikelihood {
  /** Sum over the counted positions of log p(token). */
  sumLogProb: number
  /** Target tokens (attention-mask length): the divisor. */
  tokens: number
  /** sumLogProb / tokens: BARTScorer's score for the pair. */
  meanLogProb: number
}

/**
 * Per row of a batch: the log-likelihood of the target ids under `logits` ([batch, length, vocab],
 * float32, row-major). `lengths[b]` is row b's target length (its attention-mask sum); positions at
 * or past it are padding. Log-softmax in float64 with the max subtracted.
 */
export function targetLogLikelihoods(logits: Float32Array, targets: BigInt64Array, batch: number, length: number, vocab: number, lengths: readonly number[], pad: number): TargetLikelihood[] {
  if (logits.length !== batch * length * vocab) throw new Error(`logits hold ${logits.length} values, expected ${batch}x${length}x${vocab}`)
  const padId = BigInt(pad)
  const out: TargetLikelihood[] = []
  for (let b = 0; b < batch; b++) {
    let sum = 0
    for (let t = 0; t < length; t++) {
      const target = targets[b * length + t]
      if (target === padId) continue
      const id = Number(target)
      if (id < 0 || id >= vocab) throw new Error(`target token id ${id} is outside the model's ${vocab} logits`)
      const base = (b * length + t) * vocab
      let max = -Infinity
      for (let v = 0; v < vocab; v++) if (logits[base + v] > max) max = logits[base + v]
      let s = 0
      for (let v = 0; v < vocab; v++) s += Math.exp(logits[base + v] - max)
      sum += logits[base + id] - max - Math.log(s)
    }
    const tokens = lengths[b]
    out.push({ sumLogProb: sum, tokens, meanLogProb: tokens > 0 ? sum / tokens : NaN })
  }
  return out
}
