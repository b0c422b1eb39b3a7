import { beforeAll, describe, expect, it } from 'vitest'
import { findDataset } from '../../src/shared/imhi/datasets'
import { deserializeCrossFit, LabelClassifier, linkByExplanation, postGroup, serializeCrossFit, trainAndScore, type LabelledText } from '../../src/main/evaluation/classifier'
import { CrossFittedLabeller, foldOf } from '../../src/main/evaluation/crossfit'
import { seededRandom } from '../../src/main/evaluation/logreg'
import { goldExplanation } from '../../src/main/imhi/labels'
import { testServices } from '../support/services'
import { seedItems, seedRun } from './seed'

const CAMS = findDataset('CAMS')!
const SENTENCE: Record<string, string> = {
  none: 'This post shows no causes of depression.',
  'bias or abuse': 'This post shows causes of depression related to bias or abuse.',
  'jobs and career': 'This post shows causes of depression related to jobs and career.',
  medication: 'This post shows causes of depression related to medication.',
  relationship: 'This post shows causes of depression related to relationship.',
  alienation: 'This post shows causes of depression related to alienation.'
}

/**
 * The CAMS-like case: no training data, so the classifier learns from the test posts' gold
 * explanations. Here the explanations carry no signal at all (random words, labels drawn at
 * random), so any accuracy above chance (1/6) on them can only come from having seen them.
 */
function camsLike(n: number, seed: number): { post: string; label: string; response: string }[] {
  const rand = seededRandom(seed)
  const words = Array.from({ length: 400 }, (_, i) => `w${i.toString(36)}x`)
  return Array.from({ length: n }, (_, i) => {
    const label = CAMS.labels[Math.floor(rand() * CAMS.labels.length)]
    const text = Array.from({ length: 14 }, () => words[Math.floor(rand() * words.length)]).join(' ')
    return { post: `Post number ${i}: ${text.split(' ').slice(0, 5).join(' ')} and more.`, label, response: `${SENTENCE[label]} Reasoning: The post mentions ${text}.` }
  })
}

