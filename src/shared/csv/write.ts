import { guardFormula } from './formula'

/**
 * The one CSV writer: every CSV the app writes (annotation exports, run outputs in the
 * benchmark's layout, labelled outputs, the evaluation tables the UI downloads) goes through it,
 * and with it through the one formula-injection guard (./formula.ts). Plain code, no Node: the
 * renderer uses it as well as the main process.
 */
export type CsvCell = string | number | boolean | null | undefined

export interface CsvOptions {
  /** The line end written after every row, the last included (default LF). */
  newline?: '\n' | '\r\n'
  /** A byte-order mark first, so spreadsheet programs read the file as UTF-8. */
  bom?: boolean
  /**
   * Text cells a spreadsheet would run as a formula get an apostrophe (default on). Off only
   * where the user asked for the released scripts' exact bytes (docs/security.md).
   */
  guard?: boolean
  /**
   * 'padded' (default): quote a cell holding a comma, a quote, a line break or a byte-order
   * mark, or starting or ending with whitespace (so no reader trims it). 'minimal': only comma,
   * quote and line break: Python csv's QUOTE_MINIMAL, what pandas' to_csv writes, for files that
   * must equal the benchmark scripts' own output byte for byte.
   */
  quoting?: 'padded' | 'minimal'
}

const MINIMAL = /[",\r\n]/
const PADDED = /[",\r\n\ufeff]|^\s|\s$/

/**
 * One cell as CSV text: null and undefined are empty, numbers are written as numbers (a
 * non-finite one as empty), booleans as true/false, text guarded and quoted as the options say.
 */
export function csvField(value: CsvCell, opts: CsvOptions = {}): string {
  if (value === null || value === undefined) return ''
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : ''
  if (typeof value === 'boolean') return value ? 'true' : 'false'
  const text = opts.guard === false ? value : guardFormula(value)
  return (opts.quoting === 'minimal' ? MINIMAL : PADDED).test(text) ? `"${text.replace(/"/g, '""')}"` : text
}

/** A header row and the data rows as CSV text, every row (the last included) ended by the newline. */
export function writeCsv(header: readonly CsvCell[], rows: Iterable<readonly CsvCell[]>, opts: CsvOptions = {}): string {
  const newline = opts.newline ?? '\n'
  const line = (row: readonly CsvCell[]) => row.map((c) => csvField(c, opts)).join(',') + newline
  let out = (opts.bom ? '\ufeff' : '') + line(header)
  for (const row of rows) out += line(row)
  return out
}
