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

/**
 * `modelPath` is a GGUF file, or `server:NAME` for a registered remote server: its prompt
 * log-probabilities (echo + logprobs, as vLLM returns them); a server that does not offer them
 * is refused with a message saying so.
 */
export function inferenceLmScorer(inference: Pick<InferenceService, 'scoreLogProb' | 'scoreLogProbRemote' | 'engines'>, modelPath: string): LmScorer {
  const server = /^server:(.+)$/.exec(modelPath)?.[1]
  const logProb = (input: { context: string; continuation: string }) => {
    if (!server) return inference.scoreLogProb({ modelPath, ...input })
    const e = inference.engines.byName(server)
    if (!e) throw new AppError('not_found', `No registered server "${server}" for the LM score.`)
    return inference.scoreLogProbRemote({ engineId: e.id, ...input })
  }
  return {
    modelPath,
    async score(context, continuation) {
      if (!continuation.trim()) return null
      try {
        const r = await logProb({ context, continuation })
        return { meanLogProb: r.meanLogProb, tokens: r.tokens, truncated: false }
      } catch (err) {
        const e = AppError.from(err)
        if (e.code !== 'invalid_input') throw e
        if (context.length <= TRUNCATE_CHARS && continuation.length <= TRUNCATE_CHARS) return null
        try {
          const r = await logProb({ context: context.slice(-TRUNCATE_CHARS), continuation: continuation.slice(0, TRUNCATE_CHARS) })
          return { meanLogProb: r.meanLogProb, tokens: r.tokens, truncated: true }
        } catch (err2) {
          if (AppError.from(err2).code === 'invalid_input') return null
          throw err2
        }
      }
    }
  }
}
