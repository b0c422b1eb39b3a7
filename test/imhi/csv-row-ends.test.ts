// Row ends: a file whose rows end in a mix of CRLF and LF reads as the rows it has (pandas.read_csv
// gives the same cells: see the expected values below, checked with pandas 1.5 on these strings),
// and a real fault in such a file is reported as what it is (the row's cell count), not "truncated".
import { describe, expect, it } from 'vitest'
import { normalizeRowEnds, parseCsv } from '../../src/main/imhi/csv'

describe('CSV row ends', () => {
  it('one row ending in LF among CRLF rows: every row is read whole, line breaks inside quoted cells kept as written', () => {
    // pandas.read_csv(io.StringIO(text), keep_default_na=False).values.tolist() gives exactly these rows.
    const text = 'query,gpt\r\n"a",yes\n"b\nc",no\r\n"d, ""q""",yes\r\n"e\r\nf",no\r\n'
    expect(parseCsv(text, 'DR.csv').rows).toEqual([
      ['a', 'yes'],
      ['b\nc', 'no'],
      ['d, "q"', 'yes'],
      ['e\r\nf', 'no']
    ])
  })

  it('no stray CR or LF is left in a label when the header or the last row ends differently', () => {
    expect(parseCsv('query,gpt\n"a",yes\r\n"b",no\r\n', 'DR.csv').rows).toEqual([
      ['a', 'yes'],
      ['b', 'no']
    ])
    expect(parseCsv('query,gpt\r\n"a",yes\r\n"b",no\n', 'DR.csv').rows).toEqual([
      ['a', 'yes'],
      ['b', 'no']
    ])
    // A lone CR (old Mac files) ends a row too, as in pandas.
    expect(parseCsv('query,gpt\r"a",yes\r"b",no\r', 'DR.csv').rows).toEqual([
      ['a', 'yes'],
      ['b', 'no']
    ])
  })

  it('a real fault in the LF row is named as its cell count, with the row number', () => {
    expect(() => parseCsv('query,gpt\r\n"a",yes,extra\n"b",no\r\n', 'DR.csv')).toThrow(
      'DR.csv: row 1 has 3 cells but the header has 2 ("query", "gpt").'
    )
    // A quote in an unquoted cell is text, not the start of a quoted cell.
    expect(parseCsv('query,gpt\r\n5" tall,yes\n"b",no\r\n', 'DR.csv').rows).toEqual([
      ['5" tall', 'yes'],
      ['b', 'no']
    ])
  })

  it('an unclosed quote is still reported as a damaged file', () => {
    expect(() => parseCsv('query,gpt\r\n"a",yes\r\n"b,no\r\n', 'DR.csv')).toThrow(/a quoted cell is never closed/)
  })

  it('LF-only text is passed through untouched (no copy)', () => {
    const lf = 'query,gpt\n"a\r\nb",yes\n'.replace('\r', '')
    expect(normalizeRowEnds(lf)).toBe(lf)
  })
})
