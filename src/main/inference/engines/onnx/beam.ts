import type { OnnxModel } from './model'
import type { TensorValue } from './session'
import { processScores } from './logits'
import { selectRows } from './tensors'
import { decoderSteps, encodeBatch } from './encode'
import type { GeneratedItem, GenerateHooks, GenerateItem, Seq2seqPlan } from './generate'

// Beam search for the seq2seq engine (generate.ts runs it when the folder's generation config asks
// num_beams > 1), as transformers 4.31's GenerationMixin.beam_search with BeamSearchScorer does it.

/** transformers' BeamHypotheses (4.31): the num_beams best finished hypotheses of one input. */
class BeamHypotheses {
  readonly beams: { score: number; ids: number[]; eos: boolean }[] = []
  worstScore = 1e9
  constructor(
    private readonly numBeams: number,
    private readonly lengthPenalty: number,
    private readonly earlyStopping: boolean
  ) {}

  add(ids: number[], sumLogprobs: number, eos: boolean): void {
    const score = sumLogprobs / ids.length ** this.lengthPenalty
    if (this.beams.length < this.numBeams || score > this.worstScore) {
      this.beams.push({ score, ids, eos })
      if (this.beams.length > this.numBeams) {
        const ranked = this.beams.map((b, i) => [b.score, i] as const).sort((a, b) => a[0] - b[0] || a[1] - b[1])
        this.beams.splice(ranked[0][1], 1)
        this.worstScore = ranked[1][0]
      } else this.worstScore = Math.min(score, this.worstScore)
    }
  }

  isDone(bestSumLogprobs: number, curLen: number): boolean {
    if (this.beams.length < this.numBeams) return false
    if (this.earlyStopping) return true
    return this.worstScore >= bestSumLogprobs / curLen ** this.lengthPenalty
  }

  /** The best hypothesis (Python's sorted(...)[-1]: the last of equal scores in insertion order). */
  best(): { score: number; ids: number[]; eos: boolean } {
    let best = this.beams[0]
    for (const b of this.beams) if (b.score >= best.score) best = b
    return best
  }
}

/** log_softmax of one row of float32 logits, as torch computes it in float32. */
function logSoftmax(row: Float32Array): Float32Array {
  let max = -Infinity
  for (const v of row) if (v > max) max = v
  let sum = 0
  for (const v of row) sum += Math.exp(v - max)
  const lse = Math.log(sum)
  const out = new Float32Array(row.length)
  for (let i = 0; i < row.length; i++) out[i] = row[i] - max - lse
  return out
}

/**
 * transformers' beam search (GenerationMixin.beam_search with BeamSearchScorer, 4.31) for a batch:
 * num_beams rows per input, the first beam scored 0 and the others -1e9 at the start; each step the
 * log-softmax scores go through the same logits processors as greedy search, add the beam's score,
 * and the 2 x num_beams best (beam, token) candidates of each input are read in order: an EOS among
 * the first num_beams ends a hypothesis (its score divided by its length ** length_penalty), other
 * tokens continue the beams; the cache follows the beams. An input is done when it has num_beams
 * hypotheses and early_stopping is true, or no beam can beat the worst (early_stopping false); at
 * max_length the live beams join the hypotheses. The best hypothesis is the text, ended with EOS
 * where it ended there.
 */
