import { AppError } from '../../shared/api/errors'
import type { TruncationPolicy, TruncationRecord } from '../../shared/api/inference'

/**
 * The truncation policy for prompts that do not fit: a prompt may use the context minus the tokens
 * reserved for the answer (maxTokens). With 'middle' we keep the first half and the last half of
 * that budget and drop the tokens between them: IMHI queries put the instruction first and the
 * question last, so both survive and only the middle of a long post is lost. With 'error' we refuse.
 * The BOS token (when the model wants one) is part of the head. Recorded with every explanation.
 */
export function truncatePrompt<T>(
  tokens: readonly T[],
  contextSize: number,
  maxTokens: number,
  policy: TruncationPolicy,
  what = 'the prompt'
): { tokens: T[]; record: TruncationRecord | null } {
  const budget = contextSize - maxTokens
  if (budget < 8) {
    throw new AppError(
      'invalid_input',
      `max tokens (${maxTokens}) leaves no room for ${what} in a ${contextSize}-token context: lower max tokens or raise the context size.`
    )
  }
  if (tokens.length <= budget) return { tokens: [...tokens], record: null }
  if (policy === 'error') {
    throw new AppError(
      'invalid_input',
      `${what} is ${tokens.length} tokens, longer than the ${budget} tokens the context leaves for it (context ${contextSize} minus max tokens ${maxTokens}); ` +
        'choose the "middle" truncation policy, a larger context or fewer max tokens.',
      { promptTokens: tokens.length, budget }
    )
  }
  const head = Math.ceil(budget / 2)
  const tail = budget - head
  const kept = [...tokens.slice(0, head), ...tokens.slice(tokens.length - tail)]
  return {
    tokens: kept,
    record: { policy, promptTokens: tokens.length, keptTokens: kept.length, droppedTokens: tokens.length - kept.length }
  }
}
