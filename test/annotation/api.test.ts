import { describe, expect, it } from 'vitest'
import { dispatch, type CallContext } from '../../src/main/api/dispatch'
import { createHandlers } from '../../src/main/api/handlers'
import { testServices } from '../support/services'
import { seedBenchmark } from './helpers'

describe('annotation API: tokens, blinding, events', () => {
  const s = testServices()
  seedBenchmark(s.db, 6)
  const handlers = createHandlers(s)
  const owner: CallContext = { client: { id: 'o', transport: 'serve', role: 'owner', annotatorId: null }, emit: () => {} }
  const st = s.annotation.createStudy({
    name: 'lan',
    sources: [{ kind: 'gold', dataset: 'DR', split: 'test_instruction' }, { kind: 'expert' }],
    seed: 3,
    annotatorsPerItem: 1,
    annotators: ['ann', 'bo'],
    extraAspects: [{ key: 'empathy', label: 'Empathy', min: 0, max: 3, rubric: ['0', '1', '2', '3'] }],
    breakMinutes: 20
  })
  const [ann, bo] = st.annotatorProgress
  const profiles = s.annotation.annotators()
  const annToken = profiles.find((p) => p.name === 'ann')!.token
  const who = s.annotation.resolveToken(annToken)!
  const asAnn: CallContext = { client: { id: 'a', transport: 'serve', ...who }, emit: () => {} }

  it('resolves an annotator token to that annotator, and nothing else', () => {
    expect(who).toEqual({ role: 'annotator', annotatorId: ann.id })
    expect(s.annotation.resolveToken('nope')).toBeNull()
    expect(s.annotation.resolveToken('')).toBeNull()
    expect(new Set(profiles.map((p) => p.token)).size).toBe(profiles.length)
  })

  it('lets an annotator token call only the rating methods, as itself', async () => {
    await expect(dispatch(handlers, 'annotation.studies', {}, asAnn)).rejects.toThrow(/may not call "annotation.studies"/)
    await expect(dispatch(handlers, 'annotation.export', { studyId: st.id, format: 'imhi' }, asAnn)).rejects.toThrow(/may not call/)
    await expect(dispatch(handlers, 'annotation.agreement', { studyId: st.id }, asAnn)).rejects.toThrow(/may not call/)
    const q = (await dispatch(handlers, 'annotation.queue', { studyId: st.id }, asAnn)) as { annotator: { id: number }; entries: { studyItemId: number }[] }
    expect(q.annotator.id).toBe(ann.id)
    await expect(dispatch(handlers, 'annotation.queue', { studyId: st.id, annotatorId: bo.id }, asAnn)).rejects.toThrow(/only see and rate as themselves/)
    const boItem = s.annotation.queue(st.id, bo.id).entries[0].studyItemId
    await expect(dispatch(handlers, 'annotation.rate', { studyId: st.id, annotatorId: bo.id, studyItemId: boItem, aspect: 'overall', score: 1 }, asAnn)).rejects.toThrow(/only see and rate as themselves/)
    // without annotatorId the token rates as itself; it cannot reach another's item either
    await expect(dispatch(handlers, 'annotation.rate', { studyId: st.id, studyItemId: boItem, aspect: 'overall', score: 1 }, asAnn)).rejects.toThrow(/not in annotator/)
    const r = (await dispatch(handlers, 'annotation.rate', { studyId: st.id, studyItemId: q.entries[0].studyItemId, aspect: 'empathy', score: 3 }, asAnn)) as { score: number }
    expect(r.score).toBe(3)
    const mine = (await dispatch(handlers, 'annotation.myStudies', {}, asAnn)) as { id: number }[]
    expect(mine.map((m) => m.id)).toEqual([st.id])
  })

  it('shows items blinded: no source, dataset or label', async () => {
    const q = s.annotation.queue(st.id, ann.id)
    const item = (await dispatch(handlers, 'annotation.item', { studyId: st.id, studyItemId: q.entries[0].studyItemId }, asAnn)) as Record<string, unknown>
    expect(Object.keys(item).sort()).toEqual(['explanation', 'flagged', 'note', 'post', 'queuePos', 'scores', 'seconds', 'sensitive', 'skipped', 'studyItemId'])
    expect(JSON.stringify(q)).not.toMatch(/gold|expert|source/)
  })

  it('validates inputs and requires the owner to name the annotator', async () => {
    await expect(dispatch(handlers, 'annotation.rate', { studyId: st.id, studyItemId: 1, aspect: 'overall', score: 1 }, owner)).rejects.toThrow(/annotatorId/)
    await expect(dispatch(handlers, 'annotation.rate', { studyId: st.id, annotatorId: ann.id, studyItemId: 1, aspect: 'overall', score: 1.5 }, owner)).rejects.toThrow(/Invalid input for annotation.rate: score/)
    await expect(dispatch(handlers, 'annotation.createStudy', { name: 'x', sources: [], annotators: ['a'] }, owner)).rejects.toThrow(/sources/)
    await expect(
      dispatch(handlers, 'annotation.createStudy', { name: 'x', sources: [{ kind: 'gold', dataset: 'DR', split: 'test_instruction' }], annotators: ['a'], annotatorsPerItem: 2 }, owner)
    ).rejects.toThrow(/annotatorsPerItem is 2 but the study has only 1/)
  })

  it('flags sensitive posts for the content notice (keyword in the post)', () => {
    const rows = s.db.prepare('SELECT post, sensitive FROM study_items WHERE study_id = ?').all(st.id) as { post: string; sensitive: number }[]
    for (const r of rows) expect(Boolean(r.sensitive)).toBe(/suicide/.test(r.post))
    expect(rows.some((r) => r.sensitive)).toBe(true)
  })

  it('reports progress and resume points, and broadcasts changes', async () => {
    const seen: unknown[] = []
    const off = s.events.subscribe((event, payload) => event === 'annotation.changed' && seen.push(payload))
    const q = s.annotation.queue(st.id, bo.id)
    for (const a of ['fluency', 'completeness', 'reliability', 'overall', 'empathy']) {
      await dispatch(handlers, 'annotation.rate', { studyId: st.id, annotatorId: bo.id, studyItemId: q.entries[0].studyItemId, aspect: a, score: 2, seconds: 7 }, owner)
    }
    await dispatch(handlers, 'annotation.setItemState', { studyId: st.id, annotatorId: bo.id, studyItemId: q.entries[1].studyItemId, skipped: true }, owner)
    off()
    expect(seen).toHaveLength(6)
    const detail = s.annotation.study(st.id)
    const p = detail.annotatorProgress.find((x) => x.id === bo.id)!
    expect(p).toMatchObject({ done: 1, ratings: 5, skipped: 1, seconds: 7, resumeAt: 2 })
    expect(detail.aspects.map((a) => a.key)).toEqual(['fluency', 'completeness', 'reliability', 'overall', 'empathy'])
    // rating the skipped item later takes it off the skipped list
    s.annotation.rate({ studyId: st.id, annotatorId: bo.id, studyItemId: q.entries[1].studyItemId, aspect: 'fluency', score: 1 })
    expect(s.annotation.study(st.id).annotatorProgress.find((x) => x.id === bo.id)!.skipped).toBe(0)
  })

  it('edits guidelines and rubrics but refuses to drop a rated aspect', () => {
    const d = s.annotation.updateStudy({ studyId: st.id, guidelines: 'New guidelines' })
    expect(d.guidelines).toBe('New guidelines')
    expect(() => s.annotation.updateStudy({ studyId: st.id, aspects: d.aspects.filter((a) => a.key !== 'empathy') })).toThrow(/empathy already have ratings/)
  })

  it('adds a late annotator to items that still need raters', () => {
    s.annotation.updateStudy({ studyId: st.id, name: 'lan' })
    const before = s.annotation.study(st.id)
    const after = s.annotation.addAnnotator(st.id, 'cy')
    expect(after.annotators).toBe(before.annotators + 1)
    // every item already had its one annotator: nothing is left for cy
    expect(after.annotatorProgress.find((p) => p.name === 'cy')!.assigned).toBe(0)
  })
})