export async function beamSearch(model: OnnxModel, plan: Seq2seqPlan, items: readonly GenerateItem[], maxLength: number, hooks: GenerateHooks, state: { tokens: number }): Promise<{ aborted: boolean }> {
  const started = performance.now()
  const k = plan.numBeams
  const b = items.length
  const { encoded, hidden: hidden1, mask: batchMask, dec, withPast } = await encodeBatch(model, plan, items)
  const tok = model.tokenizer
  const expand = Array.from({ length: b * k }, (_, r) => Math.floor(r / k))
  const hidden = selectRows(hidden1, expand)
  const encMask = selectRows(batchMask, expand)
  let ids: number[][] = Array.from({ length: b * k }, () => [plan.decoderStart])
  let beamScores = Float32Array.from({ length: b * k }, (_, r) => (r % k === 0 ? 0 : -1e9))
  const hyps = items.map(() => new BeamHypotheses(k, plan.lengthPenalty, plan.earlyStopping))
  const done = items.map(() => false)
  const firstTokenMs = items.map(() => 0)
  let past: Record<string, TensorValue> | null = null
  const step = decoderSteps(plan, dec, withPast)
  const pad = plan.pad
  const eos = plan.rules.eos

  for (;;) {
    if (hooks.aborted?.()) {
      if (hooks.reportStopped) {
        items.forEach((it, i) => {
          if (!done[i]) hooks.item(beamResult(it.key, ids[i * k], false, 'stopped', encoded[i], firstTokenMs[i], started, maxLength, b, tok))
        })
      }
      return { aborted: true }
    }
    const rows = b * k
    const t = ids[0].length
    const stepped = await step(ids, hidden, encMask, past)
    past = stepped.past
    const logits = stepped.logits
    const steps = logits.dims[1]
    const vocab = logits.dims[2]
    const curLen = t
    const nextIds: number[][] = []
    const nextScores = new Float32Array(rows)
    const order: number[] = []
    for (let bi = 0; bi < b; bi++) {
      if (done[bi]) {
        for (let j = 0; j < k; j++) {
          nextIds.push([...ids[bi * k + j], pad])
          order.push(0)
        }
        continue
      }
      // candidates of this input: (score, beam row, token), the 2k best, best first (ties: lower index first, as a stable topk)
      const cands: { score: number; row: number; token: number }[] = []
      const keep = 2 * k
      for (let j = 0; j < k; j++) {
        const r = bi * k + j
        const base = (r * steps + steps - 1) * vocab
        const scores = logSoftmax(logits.data.subarray(base, base + vocab))
        processScores(scores, ids[r], plan.rules, maxLength)
        const bs = beamScores[r]
        for (let v = 0; v < vocab; v++) {
          const sc = Math.fround(scores[v] + bs)
          if (cands.length < keep || sc > cands[cands.length - 1].score) {
            let at = cands.length
            while (at > 0 && cands[at - 1].score < sc) at--
            cands.splice(at, 0, { score: sc, row: r, token: v })
            if (cands.length > keep) cands.pop()
          }
        }
      }
      let beam = 0
      const chosen: { score: number; row: number; token: number }[] = []
      for (let rank = 0; rank < cands.length; rank++) {
        const c = cands[rank]
        if (eos.includes(c.token)) {
          if (rank >= k) continue
          hyps[bi].add(ids[c.row], c.score, true)
        } else {
          chosen.push(c)
          beam++
        }
        if (beam === k) break
      }
      for (const c of chosen) {
        nextIds.push([...ids[c.row], c.token])
        nextScores[nextIds.length - 1] = c.score
        order.push(c.row)
      }
      // fewer than k continuations (cannot happen with 2k candidates and at most k EOS among the first k): keep the row count
      while (nextIds.length < (bi + 1) * k) {
        nextIds.push([...ids[bi * k], pad])
        nextScores[nextIds.length - 1] = -Infinity
        order.push(bi * k)
      }
      if (curLen === 1) firstTokenMs[bi] = performance.now() - started
      done[bi] = done[bi] || hyps[bi].isDone(cands[0].score, curLen)
    }
    state.tokens += b
    hooks.tokens?.(state.tokens)
    ids = nextIds
    beamScores = nextScores
    if (past) for (const key of Object.keys(past)) if (key.includes('.decoder.')) past[key] = selectRows(past[key], order)
    const stop = done.every(Boolean) || ids[0].length >= maxLength
    if (stop) {
      items.forEach((it, bi) => {
        if (!done[bi]) for (let j = 0; j < k; j++) hyps[bi].add(ids[bi * k + j], beamScores[bi * k + j], false)
        const best = hyps[bi].best()
        const final = best.ids.length < maxLength ? [...best.ids, eos[0]] : best.ids
        hooks.item(beamResult(it.key, final, best.eos, best.eos ? 'eog' : 'maxTokens', encoded[bi], firstTokenMs[bi], started, maxLength, b, tok))
      })
      return { aborted: false }
    }
  }
}

function beamResult(key: number, ids: number[], _eos: boolean, finish: GeneratedItem['finish'], e: { ids: number[]; fullLength: number }, firstMs: number, started: number, maxLength: number, batchSize: number, tok: OnnxModel['tokenizer']): GeneratedItem {
  return {
    key,
    ids,
    text: tok.decode(ids, { skipSpecialTokens: true }),
    promptTokens: e.ids.length,
    promptTokensFull: e.fullLength,
    generatedTokens: ids.length - 1,
    finish,
    timeToFirstTokenMs: Math.round(firstMs),
    seconds: (performance.now() - started) / 1000,
    maxLength,
    batchSize
  }
}
