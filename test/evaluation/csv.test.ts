import { describe, expect, it } from 'vitest'
import { csvField as csvCell, writeCsv } from '../../src/shared/csv/write'
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
    expect(writeCsv(['a', 'b'], [[1, 'x']], { newline: '\r\n' })).toBe('a,b\r\n1,x\r\n')
  })

  it('the one writer: padded quoting by default, minimal (pandas) on request, BOM, guard off only when asked', () => {
    // Padded: leading/trailing whitespace and a stray byte-order mark are quoted so no reader trims them.
    expect(csvCell(' x')).toBe('" x"')
    expect(csvCell('x\t')).toBe('"x\t"')
    expect(csvCell('a\ufeffb')).toBe('"a\ufeffb"')
    expect(csvCell(true)).toBe('true')
    expect(csvCell(undefined)).toBe('')
    // Minimal: Python csv QUOTE_MINIMAL, what pandas' to_csv writes: only comma, quote, line break.
    expect(csvCell(' x', { quoting: 'minimal' })).toBe(' x')
    expect(csvCell('a"b', { quoting: 'minimal' })).toBe('"a""b"')
    expect(csvCell('a\rb', { quoting: 'minimal' })).toBe('"a\rb"')
    expect(csvCell('=1', { guard: false })).toBe('=1')
    // The header goes through the guard too; every row, the last included, ends with the newline.
    expect(writeCsv(['=h'], [], { bom: true })).toBe("\ufeff'=h\n")
    expect(writeCsv(['a'], [['-1'], [-1]])).toBe("a\n'-1\n-1\n")
  })
})

describe('score histogram', () => {
  it('bins finite values into equal widths', () => {
    const h = histogram([0, 0.5, 1, null, Number.NaN], 2)
    expect(h.map((b) => b.count)).toEqual([1, 2])
    expect(histogram([])).toEqual([])
  })

  it('a fraction score (ROUGE, confidence) is binned over 0–100 % in percent, so all-zero ROUGE has no negative axis', () => {
    const zeros = histogram([0, 0, 0], 20, 'fraction')
    expect(zeros).toHaveLength(20)
    expect(zeros[0]).toEqual({ bin: '0–5%', count: 3 })
    expect(zeros.at(-1)).toEqual({ bin: '95–100%', count: 0 })
    expect(zeros.every((b) => !b.bin.includes('-'))).toBe(true)
    // 1.0 falls in the last bin; 0.05 in the second (bins are [from, to)).
    expect(histogram([1, 0.05, 0.049], 20, 'fraction').filter((b) => b.count > 0)).toEqual([
      { bin: '0–5%', count: 1 },
      { bin: '5–10%', count: 1 },
      { bin: '95–100%', count: 1 }
    ])
    // A raw value (the LM score's log-probability) keeps the data's own range, negative as it is.
    expect(histogram([-2, -2], 2).map((b) => b.bin)).toEqual(['-2.25', '-1.75'])
  })
})
