import Papa from 'papaparse'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { extractLabel } from '../../src/main/evaluation/extract'
import { goldLabel } from '../../src/main/imhi/labels'
import { DATASETS } from '../../src/shared/imhi/datasets'
import { SHARED_IMHI, hasSharedImhi, sharedSkipReason } from '../support/shared'

describe('extractLabel (lenient, for generated responses)', () => {
  it('reads the label sentence first', () => {
    expect(extractLabel('DR', 'Yes, the poster suffers from depression. Reasoning: no energy, no sleep.')).toEqual({ label: 'yes', source: 'label_sentence' })
    expect(extractLabel('DR', 'No, the poster does not suffer from depression. Reasoning: ...').label).toBe('no')
    expect(extractLabel('SAD', 'This post shows the stress cause related to emotion turmoil. Reasoning: ...').label).toBe('emotional turmoil')
    expect(extractLabel('CAMS', 'This post shows no causes of depression. Reasoning: ...').label).toBe('none')
    expect(extractLabel('t-sid', 'This post shows PTSD. Reasoning: flashbacks').label).toBe('ptsd')
    expect(extractLabel('swmh', 'This post shows mental disorder symptoms related to bipolar disorder.').label).toBe('bipolar disorder')
  })

  it('falls back to the first sentences when the response starts with "Reasoning:"', () => {
    const r = extractLabel('Irf', '\n\nReasoning: The given post does not show risk of thwarted belongingness. The individual asks about a drug.')
    expect(r).toEqual({ label: 'no', source: 'first_sentences' })
    expect(extractLabel('dreaddit', 'Reasoning: 1. The poster suffers from stress about exams.').label).toBe('yes')
  })

  it('uses synonyms and refuses ambiguity', () => {
    expect(extractLabel('t-sid', 'The poster shows suicidal ideation.').label).toBe('suicide or self-harm')
    expect(extractLabel('SAD', 'The stress comes from money problems.').label).toBe('financial problem')
    // Two classes named equally: no label (OOD), not a guess.
    expect(extractLabel('CAMS', 'This post shows medication or relationship.').label).toBeNull()
  })

  it('marks empty and label-less responses; reads only the start of a 100,000-character response', () => {
    expect(extractLabel('DR', '   ')).toEqual({ label: null, source: 'empty' })
    expect(extractLabel('SAD', 'I cannot tell.').label).toBeNull()
    const long = 'Yes, the poster suffers from depression. ' + 'x'.repeat(100_000)
    const t = performance.now()
    expect(extractLabel('DR', long).label).toBe('yes')
    expect(performance.now() - t).toBeLessThan(200)
  })

  it('throws on an unknown dataset', () => {
    expect(() => extractLabel('nope', 'yes')).toThrow(/Unknown dataset/)
  })
})

describe.skipIf(!hasSharedImhi)('extractLabel on every gold response of ../shared/imhi', () => {
  sharedSkipReason('imhi')
  const files = DATASETS.flatMap((d) => [
    { d, file: join(SHARED_IMHI, 'test_data/test_instruction', `${d.name}.csv`), mustLabel: true },
    { d, file: join(SHARED_IMHI, 'human_evaluation/test_instruction_expert', `${d.name}.csv`), mustLabel: true },
    { d, file: join(SHARED_IMHI, 'train_data/instruction_data', d.name, 'train.csv'), mustLabel: false },
    { d, file: join(SHARED_IMHI, 'train_data/instruction_data', d.name, 'val.csv'), mustLabel: false }
  ]).filter((f) => existsSync(f.file))

  it('agrees with the gold label of every released response, and finds one for every test item', () => {
    let total = 0
    const disagreements: string[] = []
    for (const { d, file, mustLabel } of files) {
      const rows = Papa.parse<Record<string, string>>(readFileSync(file, 'utf8').replace(/^\ufeff/, ''), { header: true, skipEmptyLines: true }).data
      for (const [i, r] of rows.entries()) {
        const response = r['gpt-3.5-turbo']
        const gold = goldLabel(d.name, response)
        const got = extractLabel(d, response).label
        total++
        if (mustLabel && gold === null) disagreements.push(`${file} row ${i + 1}: no gold label`)
        if (gold !== null && got !== gold) disagreements.push(`${file} row ${i + 1}: extracted ${got}, gold ${gold}`)
      }
    }
    expect(disagreements.slice(0, 10)).toEqual([])
    expect(total).toBe(21702)
  })
})
