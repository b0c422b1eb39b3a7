import { describe, expect, it } from 'vitest'
import { guardFormula, unguardFormula } from '../../src/shared/csv/formula'

describe('spreadsheet formula guard', () => {
  it('prefixes cells a spreadsheet would run', () => {
    for (const v of ['=1+1', '+1', '-2', '@SUM(A1)', '\tx', '\rx']) expect(guardFormula(v)).toBe(`'${v}`)
  })
  it('leaves ordinary text alone', () => {
    for (const v of ['yes', '', ' =not first', "it's", '3 = 3']) expect(guardFormula(v)).toBe(v)
  })
  it('is reversible, also for text that already starts with an apostrophe before a risky character', () => {
    for (const v of ['=x', "'=x", "''+y", 'plain', "'plain"]) expect(unguardFormula(guardFormula(v))).toBe(v)
    expect(guardFormula("'=x")).toBe("''=x")
  })
})
