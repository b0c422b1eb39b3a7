// Progress and cancel of the long evaluation jobs that had none: classifier training (between
// datasets; what was trained is kept) and the LM scoring of a correlation analysis.
import { describe, expect, it } from 'vitest'
import { join } from 'node:path'
import { createHandlers } from '../../src/main/api/handlers'
import { dispatch } from '../../src/main/api/dispatch'
import { correlationReport, type RatedExplanation } from '../../src/main/evaluation/agreement'
import type { LmScorer } from '../../src/main/evaluation/lmscore'
import { testServices } from '../support/services'
import { tempDir } from '../support/tmp'
import { writeImhiFixture } from '../support/imhi-fixture'
import { scaledImhi } from '../../bench/support/scaled-imhi'

describe('classifier training: progress and cancel', () => {
  const s = testServices('train-cancel.db')
  const source = scaledImhi(writeImhiFixture(join(tempDir(), 'fixture')), 20)

  it('stops between datasets when its signal is aborted, keeping what it trained, saying which', async () => {
    await s.imhi.importPath(source)
    const controller = new AbortController()
    const seen: string[] = []
    const err = (await s.evaluation
      .trainClassifiers(
        ['DR', 'dreaddit', 'SAD'],
        (dataset, done) => {
          seen.push(dataset)
          if (done === 1) controller.abort()
        },
        { signal: controller.signal }
      )
      .catch((e: unknown) => e)) as { code: string; message: string; details: { trained: string[] } }
    expect(err.code).toBe('cancelled')
    expect(seen).toEqual(['DR', 'dreaddit'])
    expect(err.details.trained).toEqual(['DR'])
    expect(err.message).toBe('Classifier training cancelled; the classifiers of DR were trained and are kept.')
    expect(s.evaluation.classifiers().map((c) => c.dataset)).toEqual(['DR'])
  })

  it('evaluation.cancel with the training\'s requestId stops it, for the client that started it only', async () => {
    const handlers = createHandlers(s)
    const events: { stage: string; dataset: string | null; done: number }[] = []
    const mine = { client: { id: 'c1', transport: 'serve' as const, role: 'owner' as const, annotatorId: null }, emit: (_e: string, p: unknown) => void events.push(p as never) }
    const other = { ...mine, client: { ...mine.client, id: 'c2' } }
    const training = dispatch(handlers, 'evaluation.trainClassifiers', { datasets: ['dreaddit', 'SAD', 'DR'], requestId: 'train-1' }, mine)
    // Its first dataset is under way (the service yields before each one): cancel it.
    await expect(dispatch(handlers, 'evaluation.cancel', { requestId: 'train-1' }, other)).resolves.toEqual({ cancelled: false })
    await expect(dispatch(handlers, 'evaluation.cancel', { requestId: 'train-1' }, mine)).resolves.toEqual({ cancelled: true })
    await expect(training).rejects.toMatchObject({ code: 'cancelled' })
    expect(events[0]).toEqual({ stage: 'train', dataset: 'dreaddit', done: 0, total: 3 })
  })
})

describe('correlation analysis: LM scoring progress and cancel', () => {
  const rated = (n: number): RatedExplanation[] =>
    Array.from({ length: n }, (_, i) => ({ key: `s:${i}`, system: 's', post: `post ${i}`, explanation: `explanation ${i}`, golden: i === 2 ? null : `golden ${i}`, match: 'exact', origin: `f row ${i}`, ratings: { overall: i % 4 } }) as RatedExplanation)

  it('reports each scored explanation under the stage "lm"', async () => {
    const scorer: LmScorer = { modelPath: '/m.gguf', score: async () => ({ meanLogProb: -1, tokens: 3, truncated: false }) }
    const stages: string[] = []
    const seen: [number, number][] = []
    const r = await correlationReport('test', rated(5), scorer, { control: { onStage: (st) => stages.push(st), onProgress: (d, t) => seen.push([d, t]) } })
    expect(stages).toEqual(['lm'])
    expect(seen).toEqual([
      [1, 4],
      [2, 4],
      [3, 4],
      [4, 4]
    ])
    expect(r.metrics).toContain('lm')
  })

  it('stops between explanations when cancelled', async () => {
    const controller = new AbortController()
    let calls = 0
    const scorer: LmScorer = {
      modelPath: '/m.gguf',
      score: async () => {
        if (++calls === 2) controller.abort()
        return { meanLogProb: -1, tokens: 3, truncated: false }
      }
    }
    await expect(correlationReport('test', rated(6), scorer, { control: { signal: controller.signal } })).rejects.toMatchObject({ code: 'cancelled' })
    expect(calls).toBe(2)
  })
})
