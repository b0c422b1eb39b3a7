import { AppError } from '../../shared/api/errors'
import type { BartScoreSummary, BertScoreSummary } from '../../shared/api/evaluation'
import { readBaseline, rescale } from './bertscore-baseline'

/**
 * BART-score and BERTScore of explanations against their golden explanations, as MentalLLaMA's
 * score.py computes them, through the ONNX worker (the scoring runs there, off the thread that
 * answers the UI). Pure plumbing: the arithmetic is in inference/engines/onnx (seq2seq.ts,
 * bertscore.ts, teacher-forcing.ts, greedy-matching.ts).
 *
 * BART-score (score.py BARTscore -> neulab BARTScorer.score(srcs = generated, tgts = goldens)):
 * per pair the mean log-likelihood per token of the golden explanation given the generated one,
 * both cut to 1,024 tokens, in batches of 4; the dataset's figure is the mean over its pairs.
 * BERTScore (score.py BERTScore -> evaluate's bertscore(predictions = generated, references =
 * goldens, batch_size = 16)): greedy-matching P/R/F1, no idf, no baseline rescaling; the dataset's
 * figure is the mean F1.
 *
 * score.py reads the outputs with pandas and scores str(generated): an empty cell is NaN, which it
 * scores as the text "nan". An empty generated text is scored the same way here, so the numbers
 * stay the script's. Pairs without a golden explanation (an empty cell, which would stop the
 * script) are left out.
 */

export const BART_SCORE_MAX_LENGTH = 1024
export const BART_SCORE_BATCH = 4
export const BERTSCORE_BATCH = 16

/** What the evaluation needs of the ONNX engine (inference/engines/onnx OnnxEngine). */
export interface OnnxScoringEngine {
  load(dir: string, options?: { sessions?: readonly string[] }): Promise<{ id: number; dir: string; provider: string; maxPositions: number | null }>
  unload(id: number): Promise<unknown>
  seq2seqLikelihood(id: number, sources: string[], targets: string[], opts: { maxLength: number; batchSize: number }): Promise<{ meanLogProb: number; truncated: boolean }[]>
  bertScore(id: number, candidates: string[], references: string[], opts: { batchSize: number; layer: number | null }): Promise<{ layer: number | null; scores: { precision: number; recall: number; f1: number }[]; truncated: number[] }>
}

export interface ScorePair {
  generated: string
  golden: string | null
}

export interface ScoringControl {
  onProgress?: (done: number, total: number) => void
  signal?: AbortSignal
}

/** The text score.py scores for a generated response: str() of what pandas read (an empty cell is NaN). */
export function scriptText(generated: string): string {
  return generated === '' ? 'nan' : generated
}

// score.py scores every row whose golden is a string; only a missing (NaN) golden would stop it.
// A whitespace-only golden is a string, so it is scored here too.
const hasGolden = (p: ScorePair) => p.golden !== null && p.golden !== ''

function checkAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new AppError('cancelled', 'Scoring was cancelled; nothing was stored.')
}

/** Runs `fn` over the pairs with a golden, in chunks of `chunk` (a multiple of the batch size, so the batches are the script's). */
async function chunked<T>(pairs: readonly ScorePair[], chunk: number, ctl: ScoringControl, fn: (gen: string[], gold: string[]) => Promise<T[]>): Promise<(T | null)[]> {
  const idx = pairs.flatMap((p, i) => (hasGolden(p) ? [i] : []))
  const out: (T | null)[] = pairs.map(() => null)
  ctl.onProgress?.(0, idx.length)
  for (let s = 0; s < idx.length; s += chunk) {
    checkAborted(ctl.signal)
    const part = idx.slice(s, s + chunk)
    const r = await fn(
      part.map((i) => scriptText(pairs[i].generated)),
      part.map((i) => pairs[i].golden!)
    )
    part.forEach((i, k) => (out[i] = r[k]))
    ctl.onProgress?.(Math.min(idx.length, s + chunk), idx.length)
  }
  checkAborted(ctl.signal)
  return out
}

export interface BartScorer {
  readonly model: string
  /** Per pair (aligned with `pairs`) the BART-score, null without a golden; and the summary. */
  score(pairs: readonly ScorePair[], ctl?: ScoringControl): Promise<{ perRow: (number | null)[]; summary: BartScoreSummary }>
  close(): Promise<void>
}

