import Papa from 'papaparse'
import { isUtf8 } from 'node:buffer'
import { createHash } from 'node:crypto'
import { closeSync, readSync } from 'node:fs'
import { describeFsError, openRegularFileSync, readRegularFileSync } from '../files/regular'
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

/**
 * Streaming: a file is read in CHUNK_BYTES pieces, twice. The first pass (scanCsvFile) hashes it
 * and checks that it is UTF-8, so an unchanged or duplicate file is recognised before a row is
 * parsed; the second (csvRows) decodes, normalises row ends and parses piece by piece, yielding
 * one row at a time, and checks the hash again at the end (a file that changed in between is
 * refused, its rows rolled back with the file's transaction). Neither pass holds a whole file.
 * 32 KB: at 10x the release, peak RSS 170-175 MB and 11.3 s CPU, against 204-252 MB and 13.1 s
 * with 256 KB pieces (less short-lived string garbage per piece).
 */
export const CHUNK_BYTES = 32 * 1024

const CSV_FILE = { what: 'IMHI CSV files', hint: '(the largest released file is 3.2 MB)' }

function eachChunk(file: string, label: string, maxBytes: number, chunkBytes: number, onChunk: (chunk: Buffer) => void): number {
  const { fd } = openRegularFileSync(file, { label, maxBytes, ...CSV_FILE })
  const buf = Buffer.allocUnsafe(chunkBytes)
  let total = 0
  try {
    for (;;) {
      let n: number
      try {
        n = readSync(fd, buf, 0, chunkBytes, total)
      } catch (err) {
        throw describeFsError(label, err)
      }
      if (n === 0) break
      total += n
      if (total > maxBytes) throw new AppError('bad_file', `${label}: the file grew past ${Math.round(maxBytes / 1048576)} MB while it was read; IMHI CSV files larger than that are refused.`, { file: label })
      onChunk(buf.subarray(0, n))
    }
  } finally {
    closeSync(fd)
  }
  return total
}

/** Bytes at the end of `buf` that start a UTF-8 sequence the buffer does not complete. */
function incompleteTail(buf: Uint8Array): number {
  for (let back = 1; back <= Math.min(3, buf.length); back++) {
    const b = buf[buf.length - back]
    if ((b & 0xc0) === 0x80) continue
    const need = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1
    return need > back ? back : 0
  }
  return 0
}

const countLf = (buf: Uint8Array, end = buf.length): number => {
  let n = 0
  for (let i = buf.indexOf(10); i >= 0 && i < end; i = buf.indexOf(10, i + 1)) n++
  return n
}

/**
 * First pass: size limit and regular-file checks, SHA-256, strict UTF-8 (the same message as
 * decodeUtf8, naming the byte and line of the first bad sequence). Memory: one chunk.
 */
export function scanCsvFile(file: string, label: string, maxBytes = MAX_CSV_BYTES, chunkBytes = CHUNK_BYTES): { sha256: string; sizeBytes: number } {
  const hash = createHash('sha256')
  let carry: Buffer = Buffer.alloc(0)
  let offset = 0 // bytes of the file before `carry`
  let lines = 0 // line feeds before `carry`
  const bad = (at: number, line: number | null) =>
    new AppError('bad_file', `${label}: not valid UTF-8${at < 0 ? '' : ` (byte ${at}, line ${line})`}; save the file as UTF-8 and import it again.`, { file: label, byte: at, line })
  const size = eachChunk(file, label, maxBytes, chunkBytes, (chunk) => {
    hash.update(chunk)
    const buf = carry.length ? Buffer.concat([carry, chunk]) : chunk
    const end = buf.length - incompleteTail(buf)
    const whole = buf.subarray(0, end)
    if (!isUtf8(whole)) {
      const at = firstInvalidUtf8(whole)
      throw at < 0 ? bad(-1, null) : bad(offset + at, lines + countLf(whole, at) + 1)
    }
    lines += countLf(whole)
    offset += end
    carry = Buffer.from(buf.subarray(end))
  })
  if (carry.length > 0) throw bad(offset, lines + 1)
  return { sha256: hash.digest('hex'), sizeBytes: size }
}

/**
 * normalizeRowEnds over a text that arrives in pieces: the quote state carries over, and a piece
 * ending in CR or in quotes keeps them for the next piece (they may start a CRLF or end in a
 * doubled quote).
 */
export class RowEndNormalizer {
  private inQuotes = false
  private fieldStart = true
  private held = ''

  push(piece: string, last: boolean): string {
    let text = this.held + piece
    this.held = ''
    if (!last) {
      // What a trailing CR or quote means depends on the next character (CRLF; a doubled quote):
      // keep a trailing CR, or the whole trailing run of quotes, for the next piece.
      let keep = text.length
      if (keep > 0 && text.charCodeAt(keep - 1) === 13) keep--
      else while (keep > 0 && text.charCodeAt(keep - 1) === 34) keep--
      this.held = text.slice(keep)
      text = text.slice(0, keep)
    }
    // Only quotes and CRs change anything: jump from one to the next (a character loop over every
    // byte cost a tenth of the import). A quote opens a quoted cell when it starts a field (the
    // character before it ends a field or a row); inside one, the next quote closes it unless doubled.
    const n = text.length
    const out: string[] = []
    let from = 0
    let i = 0
    let r = text.indexOf('\r')
    while (i < n) {
      if (this.inQuotes) {
        const q = text.indexOf('"', i)
        if (q < 0) break
        if (text.charCodeAt(q + 1) === 34) i = q + 2
        else {
          this.inQuotes = false
          i = q + 1
        }
        continue
      }
      const q = text.indexOf('"', i)
      if (r >= 0 && r < i) r = text.indexOf('\r', i)
      if (r >= 0 && (q < 0 || r < q)) {
        out.push(text.slice(from, r), '\n')
        from = text.charCodeAt(r + 1) === 10 ? r + 2 : r + 1
        i = from
        continue
      }
      if (q < 0) break
      const atFieldStart = q === 0 ? this.fieldStart : isFieldEnd(text.charCodeAt(q - 1))
      if (atFieldStart) this.inQuotes = true
      i = q + 1
    }
    if (n > 0) this.fieldStart = !this.inQuotes && isFieldEnd(text.charCodeAt(n - 1))
    if (from === 0) return text
    out.push(text.slice(from))
    return out.join('')
  }
}

