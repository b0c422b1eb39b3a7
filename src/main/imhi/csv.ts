import Papa from 'papaparse'
import { isUtf8 } from 'node:buffer'
import { createHash } from 'node:crypto'
import { readRegularFileSync } from '../files/regular'
import { AppError } from '../../shared/api/errors'

/**
 * Reading one IMHI CSV: size limit before reading, strict UTF-8, BOM, a real CSV parser
 * (quoted cells span lines and hold quotes and commas), and errors that name the file and row.
 */

/** Larger files are refused before a byte is read. The biggest released IMHI file is 3.2 MB. */
export const MAX_CSV_BYTES = 64 * 1024 * 1024

export interface CsvTable {
  /** Header cells as written (BOM removed, not trimmed). */
  header: string[]
  /** Data rows; rows[i] is data row i+1 of the file (the header is not counted). */
  rows: string[][]
  sha256: string
  sizeBytes: number
}

/** Reads a file whole after checking it is a regular file (links resolved) under the limit. */
export function readLimited(file: string, label: string, maxBytes = MAX_CSV_BYTES): Buffer {
  return readRegularFileSync(file, { label, maxBytes, what: 'IMHI CSV files', hint: '(the largest released file is 3.2 MB)' })
}

/** Byte offset of the first invalid UTF-8 sequence, or -1 (only run once decoding failed). */
export function firstInvalidUtf8(buf: Uint8Array): number {
  let i = 0
  while (i < buf.length) {
    const b = buf[i]
    let need = 0
    let min = 0
    if (b < 0x80) {
      i++
      continue
    } else if (b >= 0xc2 && b <= 0xdf) {
      need = 1
      min = 0x80
    } else if (b >= 0xe0 && b <= 0xef) {
      need = 2
      min = 0x800
    } else if (b >= 0xf0 && b <= 0xf4) {
      need = 3
      min = 0x10000
    } else return i
    let cp = b & (0x3f >> need)
    for (let k = 1; k <= need; k++) {
      const c = buf[i + k]
      if (c === undefined || (c & 0xc0) !== 0x80) return i
      cp = (cp << 6) | (c & 0x3f)
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return i
    i += need + 1
  }
  return -1
}

/**
 * Decodes strict UTF-8 (a BOM is dropped); names the line of the first bad byte otherwise.
 * isUtf8 is the same strict check as TextDecoder's fatal mode, done natively and faster.
 */
export function decodeUtf8(buf: Buffer, label: string): string {
  if (isUtf8(buf)) {
    const text = buf.toString('utf8')
    return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text
  }
  const at = firstInvalidUtf8(buf)
  const line = at < 0 ? null : buf.subarray(0, at).reduce((n, c) => (c === 0x0a ? n + 1 : n), 1)
  throw new AppError(
    'bad_file',
    `${label}: not valid UTF-8${line === null ? '' : ` (byte ${at}, line ${line})`}; save the file as UTF-8 and import it again.`,
    { file: label, byte: at, line }
  )
}

/**
 * Every row end outside a quoted cell (CRLF, LF or a lone CR) becomes LF; line breaks inside quoted
 * cells are kept as written. A file whose rows end in a mix of CRLF and LF (one row edited on
 * another system) then reads as the rows it has, as pandas.read_csv reads it, instead of one row
 * running into the next (a wrong cell count, or a stray CR/LF inside a label).
 */
export function normalizeRowEnds(text: string): string {
  if (!text.includes('\r')) return text
  const out: string[] = []
  let from = 0
  let inQuotes = false
  let fieldStart = true
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (inQuotes) {
      if (c === 34 /* " */) {
        if (text.charCodeAt(i + 1) === 34) i++
        else inQuotes = false
      }
      continue
    }
    if (c === 34 && fieldStart) {
      inQuotes = true
      fieldStart = false
    } else if (c === 44 /* , */) {
      fieldStart = true
    } else if (c === 13 /* \r */) {
      out.push(text.slice(from, i), '\n')
      if (text.charCodeAt(i + 1) === 10) i++
      from = i + 1
      fieldStart = true
    } else if (c === 10) {
      fieldStart = true
    } else {
      fieldStart = false
    }
  }
  out.push(text.slice(from))
  return out.join('')
}

/** Parses CSV text into a header and data rows; every row must have the header's number of cells. */
export function parseCsv(text: string, label: string): { header: string[]; rows: string[][] } {
  const result = Papa.parse<string[]>(normalizeRowEnds(text), { header: false, delimiter: ',', newline: '\n', skipEmptyLines: 'greedy', dynamicTyping: false })
  const quoteError = result.errors.find((e) => e.type === 'Quotes')
  if (quoteError) {
    // Papa counts rows from 0 including the header.
    const row = typeof quoteError.row === 'number' ? quoteError.row : null
    throw new AppError(
      'bad_file',
      `${label}: ${row === null ? '' : `row ${row} (data row, header not counted): `}a quoted cell is never closed; the file looks truncated or damaged.`,
      { file: label, row }
    )
  }
  const data = result.data
  if (data.length === 0) throw new AppError('bad_file', `${label}: the file is empty (no header row).`, { file: label })
  const header = data[0]
  const rows = data.slice(1)
  for (let i = 0; i < rows.length; i++) {
    if (rows[i].length !== header.length) {
      throw new AppError(
        'bad_file',
        `${label}: row ${i + 1} has ${rows[i].length} cells but the header has ${header.length} (${header.map((h) => JSON.stringify(h)).join(', ')}).`,
        { file: label, row: i + 1 }
      )
    }
  }
  return { header, rows }
}

/** Reads, checks and parses one CSV file. `label` names it in errors (its layout path). */
export function readCsvFile(file: string, label: string, maxBytes = MAX_CSV_BYTES): CsvTable {
  const buf = readLimited(file, label, maxBytes)
  const sha256 = createHash('sha256').update(buf).digest('hex')
  const text = decodeUtf8(buf, label)
  const { header, rows } = parseCsv(text, label)
  return { header, rows, sha256, sizeBytes: buf.length }
}
