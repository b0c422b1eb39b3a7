import { describe, expect, it } from 'vitest'
import { csvCell, toCsv } from '../../src/renderer/src/pages/evaluate/csv'
import { histogram } from '../../src/renderer/src/pages/evaluate/DatasetDetail'

describe('CSV exports', () => {
  it('neutralizes spreadsheet formulas and quotes what needs quoting', () => {
    expect(csvCell('=HYPERLINK("http://x")')).toBe(`"'=HYPERLINK(""http://x"")"`)
    expect(csvCell('+1')).toBe("'+1")
    expect(csvCell('-cmd')).toBe("'-cmd")
    expect(csvCell('@SUM(A1)')).toBe("'@SUM(A1)")
    expect(csvCell('\tx')).toBe("'\tx")
    expect(csvCell(-0.25)).toBe('-0.25')
    expect(csvCell('a,b')).toBe('"a,b"')
    expect(csvCell(null)).toBe('')
    expect(csvCell(Number.NaN)).toBe('')
    expect(toCsv(['a', 'b'], [[1, 'x']])).toBe('a,b\r\n1,x\r\n')
  })
})

describe('score histogram', () => {
  it('bins finite values into equal widths', () => {
    const h = histogram([0, 0.5, 1, null, Number.NaN], 2)
    expect(h.map((b) => b.count)).toEqual([1, 2])
    expect(histogram([])).toEqual([])
  })
})