describe('cross-fitted labelling (a classifier that learned from the test posts)', () => {
  const rows = camsLike(240, 5)
  const data: LabelledText[] = rows.map((r) => ({ text: goldExplanation(r.response)!, label: r.label, group: postGroup(r.post) }))
  const { model, report, crossFit } = trainAndScore(CAMS, { train: [], val: [], test: data, expert: [] })
  const full = new LabelClassifier(model)
  const accuracy = (pred: string[]) => pred.filter((p, i) => p === rows[i].label).length / rows.length

  it('stores the fold models and the fold of every post', () => {
    expect(crossFit).not.toBeNull()
    expect(crossFit!.models.filter(Boolean)).toHaveLength(5)
    expect(Object.keys(crossFit!.posts)).toHaveLength(240)
    const back = deserializeCrossFit(serializeCrossFit(crossFit!), 'CAMS')
    expect(back.posts).toEqual(crossFit!.posts)
    expect(() => deserializeCrossFit(serializeCrossFit(crossFit!), 'DR')).toThrow(/another dataset/)
  })

  it('in-sample labels of the test posts are inflated; cross-fitted ones are not', () => {
    // "Model outputs" that repeat the gold explanations: the worst case for leakage.
    const outputs = data.map((d) => d.text)
    const inSample = accuracy(outputs.map((t) => full.label(t).label))
    const labeller = new CrossFittedLabeller(full, crossFit!, (m) => new LabelClassifier(m))
    const byPost = outputs.map((t, i) => labeller.label(t, null, { posts: [rows[i].post] }))
    const byGolden = outputs.map((t, i) => labeller.label(t, null, { golden: rows[i].response }))
    const crossFitted = accuracy(byPost.map((l) => l.label))
    expect(inSample).toBeGreaterThan(0.9)
    expect(crossFitted).toBeLessThan(0.35)
    // Exactly the out-of-fold test figure the classifier reports: the same fold models on the same texts.
    expect(crossFitted).toBeCloseTo(report.test!.accuracy, 12)
    expect(byPost.every((l) => l.heldOut === 'out_of_fold' && l.fold !== null)).toBe(true)
    expect(byGolden.map((l) => l.label)).toEqual(byPost.map((l) => l.label))
  })

  it('links rows that share an explanation text into one group, with all rows of their posts', () => {
    const g = linkByExplanation([
      { text: 'Reasoning: same words.', label: 'none', group: 'post a' },
      { text: 'Reasoning: other words.', label: 'none', group: 'post a' },
      { text: 'reasoning:  SAME words', label: 'none', group: 'post a (expert form)' },
      { text: 'Reasoning: unrelated.', label: 'none', group: 'post b' },
      { text: 'Reasoning: lone row.', label: 'none' }
    ])
    expect(g[0]).toBe(g[1])
    expect(g[2]).toBe(g[0])
    expect(new Set(g).size).toBe(3)
  })

  it('posts it never learned from get the full model; rows of unknown post are flagged', () => {
    expect(foldOf(crossFit!, { posts: ['A post nobody wrote about.'] })).toEqual({ fold: null, status: 'not_in_training' })
    expect(foldOf(crossFit!, {})).toEqual({ fold: null, status: 'unknown' })
    // Punctuation and case do not hide a post (posts are keyed by their words).
    expect(foldOf(crossFit!, { posts: [rows[3].post.toUpperCase().replace(':', ' -')] }).status).toBe('out_of_fold')
    const labeller = new CrossFittedLabeller(full, crossFit!, (m) => new LabelClassifier(m))
    expect(labeller.label('some text', null, {})).toMatchObject({ fold: null, heldOut: 'unknown' })
  })

  describe('through the service: imhi label / evaluate on a run of the test posts', () => {
    const s = testServices()
    let runId = 0
    beforeAll(async () => {
      const ids = seedItems(s.db, 'CAMS', 'test_instruction', rows)
      runId = seedRun(
        s.db,
        'echo',
        ids.map((itemId, i) => ({ itemId, text: data[i].text }))
      )
      const trained = await s.evaluation.trainClassifiers(['CAMS'])
      expect(trained.trained[0].crossFitted).toBe(true)
    })

    it('labels every row out-of-fold and reports the honest accuracy, the same as the classifier test figure', async () => {
      const r = await s.evaluation.label({ runId })
      const d = r.datasets.CAMS
      expect(d.crossFit).toEqual({ folds: 5, outOfFold: 240, notInTraining: 0, unknown: 0 })
      expect(d.rows.every((x) => x.heldOut === 'out_of_fold')).toBe(true)
      expect(d.metrics!.accuracy).toBeLessThan(0.35)
      expect(d.metrics!.accuracy).toBeCloseTo(s.evaluation.classifiers()[0].test!.accuracy, 12)
    })

    it('the stored evaluation shows which rows were labelled out-of-fold', async () => {
      const report = await s.evaluation.evaluate({ runId })
      const d = report.datasets.CAMS
      expect(d.classifierLabelling).toEqual({ folds: 5, outOfFold: 240, notInTraining: 0, unknown: 0 })
      expect(d.perRow.classifierHeldOut!.every((h) => h === 'out_of_fold')).toBe(true)
      expect(d.classifier!.accuracy).toBeLessThan(0.35)
      expect(report.notes.join(' ')).not.toMatch(/in-sample/)
    })

    it('a classifier trained before cross-fitting (no fold models) is flagged as possibly in-sample, never shown as clean', async () => {
      s.db.prepare("UPDATE label_classifiers SET cross_fit = NULL WHERE dataset = 'CAMS'").run()
      const r = await s.evaluation.label({ runId })
      expect(r.datasets.CAMS.crossFit).toEqual({ folds: 0, outOfFold: 0, notInTraining: 0, unknown: 240 })
      expect(r.datasets.CAMS.metrics!.accuracy).toBeGreaterThan(0.9)
      const report = await s.evaluation.evaluate({ runId })
      expect(report.datasets.CAMS.classifierLabelling).toEqual({ folds: 0, outOfFold: 0, notInTraining: 0, unknown: 240 })
      expect(report.datasets.CAMS.perRow.classifierHeldOut!.every((h) => h === 'unknown')).toBe(true)
      expect(report.notes.join(' ')).toMatch(/CAMS: its classifier learned from the test posts and was trained before cross-fitted labelling existed.*may be in-sample/)
    })
  })
})
