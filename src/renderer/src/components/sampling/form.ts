import { generationParamsSchema, TRUNCATION_POLICIES, type GenerationParams, type TruncationPolicy } from '../../../../shared/api/inference'

/** The sampling options as the form holds them: '' = the schema's default. */
export interface SamplingForm {
  temperature: number | string
  topP: number | string
  topK: number | string
  seed: number | string
  maxTokens: number | string
  contextSize: number | string
  truncation: TruncationPolicy
  /** '' = none (1). */
  repeatPenalty: number | string
}

export const DEFAULT_SAMPLING: SamplingForm = { temperature: 0, topP: 1, topK: 0, seed: 0, maxTokens: 256, contextSize: '', truncation: 'middle', repeatPenalty: '' }

export { TRUNCATION_POLICIES }

const num = (v: number | string): number | undefined => (v === '' || v === null || v === undefined ? undefined : Number(v))

/**
 * The generation parameters of a form, validated by the same schema as runs and the API
 * (generationParamsSchema): the params when valid, else the message of each bad field.
 */
export function samplingParams(f: SamplingForm): { params: GenerationParams | null; errors: Partial<Record<keyof SamplingForm, string>> } {
  const raw = {
    temperature: num(f.temperature),
    topP: num(f.topP),
    topK: num(f.topK),
    seed: num(f.seed),
    maxTokens: num(f.maxTokens),
    contextSize: num(f.contextSize),
    truncation: f.truncation,
    repeatPenalty: num(f.repeatPenalty)
  }
  const r = generationParamsSchema.safeParse(raw)
  if (r.success) {
    // 1 is no penalty: kept out of the params, as a request without one.
    const { repeatPenalty, ...rest } = r.data
    return { params: repeatPenalty !== undefined && repeatPenalty > 1 ? { ...rest, repeatPenalty } : rest, errors: {} }
  }
  const errors: Partial<Record<keyof SamplingForm, string>> = {}
  for (const issue of r.error.issues) {
    const k = issue.path[0] as keyof SamplingForm
    if (k && !errors[k]) errors[k] = issue.message
  }
  return { params: null, errors }
}

/** A form from stored params (a previous explanation's provenance, saved preferences). */
export function samplingForm(p: Partial<GenerationParams> | undefined): SamplingForm {
  return {
    temperature: p?.temperature ?? DEFAULT_SAMPLING.temperature,
    topP: p?.topP ?? DEFAULT_SAMPLING.topP,
    topK: p?.topK ?? DEFAULT_SAMPLING.topK,
    seed: p?.seed ?? DEFAULT_SAMPLING.seed,
    maxTokens: p?.maxTokens ?? DEFAULT_SAMPLING.maxTokens,
    contextSize: p?.contextSize ?? '',
    truncation: p?.truncation && (TRUNCATION_POLICIES as readonly string[]).includes(p.truncation) ? p.truncation : 'middle',
    repeatPenalty: p?.repeatPenalty ?? ''
  }
}
