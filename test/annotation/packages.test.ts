import { describe, expect, it } from 'vitest'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { testServices } from '../support/services'
import { tempDir } from '../support/tmp'
import { seedBenchmark } from './helpers'

describe('annotator packages across machines', () => {
  const lead = testServices('lead.db')
  const laptop = testServices('laptop.db')
  const dir = tempDir()
  seedBenchmark(lead.db, 6)
  const study = lead.annotation.createStudy({
    name: 'two machines',
    sources: [{ kind: 'gold', dataset: 'DR', split: 'test_instruction' }],
    seed: 99,
    annotatorsPerItem: 2,
    annotators: ['ana', 'ben'],
    extraAspects: [],
    breakMinutes: 30
  })
  const ana = study.annotatorProgress.find((p) => p.name === 'ana')!
  const out = join(dir, 'ana-out.json')

  it('exports a blinded package: no source, dataset or label', () => {
    const r = lead.annotation.exportPackage(study.id, ana.id, out)
    expect(r.items).toBe(6)
    const text = readFileSync(out, 'utf8')
    const pkg = JSON.parse(text) as { items: Record<string, unknown>[] }
    for (const it of pkg.items) expect(Object.keys(it).sort()).toEqual(['explanation', 'key', 'post', 'queuePos', 'sensitive'])
    expect(text).not.toMatch(/"source"|"dataset"|gold|tiny\.gguf/)
    expect(pkg.items.map((i) => i.key).every((k) => /^item-\d+$/.test(String(k)))).toBe(true)
  })

  it('creates the study on the other machine with the same queue order', () => {
    const r = laptop.annotation.mergePackage({ path: out, resolutions: [] })
    expect(r).toMatchObject({ created: true, added: 0, conflicts: [], annotator: 'ana' })
    const there = laptop.annotation.queue(r.studyId, laptop.annotation.annotators()[0].id)
    const here = lead.annotation.queue(study.id, ana.id)
    const keyOf = (s: typeof lead, id: number) => s.db.prepare('SELECT item_key FROM study_items WHERE id = ?').pluck().get(id)
    expect(there.entries.map((e) => keyOf(laptop, e.studyItemId))).toEqual(here.entries.map((e) => keyOf(lead, e.studyItemId)))
    expect(there.study.guidelines).toBe(here.study.guidelines)
    expect(laptop.db.prepare('SELECT DISTINCT source FROM study_items').pluck().all()).toEqual(['hidden'])
  })

  it('merges the ratings back; equal ones are unchanged, new ones added', () => {
    const sid = laptop.annotation.listStudies()[0].id
    const aid = laptop.annotation.annotators()[0].id
    const q = laptop.annotation.queue(sid, aid)
    for (const e of q.entries.slice(0, 3)) for (const a of ['fluency', 'completeness', 'reliability', 'overall']) laptop.annotation.rate({ studyId: sid, annotatorId: aid, studyItemId: e.studyItemId, aspect: a, score: 2 })
    laptop.annotation.setItemState({ studyId: sid, annotatorId: aid, studyItemId: q.entries[0].studyItemId, flagged: true, note: 'unclear post' })
    const back = join(dir, 'ana-back.json')
    laptop.annotation.exportPackage(sid, aid, back)
    const r = lead.annotation.mergePackage({ path: back, resolutions: [] })
    expect(r).toMatchObject({ created: false, added: 12, unchanged: 0, conflicts: [] })
    const again = lead.annotation.mergePackage({ path: back, resolutions: [] })
    expect(again).toMatchObject({ added: 0, unchanged: 12, conflicts: [] })
    const first = lead.annotation.queue(study.id, ana.id).entries[0]
    expect(lead.annotation.item(study.id, ana.id, first.studyItemId)).toMatchObject({ flagged: true, note: 'unclear post' })
  })

  it('lists conflicts and overwrites nothing without the user\u2019s word', () => {
    const sid = laptop.annotation.listStudies()[0].id
    const aid = laptop.annotation.annotators()[0].id
    const entry = laptop.annotation.queue(sid, aid).entries[0]
    laptop.annotation.rate({ studyId: sid, annotatorId: aid, studyItemId: entry.studyItemId, aspect: 'fluency', score: 0 })
    laptop.annotation.setItemState({ studyId: sid, annotatorId: aid, studyItemId: entry.studyItemId, note: 'changed my mind' })
    // meanwhile the lead's copy changed the same note differently
    const leadEntry = lead.annotation.queue(study.id, ana.id).entries[0]
    lead.annotation.setItemState({ studyId: study.id, annotatorId: ana.id, studyItemId: leadEntry.studyItemId, note: 'lead edit' })
    const back = join(dir, 'ana-back2.json')
    laptop.annotation.exportPackage(sid, aid, back)
    const r = lead.annotation.mergePackage({ path: back, resolutions: [] })
    expect(r.conflicts).toEqual([
      { item: expect.any(String), field: 'fluency', annotator: 'ana', mine: 2, theirs: 0 },
      { item: expect.any(String), field: 'note', annotator: 'ana', mine: 'lead edit', theirs: 'changed my mind' }
    ])
    const item = lead.annotation.item(study.id, ana.id, leadEntry.studyItemId)
    expect(item.scores.fluency).toBe(2)
    expect(item.note).toBe('lead edit')
    // the user decides: theirs for the score, mine for the note
    const decided = lead.annotation.mergePackage({
      path: back,
      resolutions: [
        { item: r.conflicts[0].item, field: 'fluency', take: 'theirs' },
        { item: r.conflicts[1].item, field: 'note', take: 'mine' }
      ]
    })
    expect(decided).toMatchObject({ resolved: 2, conflicts: [] })
    const after = lead.annotation.item(study.id, ana.id, leadEntry.studyItemId)
    expect(after.scores.fluency).toBe(0)
    expect(after.note).toBe('lead edit')
    // the replaced score is kept in the history
    expect(lead.db.prepare('SELECT old_score, new_score FROM rating_history WHERE aspect = ?').all('fluency')).toContainEqual({ old_score: 2, new_score: 0 })
  })

  it('rejects a broken or foreign package with the file and field named', () => {
    const bad = join(dir, 'bad.json')
    const pkg = JSON.parse(readFileSync(out, 'utf8'))
    writeFileSync(bad, JSON.stringify({ ...pkg, ratings: [{ item: pkg.items[0].key, aspect: 'fluency', score: 9, ratedAt: 'x' }] }))
    expect(() => lead.annotation.mergePackage({ path: bad, resolutions: [] })).toThrow(/bad\.json: ratings\[0\]: score 9 is outside Fluency's scale 0-3/)
    writeFileSync(bad, JSON.stringify({ ...pkg, format: 'other' }))
    expect(() => lead.annotation.mergePackage({ path: bad, resolutions: [] })).toThrow(/not an annotator package: format/)
    writeFileSync(bad, '{ not json')
    expect(() => lead.annotation.mergePackage({ path: bad, resolutions: [] })).toThrow(/not a JSON file/)
    writeFileSync(bad, JSON.stringify({ ...pkg, items: [...pkg.items, { ...pkg.items[0], key: 'nope:1', queuePos: 99 }] }))
    expect(() => lead.annotation.mergePackage({ path: bad, resolutions: [] })).toThrow(/not in study "two machines" here/)
  })
})
