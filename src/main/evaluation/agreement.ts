import type { CorrelationReport } from '../../shared/api/evaluation'
import { AppError } from '../../shared/api/errors'
import { bleu } from './bleu'
import { rougePair } from './rouge'
import { correlate } from './correlation'
import type { LmScorer } from './lmscore'
import type { BartScorer, BertScorer, ScoringControl } from './onnx-scores'

/** One rated explanation: what was rated, its golden reference (if found) and the mean rating per aspect. */
export interface RatedExplanation {
  key: string
  system: string
  post: string
  explanation: string
  golden: string | null
  /** How the golden was found (postmatch.ts); absent = given. */
  match?: 'exact' | 'close' | 'none'
  /** Where the rating comes from (file and row), for the list of unmatched rows. */
  origin?: string
  /** Why no golden was found. */
  unmatchedReason?: string
  /** Mean over annotators, per aspect. */
  ratings: Record<string, number>
}

/**
 * Per item automatic scores against the golden explanation (sentence BLEU = evaluate's bleu on
 * the single pair; ROUGE-1/2/L F; the LM score with a model), then Pearson, Spearman and Kendall
 * tau-b of each score with each aspect's mean rating, as the MentalLLaMA paper reports.
 */
export async function correlationReport(
  source: string,
  rated: readonly RatedExplanation[],
  scorer?: LmScorer,
  onnx: { bart?: BartScorer; bertscore?: BertScorer; control?: ScoringControl & { onStage?: (stage: string) => void } } = {}
): Promise<CorrelationReport> {
  const metrics = ['bleu', 'rouge1', 'rouge2', 'rougeL', ...(scorer ? ['lm'] : []), ...(onnx.bart ? ['bart'] : []), ...(onnx.bertscore ? ['bertscore'] : [])]
  const aspects = [...new Set(rated.flatMap((r) => Object.keys(r.ratings)))]
  const points: CorrelationReport['points'] = []
  let unmatched = 0
  const unmatchedRows: CorrelationReport['unmatchedRows'] = []
  const matched = { exact: 0, close: 0 }
  // LM scoring (one model call per explanation) reports its progress and stops when cancelled.
  const lmTotal = scorer ? rated.filter((r) => r.golden).length : 0
  let lmDone = 0
  if (scorer) onnx.control?.onStage?.('lm')
  for (const r of rated) {
    if (!r.golden) {
      unmatched++
      unmatchedRows.push({ key: r.key, system: r.system, origin: r.origin ?? r.key, reason: r.unmatchedReason ?? 'no golden explanation for its post' })
      continue
    }
    if (r.match === 'close') matched.close++
    else matched.exact++
    const rouge = rougePair(r.golden, r.explanation)
    const b = bleu([r.explanation], [r.golden])
    const scores: Record<string, number | null> = { bleu: b.bleu, rouge1: rouge.rouge1.fmeasure, rouge2: rouge.rouge2.fmeasure, rougeL: rouge.rougeL.fmeasure }
    if (scorer) {
      if (onnx.control?.signal?.aborted) throw new AppError('cancelled', 'The correlation analysis was cancelled during LM scoring; nothing was stored.')
      scores.lm = (await scorer.score(r.explanation, r.golden))?.meanLogProb ?? null
      onnx.control?.onProgress?.(++lmDone, lmTotal)
    }
    points.push({ key: r.key, system: r.system, scores, ratings: r.ratings })
  }
  // BART-score and BERTScore of every matched explanation against its golden, in the scorers' batches.
  // (`points` holds the matched explanations in this same order.)
  const withGolden = rated.filter((r): r is RatedExplanation & { golden: string } => !!r.golden)
  for (const [name, s] of [['bart', onnx.bart], ['bertscore', onnx.bertscore]] as const) {
    if (!s) continue
    onnx.control?.onStage?.(name)
    const r = await s.score(withGolden.map((m) => ({ generated: m.explanation, golden: m.golden })), onnx.control)
    points.forEach((p, k) => (p.scores[name] = r.perRow[k]))
  }
  const table: CorrelationReport['table'] = {}
  for (const m of metrics) {
    table[m] = {}
    for (const a of aspects) {
      table[m][a] = correlate(
        points.map((p) => p.scores[m] ?? null),
        points.map((p) => p.ratings[a] ?? null)
      )
    }
  }
  const notes: string[] = []
  if (unmatched > 0) notes.push(`${unmatched} rated explanation(s) have no golden explanation for their post among the imported items and are left out: ${unmatchedRows.slice(0, 20).map((u) => `${u.origin} (${u.reason})`).join('; ')}`)
  return { source, n: points.length, unmatched, unmatchedRows, matched, metrics, aspects, table, points, notes }
}
