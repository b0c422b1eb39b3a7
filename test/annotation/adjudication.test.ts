import { describe, expect, it } from 'vitest'
import Papa from 'papaparse'
import { dispatch, type CallContext } from '../../src/main/api/dispatch'
import { createHandlers } from '../../src/main/api/handlers'
import { testServices } from '../support/services'
import { seedBenchmark } from './helpers'
import type { ReviewItem, ReviewLists, StudyCharts } from '../../src/shared/api/annotation'

describe("the lead's review and adjudication", () => {
  const s = testServices()
  seedBenchmark(s.db, 6)
  const handlers = createHandlers(s)
  const owner: CallContext = { client: { id: 'o', transport: 'serve', role: 'owner', annotatorId: null }, emit: () => {} }
  const st = s.annotation.createStudy({ name: 'review', sources: [{ kind: 'gold', dataset: 'DR', split: 'test_instruction' }], seed: 9, annotatorsPerItem: 3, annotators: ['ana', 'ben', 'cy'], extraAspects: [], breakMinutes: 0 })
  const [ana, ben, cy] = st.annotatorProgress
  const items = s.annotation.queue(st.id, ana.id).entries.map((e) => e.studyItemId).sort((a, b) => a - b)
  const rate = (who: number, item: number, scores: number[]) =>
    ['fluency', 'completeness', 'reliability', 'overall'].forEach((aspect, k) => s.annotation.rate({ studyId: st.id, annotatorId: who, studyItemId: item, aspect, score: scores[k] }))
  // Item 0: wide disagreement on overall (0 vs 3); item 1: a smaller one; item 2: agreement.
  rate(ana.id, items[0], [3, 2, 2, 0])
  rate(ben.id, items[0], [3, 2, 2, 3])
  rate(cy.id, items[0], [2, 2, 2, 2])
  rate(ana.id, items[1], [1, 1, 1, 1])
  rate(ben.id, items[1], [2, 1, 1, 1])
  rate(cy.id, items[2], [3, 3, 3, 3])
  rate(ana.id, items[2], [3, 3, 3, 3])
  s.annotation.setItemState({ studyId: st.id, annotatorId: ben.id, studyItemId: items[0], flagged: true, note: 'overall: is this even an explanation?' })
  s.annotation.setItemState({ studyId: st.id, annotatorId: cy.id, studyItemId: items[1], note: 'typo in the post' })
  s.annotation.setItemState({ studyId: st.id, annotatorId: cy.id, studyItemId: items[3], skipped: true })
  const rawBefore = JSON.stringify(s.db.prepare('SELECT * FROM ratings ORDER BY id').all())
  const agreementBefore = s.annotation.agreement(st.id)

  it('lists flagged items, notes with their authors, skipped items and the largest disagreements first', () => {
    const r = s.annotation.review(st.id, 200) as ReviewLists
    expect(r.flagged).toMatchObject([{ studyItemId: items[0], annotator: 'ben', note: 'overall: is this even an explanation?', source: 'gold' }])
    expect(r.notes.map((n) => [n.studyItemId, n.annotator, n.note])).toEqual([
      [items[0], 'ben', 'overall: is this even an explanation?'],
      [items[1], 'cy', 'typo in the post']
    ])
    expect(r.skipped).toMatchObject([{ studyItemId: items[3], annotator: 'cy' }])
    expect(r.disagreements.map((d) => [d.studyItemId, d.aspect, d.range])).toEqual([
      [items[0], 'overall', 3],
      [items[1], 'fluency', 1]
    ])
    expect(r.disagreements[0].scores).toEqual({ ana: 0, ben: 3, cy: 2 })
    expect(r).toMatchObject({ adjudicatedItems: 0, items: 6 })
    // One list only (what the review view pages through).
    const only = s.annotation.review(st.id, 200, 'notes')
    expect(only.notes).toEqual(r.notes)
    expect([only.flagged, only.skipped, only.disagreements]).toEqual([[], [], []])
    expect(s.annotation.review(st.id, 1, 'disagreements').disagreements.map((d) => d.studyItemId)).toEqual([items[0]])
  })

  it('gives the review view the order of one list, ids only', async () => {
    expect(await dispatch(handlers, 'annotation.reviewOrder', { studyId: st.id, list: 'disagreements' }, owner)).toEqual({ list: 'disagreements', studyItemIds: [items[0], items[1]] })
    expect(await dispatch(handlers, 'annotation.reviewOrder', { studyId: st.id, list: 'notes' }, owner)).toEqual({ list: 'notes', studyItemIds: [items[0], items[1]] })
    await expect(dispatch(handlers, 'annotation.reviewOrder', { studyId: st.id, list: 'everything' }, owner)).rejects.toThrow(/Invalid input/)
  })

  it('shows one item with every annotator side by side', () => {
    const v = s.annotation.reviewItem(st.id, items[0]) as ReviewItem
    expect(v.annotators.map((p) => [p.name, p.scores.overall, p.flagged, p.note])).toEqual([
      ['ana', 0, false, ''],
      ['ben', 3, true, 'overall: is this even an explanation?'],
      ['cy', 2, false, '']
    ])
    expect(v.spread.overall).toMatchObject({ n: 3, range: 3 })
    expect(v.post).toMatch(/^Post/)
    expect(v.revision).toBe(0)
    expect(v.adjudications).toEqual({})
  })

  it('records a decision per aspect apart from the raw ratings; agreement stays on the raw ratings', async () => {
    const v = (await dispatch(
      handlers,
      'annotation.adjudicate',
      { studyId: st.id, studyItemId: items[0], lead: 'Dr Lee', reason: 'ben misread the rubric', revision: 0, decisions: [{ aspect: 'overall', score: 2 }, { aspect: 'fluency', keep: cy.id }] },
      owner
    )) as ReviewItem
    expect(v.adjudications.overall).toMatchObject({ score: 2, keptAnnotator: null, reason: 'ben misread the rubric', lead: 'Dr Lee' })
    expect(v.adjudications.fluency).toMatchObject({ score: 2, keptAnnotator: 'cy' })
    expect(v.revision).toBe(1)
    expect(JSON.stringify(s.db.prepare('SELECT * FROM ratings ORDER BY id').all())).toBe(rawBefore)
    expect(s.annotation.agreement(st.id)).toEqual(agreementBefore)
    expect(s.annotation.review(st.id, 200).adjudicatedItems).toBe(1)
  })

  it('exports the adjudicated layout and the adjudicated column of the long layout', () => {
    const adj = Papa.parse<Record<string, string>>(s.annotation.exportCsv({ studyId: st.id, format: 'adjudicated', bom: false }).text!, { header: true, skipEmptyLines: true }).data
    const key = s.annotation.reviewItem(st.id, items[0]).item
    expect(adj.map((r) => [r.item_id, r.aspect, r.adjudicated, r.kept_annotator, r.lead, r.raw_scores])).toEqual([
      [key, 'fluency', '2', 'cy', 'Dr Lee', 'ana=3; ben=3; cy=2'],
      [key, 'overall', '2', '', 'Dr Lee', 'ana=0; ben=3; cy=2']
    ])
    expect(adj[0].reason).toBe('ben misread the rubric')
    const long = Papa.parse<Record<string, string>>(s.annotation.exportCsv({ studyId: st.id, format: 'long', bom: false }).text!, { header: true, skipEmptyLines: true }).data
    const overall = long.filter((r) => r.item_id === key && r.aspect === 'overall')
    expect(overall.map((r) => [r.annotator, r.score, r.adjudicated])).toEqual([
      ['ana', '0', '2'],
      ['ben', '3', '2'],
      ['cy', '2', '2']
    ])
    expect(long.filter((r) => r.item_id === key && r.aspect === 'completeness').every((r) => r.adjudicated === '')).toBe(true)
  })

  it('refuses a second lead who decided on an old revision: a conflict, nothing stored', async () => {
    const before = JSON.stringify(s.db.prepare('SELECT * FROM adjudications ORDER BY study_item_id, aspect').all())
    await expect(
      dispatch(handlers, 'annotation.adjudicate', { studyId: st.id, studyItemId: items[0], lead: 'Dr Kim', reason: 'I think 3', revision: 0, decisions: [{ aspect: 'completeness', score: 1 }, { aspect: 'overall', score: 3 }] }, owner)
    ).rejects.toThrow(/adjudicated meanwhile by Dr Lee .*revision 1, you saw 0.*Nothing was stored/)
    expect(JSON.stringify(s.db.prepare('SELECT * FROM adjudications ORDER BY study_item_id, aspect').all())).toBe(before)
    // With the current revision the change goes through, and the replaced decision is kept in the history.
    const v = s.annotation.adjudicate({ studyId: st.id, studyItemId: items[0], lead: 'Dr Kim', reason: 'discussed with Dr Lee', revision: 1, decisions: [{ aspect: 'overall', score: 3 }] })
    expect(v.adjudications.overall).toMatchObject({ score: 3, lead: 'Dr Kim' })
    expect(v.adjudications.fluency).toMatchObject({ lead: 'Dr Lee' })
    expect(v.revision).toBe(2)
    expect(s.db.prepare('SELECT score, lead, revision FROM adjudication_history').all()).toEqual([{ score: 2, lead: 'Dr Lee', revision: 1 }])
  })

  it('refuses bad decisions whole: off the scale, an unknown aspect, keeping a score that does not exist, no reason; an annotator token', async () => {
    const before = JSON.stringify(s.db.prepare('SELECT * FROM adjudications').all())
    const rev = s.annotation.reviewItem(st.id, items[1]).revision
    const call = (params: Record<string, unknown>, ctx = owner) =>
      dispatch(handlers, 'annotation.adjudicate', { studyId: st.id, studyItemId: items[1], lead: 'Dr Lee', reason: 'r', revision: rev, ...params }, ctx)
    await expect(call({ decisions: [{ aspect: 'fluency', score: 1 }, { aspect: 'overall', score: 4 }] })).rejects.toThrow(/Score 4 is outside Overall's scale 0-3/)
    await expect(call({ decisions: [{ aspect: 'empathy', score: 1 }] })).rejects.toThrow(/no aspect "empathy"/)
    await expect(call({ decisions: [{ aspect: 'fluency', keep: cy.id }] })).rejects.toThrow(/has no Fluency score on this item to keep/)
    await expect(call({ decisions: [{ aspect: 'fluency', score: 1 }, { aspect: 'fluency', score: 2 }] })).rejects.toThrow(/decided twice/)
    await expect(call({ reason: '  ', decisions: [{ aspect: 'fluency', score: 1 }] })).rejects.toThrow(/reason/)
    await expect(call({ decisions: [] })).rejects.toThrow(/decisions/)
    const token = s.annotation.annotators().find((p) => p.name === 'ben')!.token
    const asBen: CallContext = { client: { id: 'b', transport: 'serve', ...s.annotation.resolveToken(token)! }, emit: () => {} }
    await expect(call({ decisions: [{ aspect: 'fluency', score: 1 }] }, asBen)).rejects.toThrow(/may not call "annotation.adjudicate"/)
    await expect(dispatch(handlers, 'annotation.review', { studyId: st.id }, asBen)).rejects.toThrow(/may not call/)
    await expect(dispatch(handlers, 'annotation.reviewOrder', { studyId: st.id, list: 'notes' }, asBen)).rejects.toThrow(/may not call/)
    await expect(dispatch(handlers, 'annotation.charts', { studyId: st.id }, asBen)).rejects.toThrow(/may not call/)
    await expect(dispatch(handlers, 'annotation.reviewItem', { studyId: st.id, studyItemId: items[1] }, asBen)).rejects.toThrow(/may not call/)
    expect(JSON.stringify(s.db.prepare('SELECT * FROM adjudications').all())).toBe(before)
    expect(JSON.stringify(s.db.prepare('SELECT * FROM ratings ORDER BY id').all())).toBe(rawBefore)
    expect(() => s.annotation.reviewItem(st.id, 9999)).toThrow(/has no item 9999/)
  })

  it('charts: distributions per annotator, alpha with bootstrap intervals, time and progress', async () => {
    const c = (await dispatch(handlers, 'annotation.charts', { studyId: st.id, resamples: 500, seed: 3 }, owner)) as StudyCharts
    expect(c.annotators).toEqual(['ana', 'ben', 'cy'])
    expect(c.distributions.overall).toEqual({ ana: [1, 1, 0, 1], ben: [0, 1, 0, 1], cy: [0, 0, 1, 1] })
    const ov = c.agreement.find((a) => a.aspect === 'overall' && a.metric === 'krippendorff_alpha_interval')!
    expect(ov.estimate).toBeCloseTo(agreementBefore.aspects.overall.krippendorff_alpha_interval!, 12)
    expect(ov.low!).toBeLessThanOrEqual(ov.high!)
    const again = (await dispatch(handlers, 'annotation.charts', { studyId: st.id, resamples: 500, seed: 3 }, owner)) as StudyCharts
    expect(again.agreement).toEqual(c.agreement)
    expect(c.progress.filter((p) => p.annotator === 'ana').at(-1)!.ratings).toBe(12)
    expect(c.bootstrap).toEqual({ resamples: 500, seed: 3 })
  })

  it('ranks again after any write: a new disagreement shows up in the order at once', () => {
    const before = s.annotation.reviewOrder(st.id, 'disagreements')
    expect(before).not.toContain(items[2])
    s.annotation.rate({ studyId: st.id, annotatorId: cy.id, studyItemId: items[2], aspect: 'overall', score: 0 })
    expect(s.annotation.reviewOrder(st.id, 'disagreements')).toEqual([items[2], items[0], items[1]]) // range 3 both; SD 2.12 (3, 0) before 1.53 (0, 3, 2)
  })
})
