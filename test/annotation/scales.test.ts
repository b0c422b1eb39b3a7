import { describe, expect, it } from 'vitest'
import { spawnSync } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { tempDir } from '../support/tmp'
import { testServices } from '../support/services'
import { seedBenchmark } from './helpers'
import { defaultAspectsOn } from '../../src/shared/api/annotation'
import { parseScale, ratingsFromFile } from '../../src/main/annotation/io'

const CLI = resolve(__dirname, '..', '..', 'bin', 'imhi.js')
function imhi(...args: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 60_000 })
  return { out: r.stdout, err: r.stderr, code: r.status }
}

// Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", section E: 4 observers,
// 12 units, values 1-5, missing data. Published: nominal .743, ordinal .815, interval .849.
const _ = null
const OBSERVERS = [
  [1, 2, 3, 3, 2, 1, 4, 1, 2, _, _, _],
  [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, _, 3],
  [_, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, _],
  [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, _]
]

/** The example as a long-layout CSV (aspect "overall", the observers A-D as annotators). */
function krippendorffCsv(withScale: boolean): string {
  const lines = [withScale ? 'item_id,annotator,aspect,score,scale_min,scale_max' : 'item_id,annotator,aspect,score']
  OBSERVERS.forEach((obs, k) =>
    obs.forEach((v, u) => {
      if (v !== null) lines.push(`unit${u + 1},${'ABCD'[k]},overall,${v}${withScale ? ',1,5' : ''}`)
    })
  )
  return lines.join('\n') + '\n'
}

