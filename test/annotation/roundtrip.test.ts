import { describe, expect, it } from 'vitest'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import Papa from 'papaparse'
import { hasSharedImhi, sharedSkipReason, SHARED_IMHI } from '../support/shared'
import { testServices } from '../support/services'
import { tempDir } from '../support/tmp'

const DIR = join(SHARED_IMHI, 'human_evaluation', 'DR_annotation')
const FILES = ['chatgpt_data', 'chatgpt_false_data', 'gpt3_data'] as const
const ROWS = { chatgpt_data: 121, chatgpt_false_data: 43, gpt3_data: 121 }

function table(file: string): string[][] {
  const text = readFileSync(file, 'utf8').replace(/^\ufeff/, '')
  return Papa.parse<string[]>(text, { skipEmptyLines: 'greedy' }).data
}

sharedSkipReason('imhi')
describe.skipIf(!hasSharedImhi)('the released DR_annotation files', () => {
  const s = testServices()
  const out = tempDir()

  it('imports all three (one with a BOM, one with curie-instruct-beta) as one study with three annotators', () => {
    for (const f of FILES) {
      const r = s.annotation.importCsv(join(DIR, `${f}.csv`), 'DR human evaluation')
      expect(r.layout).toBe('imhi')
      expect(r.items).toBe(ROWS[f])
      expect(r.annotators).toEqual(['annotator 1', 'annotator 2', 'annotator 3'])
      expect(r.ratings).toBe(ROWS[f] * 4 * 3)
    }
    const st = s.annotation.study(1)
    expect(st.items).toBe(285)
    expect(st.sources).toEqual([
      { source: 'chatgpt_data', items: 121 },
      { source: 'chatgpt_false_data', items: 43 },
      { source: 'gpt3_data', items: 121 }
    ])
    expect(st.ratings).toBe(285 * 12)
    expect(st.expected).toBe(285 * 12)
  })

  it('refuses to import the same file into the study twice', () => {
    expect(() => s.annotation.importCsv(join(DIR, 'gpt3_data.csv'), 'DR human evaluation')).toThrow(/already holds the ratings of gpt3_data/)
  })

  for (const f of FILES) {
    it(`exports ${f} in the imhi layout with the same scores in the same order, byte for byte`, () => {
      const path = join(out, `${f}.csv`)
      s.annotation.exportCsv({ studyId: 1, format: 'imhi', path, bom: f === 'chatgpt_false_data', source: f })
      const original = table(join(DIR, `${f}.csv`))
      const exported = table(path)
      expect(exported[0]).toEqual(original[0]) // header, with the file's own explanation column
      expect(exported.length).toBe(original.length)
      // score columns: the exact cell bytes
      expect(exported.map((r) => r.slice(3).join('|'))).toEqual(original.map((r) => r.slice(3).join('|')))
      // and the texts, labels and explanations too
      expect(exported).toEqual(original)
      if (f === 'chatgpt_false_data') expect(readFileSync(path).subarray(0, 3)).toEqual(Buffer.from([0xef, 0xbb, 0xbf]))
    })
  }

  it('reproduces chatgpt_data.csv byte for byte as a whole file', () => {
    expect(readFileSync(join(out, 'chatgpt_data.csv'))).toEqual(readFileSync(join(DIR, 'chatgpt_data.csv')))
  })

  it('lists the ratings for the evaluation domain', () => {
    const all = s.annotation.listStudyRatings(1)
    expect(all).toHaveLength(285 * 12)
    const first = all.filter((r) => r.itemKey === 'chatgpt_data:1' && r.aspect === 'fluency').map((r) => r.score)
    const cell = table(join(DIR, 'chatgpt_data.csv'))[1][3]
    expect(`[${first.join(', ')}]`).toBe(cell)
    expect(all[0].source).toBe('chatgpt_data')
    expect(all[0].dataset).toBe('DR')
  })

  it('computes agreement equal to an independent computation on the released ratings', () => {
    const r = s.annotation.agreement(1)
    // Independent check of fluency: alpha interval from the pairwise definition
    // D_o = 1/n sum_u 1/(m_u-1) sum_{i!=j} (v_i-v_j)^2, D_e = 1/(n(n-1)) sum_{i!=j over all values} (v_i-v_j)^2
    const units = FILES.flatMap((f) => table(join(DIR, `${f}.csv`)).slice(1).map((row) => JSON.parse(row[3]) as number[]))
    const values = units.flat()
    const n = values.length
    let dO = 0
    for (const u of units) for (let i = 0; i < u.length; i++) for (let j = 0; j < u.length; j++) if (i !== j) dO += (u[i] - u[j]) ** 2 / (u.length - 1)
    dO /= n
    let dE = 0
    for (const a of values) for (const b of values) dE += (a - b) ** 2
    dE /= n * (n - 1)
    expect(r.aspects.fluency.krippendorff_alpha_interval).toBeCloseTo(1 - dO / dE, 10)
    expect(r.aspects.fluency.items).toBe(285)
    expect(r.aspects.fluency.annotators).toBe(3)
    expect(r.aspects.fluency.fleiss_items).toBe(285)
    expect(r.aspects.fluency.krippendorff_alpha_interval!.toFixed(3)).toBe('0.871')
    expect(r.aspects.fluency.fleiss_kappa!.toFixed(3)).toBe('0.686')
  })
})
