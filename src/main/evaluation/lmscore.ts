import { AppError } from '../../shared/api/errors'
import type { InferenceService } from '../inference/service'

/**
 * The model-likelihood score (in the manner of BARTScore / GPTScore): the mean natural-log
 * probability per token of the golden explanation (continuation) given the generated one
 * (context) under a GGUF model, by teacher forcing with the full softmax over the vocabulary
 * (the inference service's scoreLogProb, which runs in its worker thread so the app stays
 * responsive). Higher is better; 0 is the maximum. Deterministic: no sampling.
 *
 * A pair too long for the model's context window is scored again on the last 2,000 characters
 * of the generated text and the first 2,000 of the golden one, and counted as truncated.
 */
export interface LmScore {
  meanLogProb: number
  tokens: number
  truncated: boolean
}

export interface LmScorer {
  readonly modelPath: string
  score(context: string, continuation: string): Promise<LmScore | null>
}

const TRUNCATE_CHARS = 2000

export function inferenceLmScorer(inference: Pick<InferenceService, 'scoreLogProb'>, modelPath: string): LmScorer {
  return {
    modelPath,
    async score(context, continuation) {
      if (!continuation.trim()) return null
      try {
        const r = await inference.scoreLogProb({ modelPath, context, continuation })
        return { meanLogProb: r.meanLogProb, tokens: r.tokens, truncated: false }
      } catch (err) {
        const e = AppError.from(err)
        if (e.code !== 'invalid_input') throw e
        if (context.length <= TRUNCATE_CHARS && continuation.length <= TRUNCATE_CHARS) return null
        try {
          const r = await inference.scoreLogProb({ modelPath, context: context.slice(-TRUNCATE_CHARS), continuation: continuation.slice(0, TRUNCATE_CHARS) })
          return { meanLogProb: r.meanLogProb, tokens: r.tokens, truncated: true }
        } catch (err2) {
          if (AppError.from(err2).code === 'invalid_input') return null
          throw err2
        }
      }
    }
  }
}