describe('rating scales', () => {
  const dir = tempDir()

  it("gives Krippendorff's published example (1-5, missing values) through the CLI, with --scale and with the file's scale columns", () => {
    const plain = join(dir, 'k2011.csv')
    writeFileSync(plain, krippendorffCsv(false))
    // Without a scale the IMHI 0-3 default refuses the 4s and 5s, naming the row and the way out.
    const refused = imhi('agreement', plain, '--json')
    expect(refused.code).not.toBe(0)
    expect(refused.err).toMatch(/k2011\.csv: \d+ problem\(s\): data row \d+, column "score", score [45] is outside 0-3 \(the IMHI scale; give the scale when the file uses another\)/)
    for (const [file, extra] of [
      [plain, ['--scale', '1-5']],
      [join(dir, 'k2011-scaled.csv'), []]
    ] as const) {
      if (extra.length === 0) writeFileSync(file, krippendorffCsv(true))
      const r = imhi('agreement', file, ...extra, '--json')
      expect(r.code, r.err).toBe(0)
      const a = JSON.parse(r.out).aspects.overall
      expect(a.krippendorff_alpha_nominal.toFixed(3)).toBe('0.743')
      expect(a.krippendorff_alpha_ordinal.toFixed(3)).toBe('0.815')
      expect(a.krippendorff_alpha_interval.toFixed(3)).toBe('0.849')
      expect(a.annotators).toBe(4)
    }
    // The text output shows the three too.
    const text = imhi('agreement', plain, '--scale', '1-5')
    expect(text.out).toMatch(/overall\s+0\.849\s+0\.815/)
    expect(text.out).toMatch(/alpha nominal: overall 0\.743/)
  })

  it('refuses a bad --scale, a scale that contradicts the file, and mixed scales in one aspect', () => {
    const file = join(dir, 'k-scaled.csv')
    writeFileSync(file, krippendorffCsv(true))
    const bad = imhi('agreement', file, '--scale', '5-1')
    expect(bad.code).not.toBe(0)
    expect(bad.err).toMatch(/--scale: "5-1" is not a scale like 1-5/)
    const contra = imhi('agreement', file, '--scale', '0-7')
    expect(contra.code).not.toBe(0)
    expect(contra.err).toMatch(/the file says 1-5 for aspect "overall", the given scale is 0-7/)
    const mixed = join(dir, 'mixed.csv')
    writeFileSync(mixed, 'item_id,annotator,aspect,score,scale_min,scale_max\na,x,overall,3,1,5\na,y,overall,2,0,3\nb,x,overall,1,,\nb,y,fluency,1,0,3\n')
    const r = imhi('agreement', mixed, '--json')
    expect(r.code).not.toBe(0)
    expect(r.err).toMatch(/data row 2, column "scale_min", mixed scales in aspect "overall": 0-3 here, 1-5 in data row 1/)
    expect(r.err).toMatch(/data row 3, column "scale_min", mixed scales in aspect "overall": no scale here, 1-5 in data row 1/)
    expect(r.err).toMatch(/Nothing was imported/)
    expect(parseScale('1-7')).toEqual({ min: 1, max: 7 })
    expect(parseScale(' 0 – 3 ')).toEqual({ min: 0, max: 3 })
    for (const t of ['3-3', '7-1', 'a-b', '1-', '-1-5', '1-500']) expect(parseScale(t), t).toBeNull()
  })

  it('reads an imhi-layout file on a given scale', () => {
    const file = join(dir, 'likert.csv')
    writeFileSync(file, 'text,label,gpt-3.5-turbo,fluency,completeness,reliability,overall\np,1,e,"[5, 4]","[1, 2]","[3, 3]","[4, 5]"\nq,0,f,"[2, 2]","[1, 1]","[5, 4]","[4, 4]"\n')
    expect(() => ratingsFromFile(file)).toThrow(/score 5 is outside 0-3/)
    const { scales, ratings } = ratingsFromFile(file, { min: 1, max: 5 })
    expect(scales.every((s) => s.min === 1 && s.max === 5)).toBe(true)
    expect(ratings).toHaveLength(16)
    expect(() => ratingsFromFile(file, { min: 2, max: 5 })).toThrow(/score 1 is outside 2-5 \(the given scale\)/)
  })

  it('a 1-5 study: labels per point, ratings off the scale refused, the scale frozen once rating starts, exported and read back as 1-5', () => {
    const s = testServices()
    seedBenchmark(s.db, 4)
    const aspects = defaultAspectsOn(1, 5)
    expect(aspects[0].rubric).toEqual(['1 — very poor', '2 — poor', '3 — fair', '4 — good', '5 — very good'])
    expect(defaultAspectsOn(1, 7)[0].rubric).toHaveLength(7)
    expect(defaultAspectsOn(0, 3)[0].rubric[0]).toMatch(/^0 — unreadable/)
    const st = s.annotation.createStudy({
      name: 'likert',
      sources: [{ kind: 'gold', dataset: 'DR', split: 'test_instruction' }],
      seed: 5,
      annotatorsPerItem: 2,
      annotators: ['a', 'b'],
      aspects,
      extraAspects: [{ key: 'empathy', label: 'Empathy', min: 1, max: 7, rubric: [] }],
      breakMinutes: 0
    })
    expect(st.aspects.map((a) => `${a.key}:${a.min}-${a.max}`)).toEqual(['fluency:1-5', 'completeness:1-5', 'reliability:1-5', 'overall:1-5', 'empathy:1-7'])
    const [a, b] = st.annotatorProgress
    const item = s.annotation.queue(st.id, a.id).entries[0].studyItemId
    expect(() => s.annotation.rate({ studyId: st.id, annotatorId: a.id, studyItemId: item, aspect: 'fluency', score: 0 })).toThrow(/Score 0 is outside Fluency's scale 1-5/)
    expect(() => s.annotation.rate({ studyId: st.id, annotatorId: a.id, studyItemId: item, aspect: 'fluency', score: 6 })).toThrow(/outside Fluency's scale 1-5/)
    expect(s.db.prepare('SELECT count(*) AS n FROM ratings').get()).toEqual({ n: 0 })
    // Before any rating the scale may still change; after the first, never.
    s.annotation.updateStudy({ studyId: st.id, aspects: st.aspects.map((x) => (x.key === 'empathy' ? { ...x, min: 1, max: 5 } : x)) })
    s.annotation.rate({ studyId: st.id, annotatorId: a.id, studyItemId: item, aspect: 'fluency', score: 5 })
    s.annotation.rate({ studyId: st.id, annotatorId: b.id, studyItemId: item, aspect: 'fluency', score: 4 })
    s.annotation.rate({ studyId: st.id, annotatorId: a.id, studyItemId: item, aspect: 'empathy', score: 5 })
    const now = s.annotation.study(st.id).aspects
    expect(() => s.annotation.updateStudy({ studyId: st.id, aspects: now.map((x) => (x.key === 'overall' ? { ...x, max: 7 } : x)) })).toThrow(/Rating has started in this study; Overall's scale 1-5 is frozen/)
    // Rubric text may still be edited.
    s.annotation.updateStudy({ studyId: st.id, aspects: now.map((x) => (x.key === 'overall' ? { ...x, rubric: ['1 — bad'] } : x)) })
    expect(s.annotation.study(st.id).aspects.find((x) => x.key === 'overall')!.max).toBe(5)
    // The long export carries the scale; the file alone reads back as 1-5.
    const long = s.annotation.exportCsv({ studyId: st.id, format: 'long', bom: false })
    expect(long.text!.split('\n')[0]).toBe('item_id,annotator,aspect,score,source,dataset,seconds,flagged,note,rated_at,scale_min,scale_max,adjudicated')
    const file = join(dir, 'likert-long.csv')
    writeFileSync(file, long.text!)
    const back = ratingsFromFile(file)
    expect(back.scales.find((x) => x.key === 'fluency')).toEqual({ key: 'fluency', min: 1, max: 5 })
    expect(back.ratings).toHaveLength(3)
    // ... and imports as a 1-5 study.
    const imported = s.annotation.importCsv(file, 'likert again')
    expect(s.annotation.study(imported.studyId).aspects.find((x) => x.key === 'fluency')).toMatchObject({ min: 1, max: 5 })
    // An aspect named twice is refused.
    expect(() => s.annotation.createStudy({ name: 'x', sources: [{ kind: 'gold', dataset: 'DR', split: 'test_instruction' }], annotatorsPerItem: 1, annotators: ['a'], aspects: [aspects[0], aspects[0]], extraAspects: [], breakMinutes: 0 })).toThrow(
      /Aspect "fluency" is defined twice/
    )
  })
})
