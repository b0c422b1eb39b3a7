import Papa from 'papaparse'
import { AppError } from '../../shared/api/errors'

/** Formula-injection guard shared by every CSV the app writes (see src/shared/csv/formula.ts). */
import { guardFormula as escapeCell, unguardFormula as unescapeCell } from '../../shared/csv/formula'
export { escapeCell, unescapeCell }

export interface CsvTable {
  header: string[]
  rows: string[][]
  bom: boolean
  newline: '\n' | '\r\n'
}

/** Parses a whole CSV text (quoted multi-line cells, BOM); errors name the file and the row. */
export function parseCsv(text: string, file: string): CsvTable {
  const bom = text.charCodeAt(0) === 0xfeff
  const body = bom ? text.slice(1) : text
  const parsed = Papa.parse<string[]>(body, { skipEmptyLines: 'greedy' })
  const fatal = parsed.errors.find((e) => e.type === 'Quotes' || e.code === 'UndetectableDelimiter')
  if (fatal && !(fatal.code === 'UndetectableDelimiter' && parsed.data.length > 0)) {
    throw new AppError('bad_file', `${file}: row ${(fatal.row ?? 0) + 1}: ${fatal.message}`, { file, row: (fatal.row ?? 0) + 1 })
  }
  if (parsed.data.length === 0) throw new AppError('bad_file', `${file}: the file is empty (no header row).`, { file })
  const [header, ...rows] = parsed.data
  const firstNl = body.indexOf('\n')
  const newline = firstNl > 0 && body[firstNl - 1] === '\r' ? '\r\n' : '\n'
  return { header: header.map((h) => h.trim()), rows, bom, newline }
}

/** "[3, 3, 2]" -> [3, 3, 2]; null entries allowed ("[3, null, 2]") for missing ratings. */
export function parseScoreList(cell: string): (number | null)[] | null {
  const m = /^\s*\[(.*)\]\s*$/s.exec(cell)
  if (!m) return null
  if (m[1].trim() === '') return []
  const out: (number | null)[] = []
  for (const part of m[1].split(',')) {
    const t = part.trim()
    if (t === 'null' || t === '' || t === 'None' || t === 'nan') out.push(null)
    else if (/^-?\d+$/.test(t)) out.push(Number(t))
    else return null
  }
  return out
}

/** The released files' own format: "[3, 3, 2]". */
export function formatScoreList(scores: readonly (number | null)[]): string {
  return `[${scores.map((s) => (s === null ? 'null' : String(s))).join(', ')}]`
}