export async function openBartScorer(engine: OnnxScoringEngine, dir: string): Promise<BartScorer> {
  const info = await engine.load(dir, { sessions: ['encoder_model', 'decoder_model'] })
  // BARTScorer cuts at 1,024 tokens; a model with fewer positions is cut at what it has.
  const maxLength = Math.min(BART_SCORE_MAX_LENGTH, info.maxPositions ?? BART_SCORE_MAX_LENGTH)
  return {
    model: info.dir,
    async score(pairs, ctl = {}) {
      const rows = await chunked(pairs, BART_SCORE_BATCH * 8, ctl, (gen, gold) => engine.seq2seqLikelihood(info.id, gen, gold, { maxLength, batchSize: BART_SCORE_BATCH }))
      const scored = rows.filter((r): r is NonNullable<typeof r> => r !== null)
      const mean = scored.length > 0 ? scored.reduce((a, r) => a + r.meanLogProb, 0) / scored.length : null
      return {
        perRow: rows.map((r) => r?.meanLogProb ?? null),
        summary: { model: info.dir, mean, n: scored.length, truncated: scored.filter((r) => r.truncated).length, batchSize: BART_SCORE_BATCH, maxLength, provider: info.provider }
      }
    },
    close: async () => void (await engine.unload(info.id))
  }
}

export interface BertScorer {
  readonly model: string
  /** Per pair (aligned with `pairs`) the BERTScore F1, null without a golden; and the summary. */
  score(pairs: readonly ScorePair[], ctl?: ScoringControl): Promise<{ perRow: (number | null)[]; summary: BertScoreSummary }>
  close(): Promise<void>
}

/** `baselineFile`: rescale with bert_score's baseline file (LAYER,P,R,F rows); none by default, as in score.py. */
export async function openBertScorer(engine: OnnxScoringEngine, dir: string, layer: number | null, baselineFile?: string): Promise<BertScorer> {
  const info = await engine.load(dir, { sessions: ['model'] })
  // Checks the layer (and the tokenizer, and the baseline file) before any text is scored.
  let usedLayer: number | null
  let baseline: ReturnType<typeof readBaseline> | null = null
  try {
    usedLayer = (await engine.bertScore(info.id, ['probe'], ['probe'], { batchSize: BERTSCORE_BATCH, layer })).layer
    if (baselineFile !== undefined) {
      if (usedLayer === null) throw new AppError('invalid_input', `${dir}: the export does not say its layer (config.json num_hidden_layers), so no baseline row can be chosen`)
      baseline = readBaseline(baselineFile, usedLayer)
    }
  } catch (err) {
    await engine.unload(info.id).catch(() => undefined)
    throw err
  }
  return {
    model: info.dir,
    async score(pairs, ctl = {}) {
      const rows = await chunked(pairs, BERTSCORE_BATCH * 8, ctl, async (gen, gold) => {
        const r = await engine.bertScore(info.id, gen, gold, { batchSize: BERTSCORE_BATCH, layer })
        const cut = new Set(r.truncated)
        return r.scores.map((s, k) => ({
          precision: baseline ? rescale(s.precision, baseline.precision) : s.precision,
          recall: baseline ? rescale(s.recall, baseline.recall) : s.recall,
          f1: baseline ? rescale(s.f1, baseline.f1) : s.f1,
          truncated: cut.has(k)
        }))
      })
      const scored = rows.filter((r): r is NonNullable<typeof r> => r !== null)
      const mean = (f: (r: (typeof scored)[number]) => number) => (scored.length > 0 ? scored.reduce((a, r) => a + f(r), 0) / scored.length : null)
      return {
        perRow: rows.map((r) => r?.f1 ?? null),
        summary: {
          model: info.dir,
          layer: usedLayer,
          precision: mean((r) => r.precision),
          recall: mean((r) => r.recall),
          f1: mean((r) => r.f1),
          n: scored.length,
          truncated: scored.filter((r) => r.truncated).length,
          batchSize: BERTSCORE_BATCH,
          provider: info.provider,
          baseline: baseline ? { file: baseline.file, precision: baseline.precision, recall: baseline.recall, f1: baseline.f1 } : null
        }
      }
    },
    close: async () => void (await engine.unload(info.id))
  }
}
