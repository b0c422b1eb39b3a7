/**
 * The logits processors transformers' generate builds for greedy search from a generation config
 * (GenerationMixin._get_logits_processor), one decoder row at a time, in its order:
 * RepetitionPenalty, NoRepeatNGram, MinLength, ForcedBOS, ForcedEOS; then argmax. Pure functions.
 *
 * `row` is the decoder sequence so far (decoder_start_token_id first), so `row.length` is
 * transformers' cur_len (input_ids.shape[-1] of the decoder).
 */
export interface GreedyRules {
  /** End-of-sequence ids (eos_token_id, a number or a list). */
  eos: number[]
  /** min_length: EOS is banned while cur_len < minLength (0: off). */
  minLength: number
  /** no_repeat_ngram_size (0: off). */
  noRepeatNgram: number
  /** repetition_penalty (1: off). */
  repetitionPenalty: number
  /** forced_bos_token_id: the only token allowed at cur_len 1 (null: off). */
  forcedBos: number | null
  /** forced_eos_token_id: the only token(s) allowed at cur_len max_length - 1 (null: off). */
  forcedEos: number[] | null
}

/** NoRepeatNGramLogitsProcessor's banned tokens for one row (_get_ngrams + _get_generated_ngrams). */
export function bannedNgramTokens(row: readonly number[], n: number): number[] {
  const cur = row.length
  if (n <= 0 || cur + 1 < n) return []
  const banned: number[] = []
  const tail = row.slice(cur - n + 1, cur)
  for (let i = 0; i + n - 1 < cur; i++) {
    let same = true
    for (let k = 0; k < n - 1; k++) {
      if (row[i + k] !== tail[k]) {
        same = false
        break
      }
    }
    if (same) banned.push(row[i + n - 1])
  }
  return banned
}

/** Applies the rules to one row's scores (modified in place). */
export function processScores(scores: Float32Array, row: readonly number[], rules: GreedyRules, maxLength: number): void {
  const curLen = row.length
  if (rules.repetitionPenalty !== 1) {
    const p = rules.repetitionPenalty
    // gather then scatter: every occurrence reads the original score
    const seen = new Map<number, number>()
    for (const t of row) if (!seen.has(t)) seen.set(t, scores[t])
    for (const [t, s] of seen) scores[t] = s < 0 ? s * p : s / p
  }
  if (rules.noRepeatNgram > 0) for (const t of bannedNgramTokens(row, rules.noRepeatNgram)) scores[t] = -Infinity
  if (rules.minLength > 0 && curLen < rules.minLength) for (const e of rules.eos) scores[e] = -Infinity
  if (rules.forcedBos !== null && curLen === 1) {
    scores.fill(-Infinity)
    scores[rules.forcedBos] = 0
  }
  if (rules.forcedEos !== null && curLen === maxLength - 1) {
    scores.fill(-Infinity)
    for (const e of rules.forcedEos) scores[e] = 0
  }
}

/** torch.argmax over a row: the first index of the largest value (NaN counts as largest, as in torch). */
export function argmax(scores: Float32Array): number {
  let best = 0
  let max = scores[0]
  for (let i = 1; i < scores.length; i++) {
    const v = scores[i]
    if (v > max || (Number.isNaN(v) && !Number.isNaN(max))) {
      max = v
      best = i
    }
  }
  return best
}
