import { describe, expect, it } from 'vitest'
import { DEFAULT_SAMPLING, samplingForm, samplingParams } from '../../src/renderer/src/components/sampling/form'
import { generationParamsSchema, runCreateSchema } from '../../src/shared/api/inference'

describe('the sampling form of single-post generation and runs: the run options schema, not a copy', () => {
  it('defaults are the schema defaults (greedy, 256 tokens, the model context)', () => {
    expect(samplingParams(DEFAULT_SAMPLING)).toEqual({ params: generationParamsSchema.parse({}), errors: {} })
  })

  it('valid sampling goes through unchanged; an empty field takes the default', () => {
    const r = samplingParams({ ...DEFAULT_SAMPLING, temperature: 0.7, topP: 0.9, topK: 40, seed: 1234, maxTokens: '', contextSize: 1024, truncation: 'error' })
    expect(r.params).toEqual({ temperature: 0.7, topP: 0.9, topK: 40, seed: 1234, maxTokens: 256, contextSize: 1024, truncation: 'error' })
    // What the form makes is what a run accepts.
    expect(runCreateSchema.safeParse({ modelId: 1, datasets: ['DR'], split: 'test_instruction', params: r.params }).success).toBe(true)
  })

  it('each bad field gets the schema message, named by its field; nothing is sent', () => {
    const r = samplingParams({ ...DEFAULT_SAMPLING, temperature: 3, topP: 0, topK: 1.5, seed: -1, maxTokens: 9000, contextSize: 10 })
    expect(r.params).toBeNull()
    expect(Object.keys(r.errors).sort()).toEqual(['contextSize', 'maxTokens', 'seed', 'temperature', 'topK', 'topP'])
    const schemaIssue = generationParamsSchema.safeParse({ temperature: 3 }).error!.issues[0].message
    expect(r.errors.temperature).toBe(schemaIssue)
  })

  it('repeat penalty: empty or 1 = none (left out, as runs without one); above 1 kept; below 1 refused', () => {
    expect(samplingParams({ ...DEFAULT_SAMPLING, repeatPenalty: '' }).params).not.toHaveProperty('repeatPenalty')
    expect(samplingParams({ ...DEFAULT_SAMPLING, repeatPenalty: 1 }).params).not.toHaveProperty('repeatPenalty')
    expect(samplingParams({ ...DEFAULT_SAMPLING, repeatPenalty: 1.3 }).params).toMatchObject({ repeatPenalty: 1.3 })
    expect(Object.keys(samplingParams({ ...DEFAULT_SAMPLING, repeatPenalty: 0.5 }).errors)).toEqual(['repeatPenalty'])
  })

  it('a form from stored params (regenerate, saved preferences) keeps them', () => {
    const p = generationParamsSchema.parse({ temperature: 0.8, seed: 7, maxTokens: 64 })
    expect(samplingParams(samplingForm(p)).params).toEqual(p)
  })
})
