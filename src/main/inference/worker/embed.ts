import type { LlamaEmbeddingContext, LlamaModel, Token } from 'node-llama-cpp'
import { basename } from 'node:path'
import { AppError } from '../../../shared/api/errors'
import type { EmbedResult } from './protocol'

/** The embedding context size when the caller names none: the model's training context, at most 2,048 tokens. */
export function defaultEmbeddingContextSize(model: LlamaModel): number {
  return Math.max(64, Math.min(model.trainContextSize || 2048, 2048))
}

/**
 * Embeds texts one after the other on one embedding context (deterministic: the sequence is
 * cleared before each text; no sampling). Truncation policy: a text whose tokens (with the BOS/EOS
 * the model adds) do not fit the context keeps its first tokens, as many as fit (contextSize - 1
 * in all, llama.cpp's limit); this is recorded per text, never an error. An empty or
 * whitespace-only text is an error naming its position.
 */
export async function embedTexts(model: LlamaModel, context: LlamaEmbeddingContext, contextSize: number, texts: readonly string[], modelPath: string): Promise<EmbedResult> {
  const vectors: Float32Array[] = []
  const tokens: number[] = []
  const truncatedFrom: (number | null)[] = []
  let dimension = 0
  for (const [i, text] of texts.entries()) {
    if (text.trim() === '') throw new AppError('invalid_input', `Text ${i + 1} of ${texts.length} is empty: an embedding needs some text.`, { index: i })
    let input: Token[] = model.tokenize(text)
    const full = context.calculateInputLength(input)
    let cut: number | null = null
    if (full >= contextSize) {
      const special = full - input.length
      input = input.slice(0, Math.max(1, contextSize - 1 - special))
      cut = full
    }
    const e = await context.getEmbeddingFor(input)
    const v = Float32Array.from(e.vector)
    if (v.length === 0) throw new AppError('unsupported', `${basename(modelPath)} returned an empty embedding for text ${i + 1}.`, { file: modelPath, index: i })
    for (let k = 0; k < v.length; k++) {
      if (!Number.isFinite(v[k])) throw new AppError('unsupported', `${basename(modelPath)} returned a non-finite embedding for text ${i + 1} (NaN or infinity).`, { file: modelPath, index: i })
    }
    if (dimension === 0) dimension = v.length
    else if (v.length !== dimension) throw new AppError('internal', `${basename(modelPath)}: embeddings of different lengths (${dimension} and ${v.length}).`)
    vectors.push(v)
    tokens.push(context.calculateInputLength(input))
    truncatedFrom.push(cut)
  }
  return { dimension: dimension || model.embeddingVectorSize, contextSize, vectors, tokens, truncatedFrom }
}
