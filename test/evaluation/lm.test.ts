import { describe, expect, it } from 'vitest'
import { testServices } from '../support/services'
import { hasSharedModel, SHARED_TINY_MODEL, sharedSkipReason } from '../support/shared'
import { inferenceLmScorer } from '../../src/main/evaluation/lmscore'

describe.skipIf(!hasSharedModel)('model-likelihood score on the tiny GGUF model', () => {
  sharedSkipReason('model')
  const s = testServices()
  const golden = 'The poster describes feeling hopeless and empty every day, which are signs of depression.'
  const shuffled = golden.split(' ').reverse().join(' ')
  const generated = 'Yes. The post shows sadness and low mood.'

  it('is finite, deterministic, and higher for the golden text than for the same words shuffled', async () => {
    const scorer = inferenceLmScorer(s.inference, SHARED_TINY_MODEL)
    const a = await scorer.score(generated, golden)
    const b = await scorer.score(generated, golden)
    const c = await scorer.score(generated, shuffled)
    expect(a).not.toBeNull()
    expect(Number.isFinite(a!.meanLogProb)).toBe(true)
    expect(a!.meanLogProb).toBeLessThan(0)
    expect(b!.meanLogProb).toBe(a!.meanLogProb)
    expect(a!.meanLogProb).toBeGreaterThan(c!.meanLogProb)
    expect(await scorer.score(generated, '   ')).toBeNull()
  }, 120_000)

  it('scores a pair too long for the context on truncated text instead of failing', async () => {
    const scorer = inferenceLmScorer(s.inference, SHARED_TINY_MODEL)
    const r = await scorer.score('word '.repeat(20_000), golden)
    expect(r === null || (r.truncated && Number.isFinite(r.meanLogProb))).toBe(true)
  }, 120_000)
})
