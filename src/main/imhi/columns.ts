import { AppError } from '../../shared/api/errors'

/**
 * What a CSV header says the file is. IMHI files come in four shapes:
 *   instruction items   query, <response>            (<response> is gpt-3.5-turbo in the release)
 *   completion items    post, question, response     (some files add an unnamed index column)
 *   reference ratings   text, label, <explanation>, fluency, completeness, reliability, overall
 *   model outputs       goldens, generated_text
 */
export type Shape =
  | { kind: 'instruction'; query: number; response: number; responseColumn: string }
  | { kind: 'complete'; post: number; question: number; response: number }
  | {
      kind: 'ratings'
      text: number
      label: number
      explanation: number
      explanationColumn: string
      aspects: Record<Aspect, number>
    }
  | { kind: 'outputs' }

export const ASPECTS = ['fluency', 'completeness', 'reliability', 'overall'] as const
export type Aspect = (typeof ASPECTS)[number]

/** pandas writes its index as an unnamed first column ("" or "Unnamed: 0"). */
export function isIndexColumn(name: string): boolean {
  const n = name.trim().toLowerCase()
  return n === '' || /^unnamed: ?\d+$/.test(n)
}

const RESPONSE_NAMES = ['gpt-3.5-turbo', 'response', 'gold', 'answer', 'output']

export function shapeOf(header: readonly string[], label: string): Shape {
  const names = header.map((h) => h.replace(/^\ufeff/, '').trim().toLowerCase())
  const at = (n: string) => names.indexOf(n)
  const used = names.map((n, i) => ({ n, i })).filter(({ n }) => !isIndexColumn(n))
  const seen = new Set<string>()
  for (const { n } of used) {
    if (seen.has(n)) throw new AppError('bad_file', `${label}: the header names the column "${n}" twice.`, { file: label, field: n })
    seen.add(n)
  }
  const listed = header.map((h) => JSON.stringify(h)).join(', ')

  if (at('goldens') >= 0 && at('generated_text') >= 0) return { kind: 'outputs' }

  if (ASPECTS.every((a) => at(a) >= 0) || (at('text') >= 0 && ASPECTS.some((a) => at(a) >= 0))) {
    const missing = ['text', 'label', ...ASPECTS].filter((n) => at(n) < 0)
    if (missing.length > 0) {
      throw new AppError('bad_file', `${label}: a ratings file needs the columns text, label, fluency, completeness, reliability, overall; missing ${missing.join(', ')} (header: ${listed}).`, {
        file: label,
        field: missing[0]
      })
    }
    const known = new Set(['text', 'label', ...ASPECTS])
    const rest = used.filter(({ n }) => !known.has(n))
    if (rest.length !== 1) {
      throw new AppError(
        'bad_file',
        `${label}: a ratings file has exactly one explanation column (e.g. gpt-3.5-turbo or curie-instruct-beta) besides text, label and the four aspects; found ${rest.length} (header: ${listed}).`,
        { file: label }
      )
    }
    return {
      kind: 'ratings',
      text: at('text'),
      label: at('label'),
      explanation: rest[0].i,
      explanationColumn: header[rest[0].i].replace(/^\ufeff/, '').trim(),
      aspects: { fluency: at('fluency'), completeness: at('completeness'), reliability: at('reliability'), overall: at('overall') }
    }
  }

  if (at('post') >= 0 || (at('question') >= 0 && at('query') < 0)) {
    const missing = ['post', 'question', 'response'].filter((n) => at(n) < 0)
    if (missing.length > 0) {
      throw new AppError('bad_file', `${label}: a completion-style file needs the columns post, question, response; missing ${missing.join(', ')} (header: ${listed}).`, {
        file: label,
        field: missing[0]
      })
    }
    return { kind: 'complete', post: at('post'), question: at('question'), response: at('response') }
  }

  if (at('query') >= 0) {
    const others = used.filter(({ n }) => n !== 'query')
    const named = RESPONSE_NAMES.map(at).find((i) => i >= 0)
    const response = named ?? (others.length === 1 ? others[0].i : -1)
    if (response < 0) {
      throw new AppError(
        'bad_file',
        `${label}: an instruction-style file needs the columns query and gpt-3.5-turbo (the gold response); found ${listed}.`,
        { file: label, field: 'gpt-3.5-turbo' }
      )
    }
    return { kind: 'instruction', query: at('query'), response, responseColumn: header[response].trim() }
  }

  throw new AppError(
    'bad_file',
    `${label}: not an IMHI file: its header is ${listed}; expected query,gpt-3.5-turbo or post,question,response (items), text,label,...,fluency,completeness,reliability,overall (ratings) or goldens,generated_text (outputs).`,
    { file: label }
  )
}

/** Parses one aspect cell of a ratings file: a JSON list of 3 integer scores 0..3, e.g. "[3, 3, 2]". */
export function parseScores(cell: string, where: { file: string; row: number; column: string }): number[] {
  let v: unknown
  try {
    v = JSON.parse(cell)
  } catch {
    v = undefined
  }
  const ok = Array.isArray(v) && v.length === 3 && v.every((x) => Number.isInteger(x) && x >= 0 && x <= 3)
  if (!ok) {
    const shown = cell.length > 40 ? cell.slice(0, 40) + '…' : cell
    throw new AppError(
      'bad_file',
      `${where.file}: row ${where.row}, column "${where.column}": expected a list of 3 integer scores from 0 to 3 like [3, 3, 2], got ${JSON.stringify(shown)}.`,
      { file: where.file, row: where.row, field: where.column }
    )
  }
  return v as number[]
}

/** The DR_annotation label column: 1/0 (also yes/no) -> canonical yes/no. */
export function ratingLabel(cell: string, where: { file: string; row: number }): 'yes' | 'no' {
  const v = cell.trim().toLowerCase()
  if (v === '1' || v === 'yes' || v === '1.0') return 'yes'
  if (v === '0' || v === 'no' || v === '0.0') return 'no'
  throw new AppError('bad_file', `${where.file}: row ${where.row}, column "label": expected 1 or 0, got ${JSON.stringify(cell.slice(0, 40))}.`, {
    file: where.file,
    row: where.row,
    field: 'label'
  })
}
