// LM scoring: progress before the first row (which also loads the model), per row after, and a
// cancel that stops between rows with a 'cancelled' error; the UI's progress line in words.
import { describe, expect, it } from 'vitest'
import { lmScores } from '../../src/main/evaluation/report'
import type { LmScorer } from '../../src/main/evaluation/lmscore'
import type { OutputDataset } from '../../src/main/evaluation/outputs'
import { progressText } from '../../src/renderer/src/pages/evaluate/progressText'
import { createHandlers } from '../../src/main/api/handlers'
import { dispatch } from '../../src/main/api/dispatch'
import { testServices } from '../support/services'

function dataset(rows: number): OutputDataset {
  const pairs = Array.from({ length: rows }, (_, i) => ({ generated: `generated ${i}`, golden: i === 1 ? '' : `golden ${i}` }))
  return { info: { name: 'DR' }, pairs } as unknown as OutputDataset
}

describe('LM score progress and cancel', () => {
  it('reports 0 of N before the first row, then each row; rows without a golden are not counted', async () => {
    const seen: [number, number][] = []
    const scorer: LmScorer = { modelPath: '/m.gguf', score: async () => ({ meanLogProb: -1, tokens: 3, truncated: false }) }
    const r = await lmScores(dataset(4), scorer, (d, t) => seen.push([d, t]))
    expect(seen).toEqual([
      [0, 3],
      [1, 3],
      [2, 3],
      [3, 3]
    ])
    expect(r.n).toBe(3)
    expect(r.perRow).toEqual([-1, null, -1, -1])
  })

  it('an aborted signal stops it between rows with a cancelled error naming how far it got', async () => {
    const controller = new AbortController()
    let calls = 0
    const scorer: LmScorer = {
      modelPath: '/m.gguf',
      score: async () => {
        if (++calls === 2) controller.abort()
        return { meanLogProb: -1, tokens: 3, truncated: false }
      }
    }
    const err = (await lmScores(dataset(6), scorer, undefined, controller.signal).catch((e: unknown) => e)) as { code: string; message: string }
    expect(err.code).toBe('cancelled')
    expect(err.message).toBe('Evaluation cancelled during the LM score of DR (2 of 5 rows scored); nothing was stored.')
    expect(calls).toBe(2)
  })

  it('evaluation.cancel answers whether it found the evaluation (only the same client can cancel)', async () => {
    const s = testServices('lm-cancel.db')
    const handlers = createHandlers(s)
    const ctx = { client: { id: 'c1', transport: 'serve' as const, role: 'owner' as const, annotatorId: null }, emit: () => {} }
    await expect(dispatch(handlers, 'evaluation.cancel', { requestId: 'nothing-running' }, ctx)).resolves.toEqual({ cancelled: false })
    // Without a requestId it stops whatever ONNX scoring is in progress: none here.
    await expect(dispatch(handlers, 'evaluation.cancel', {}, ctx)).resolves.toEqual({ cancelled: false })
    await expect(dispatch(handlers, 'evaluation.cancel', { requestId: '' }, ctx)).rejects.toMatchObject({ code: 'invalid_input' })
  })

  it('the progress line says what is happening, in words', () => {
    expect(progressText({ stage: 'lm', dataset: 'DR', done: 0, total: 26 })).toBe('DR: LM score: loading the model and scoring the first of 26 rows…')
    expect(progressText({ stage: 'lm', dataset: 'DR', done: 5, total: 26 })).toBe('DR: LM score: 5 of 26 rows')
    expect(progressText({ stage: 'metrics', dataset: 'SAD', done: 0, total: 2 })).toBe('SAD: correctness and quality (dataset 1 of 2)')
  })
})