/**
 * A row whose cells are all white space (papaparse's skipEmptyLines: 'greedy', which joins the
 * cells and trims): the same test without building the joined row, stopping at the first cell
 * with anything in it (almost always the first).
 */
const NOT_SPACE = /\S/
function isBlankRow(r: readonly string[]): boolean {
  for (const c of r) if (NOT_SPACE.test(c)) return false
  return true
}

/** A comma, LF or CR: what may come right before a quote that opens a quoted cell. */
const isFieldEnd = (c: number): boolean => c === 44 || c === 10 || c === 13

interface PapaLowLevel {
  parse(input: string, baseIndex: number, ignoreLastRow: boolean): { data: string[][]; errors: Papa.ParseError[]; meta: { cursor: number } }
}

/**
 * The header, then each data row, as parseCsv would return them (the same parser, papaparse, fed
 * piece by piece the way its own streaming mode feeds it; the same errors, naming the same rows).
 *
 * - After scanCsvFile (a second pass): `sha256` is what the scan found, and the file's SHA-256
 *   must still be that when the last row has been read.
 * - As the only pass (`sha256` null): the file's SHA-256 and size are handed to `onEnd` once the
 *   last row has been read, and invalid UTF-8 gets scanCsvFile's message (byte and line).
 */
export function* csvRows(
  file: string,
  label: string,
  sha256: string | null,
  maxBytes = MAX_CSV_BYTES,
  chunkBytes = CHUNK_BYTES,
  onEnd?: (content: { sha256: string; sizeBytes: number }) => void
): Generator<string[], void, undefined> {
  // Reading is synchronous and chunked: a generator cannot yield from inside eachChunk's callback,
  // so the file is walked with a cursor here instead.
  const { fd } = openRegularFileSync(file, { label, maxBytes, ...CSV_FILE })
  const hash = createHash('sha256')
  const decoder = new TextDecoder('utf-8', { fatal: true })
  const rowEnds = new RowEndNormalizer()
  const parser = new (Papa as unknown as { Parser: new (c: object) => PapaLowLevel }).Parser({ delimiter: ',', newline: '\n', quoteChar: '"' })
  const buf = Buffer.allocUnsafe(chunkBytes)
  let pos = 0
  let partial = ''
  let rawRows = 0 // rows papaparse has returned so far, header and empty lines included
  let header: string[] | null = null
  let dataRows = 0
  try {
    for (let done = false; !done; ) {
      let n: number
      try {
        n = readSync(fd, buf, 0, chunkBytes, pos)
      } catch (err) {
        throw describeFsError(label, err)
      }
      pos += n
      if (pos > maxBytes) throw new AppError('bad_file', `${label}: the file grew past ${Math.round(maxBytes / 1048576)} MB while it was read; IMHI CSV files larger than that are refused.`, { file: label })
      done = n === 0
      hash.update(buf.subarray(0, n))
      let text: string
      try {
        text = decoder.decode(buf.subarray(0, n), { stream: !done })
      } catch {
        // Not UTF-8: scanCsvFile says where (or, when it finds none, the file changed meanwhile).
        if (sha256 === null) scanCsvFile(file, label, maxBytes, chunkBytes)
        throw changed(label)
      }
      const input = partial + rowEnds.push(text, done)
      const result = parser.parse(input, 0, !done)
      partial = done ? '' : input.substring(result.meta.cursor)
      const quoteError = result.errors.find((e) => e.type === 'Quotes')
      if (quoteError) {
        // Papa counts rows from 0 including the header.
        const row = typeof quoteError.row === 'number' ? rawRows + quoteError.row : null
        throw new AppError(
          'bad_file',
          `${label}: ${row === null ? '' : `row ${row} (data row, header not counted): `}a quoted cell is never closed; the file looks truncated or damaged.`,
          { file: label, row }
        )
      }
      rawRows += result.data.length
      for (const r of result.data) {
        // skipEmptyLines: 'greedy', as parseCsv.
        if (isBlankRow(r)) continue
        if (header === null) {
          header = r
          yield r
          continue
        }
        dataRows++
        if (r.length !== header.length) {
          throw new AppError(
            'bad_file',
            `${label}: row ${dataRows} has ${r.length} cells but the header has ${header.length} (${header.map((h) => JSON.stringify(h)).join(', ')}).`,
            { file: label, row: dataRows }
          )
        }
        yield r
      }
    }
  } finally {
    closeSync(fd)
  }
  if (header === null) throw new AppError('bad_file', `${label}: the file is empty (no header row).`, { file: label })
  const digest = hash.digest('hex')
  if (sha256 !== null && digest !== sha256) throw changed(label)
  onEnd?.({ sha256: digest, sizeBytes: pos })
}

function changed(label: string): AppError {
  return new AppError('bad_file', `${label}: the file changed while it was being imported; nothing of it was imported: import it again.`, { file: label })
}
