import { writeFileSync, renameSync, mkdirSync } from 'node:fs'
import { readRegularFileSync } from '../files/regular'
import { basename, dirname, extname, resolve } from 'node:path'
import { AppError } from '../../shared/api/errors'
import { DEFAULT_ASPECTS, type AnnotationImportReport, type AspectDef, type ExportReport } from '../../shared/api/annotation'
import type { ParsedInput } from '../../shared/api/contract'
import { findDataset } from '../../shared/imhi/datasets'
import { writeCsv } from '../../shared/csv/write'
import { formatScoreList, parseCsv, parseScoreList, unescapeCell, type CsvTable } from './csv'
import { deriveSeed } from './order'
import type { AnnotationCore } from './service'
import type { NewStudyItem } from './store'
import type { AspectScale, LongRating } from './agreement/report'

/** Larger rating files are refused before they are read. */
export const MAX_IMPORT_BYTES = 256 * 1024 * 1024

/**
 * The long layout. scale_min/scale_max carry each aspect's scale (so a 1-5 study reads back as
 * 1-5); adjudicated is the lead's resolved score for the item and aspect (empty when none), the
 * same on every annotator's row of that item and aspect.
 */
export const LONG_COLUMNS = ['item_id', 'annotator', 'aspect', 'score', 'source', 'dataset', 'seconds', 'flagged', 'note', 'rated_at', 'scale_min', 'scale_max', 'adjudicated'] as const
const DEFAULT_KEYS = DEFAULT_ASPECTS.map((a) => a.key)
const ASPECT_KEY = /^[a-z][a-z0-9_]{0,31}$/

interface Problem {
  row: number | null
  column: string | null
  message: string
}

/** Collects every problem of a file, then fails once with the first few, each naming row and column. */
class Problems {
  readonly list: Problem[] = []
  constructor(private readonly file: string) {}
  add(row: number | null, column: string | null, message: string): void {
    this.list.push({ row, column, message })
  }
  throwIfAny(): void {
    if (this.list.length === 0) return
    const shown = this.list
      .slice(0, 8)
      .map((p) => [p.row !== null ? `data row ${p.row}` : null, p.column !== null ? `column "${p.column}"` : null, p.message].filter(Boolean).join(', '))
    const more = this.list.length > 8 ? `; and ${this.list.length - 8} more` : ''
    throw new AppError('bad_file', `${this.file}: ${this.list.length} problem(s): ${shown.join('; ')}${more}. Nothing was imported.`, {
      file: this.file,
      problems: this.list.slice(0, 200)
    })
  }
}

export function readCsvFile(path: string): { table: CsvTable; file: string } {
  const file = resolve(path)
  const buf = readRegularFileSync(file, { maxBytes: MAX_IMPORT_BYTES, what: 'annotation CSV files' })
  let text: string
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(buf)
  } catch {
    throw new AppError('bad_file', `${file}: not UTF-8 text (save the CSV as UTF-8).`, { file })
  }
  return { table: parseCsv(text, file), file }
}

export type Layout = { kind: 'imhi'; explanationColumn: string; aspects: string[] } | { kind: 'long'; columns: Map<string, number> }

/** Which of the two layouts a header is; a clear error naming both when it is neither. */
export function detectLayout(header: readonly string[], file: string): Layout {
  const h = header.map((x) => x.trim())
  if (h[0] === 'text' && h[1] === 'label' && h.length >= 7 && DEFAULT_KEYS.every((k, i) => h[3 + i] === k)) {
    const aspects = h.slice(3)
    const bad = aspects.find((a) => !ASPECT_KEY.test(a))
    if (bad !== undefined) throw new AppError('bad_file', `${file}: column "${bad}" is not an aspect name (lower-case letters, digits, _).`, { file, column: bad })
    if (new Set(aspects).size !== aspects.length) throw new AppError('bad_file', `${file}: an aspect column appears twice.`, { file })
    return { kind: 'imhi', explanationColumn: h[2], aspects }
  }
  const columns = new Map(h.map((c, i) => [c, i]))
  if (['item_id', 'annotator', 'aspect', 'score'].every((c) => columns.has(c))) return { kind: 'long', columns }
  throw new AppError(
    'bad_file',
    `${file}: unknown CSV layout (header: ${h.slice(0, 10).join(',')}). Expected the imhi layout (text,label,<explanation column>,fluency,completeness,reliability,overall) ` +
      `or the long layout (${LONG_COLUMNS.join(',')}).`,
    { file }
  )
}

interface ParsedImhi {
  explanationColumn: string
  aspects: string[]
  annotators: number
  rows: { text: string; label: string; explanation: string; scores: Record<string, (number | null)[]> }[]
}

function scaleFor(key: string): { min: number; max: number } {
  const d = DEFAULT_ASPECTS.find((a) => a.key === key)
  return d ? { min: d.min, max: d.max } : { min: 0, max: 3 }
}

/** A rating scale given by the user for a whole file ("1-5"): overrides the IMHI default 0-3. */
export interface GivenScale {
  min: number
  max: number
}

/** Parses "MIN-MAX" (integers, MIN < MAX, both within 0-100); null when it is not one. */
export function parseScale(text: string): GivenScale | null {
  const m = /^\s*(\d{1,3})\s*[-–]\s*(\d{1,3})\s*$/.exec(text)
  if (!m) return null
  const min = Number(m[1])
  const max = Number(m[2])
  return min < max && max <= 100 ? { min, max } : null
}

/** Validates an imhi-layout table: every cell a list of the same length, every score on the scale, no duplicate item. */
export function parseImhiTable(table: CsvTable, file: string, layout: Extract<Layout, { kind: 'imhi' }>, given?: GivenScale): ParsedImhi {
  const problems = new Problems(file)
  let annotators: number | null = null
  const seen = new Map<string, number>()
  const rows: ParsedImhi['rows'] = []
  table.rows.forEach((cells, i) => {
    const row = i + 1
    if (cells.length !== table.header.length) {
      problems.add(row, null, `has ${cells.length} cells, the header has ${table.header.length}`)
      return
    }
    const text = unescapeCell(cells[0])
    const explanation = unescapeCell(cells[2])
    if (text.trim() === '') problems.add(row, 'text', 'the post is empty')
    const dupKey = `${text}\u0000${explanation}`
    const prev = seen.get(dupKey)
    if (prev !== undefined) problems.add(row, 'text', `duplicate item: the same post and explanation as data row ${prev}`)
    else seen.set(dupKey, row)
    const scores: Record<string, (number | null)[]> = {}
    layout.aspects.forEach((aspect, k) => {
      const cell = cells[3 + k]
      const list = parseScoreList(cell)
      if (!list) {
        problems.add(row, aspect, `"${cell.slice(0, 40)}" is not a list of scores like [3, 3, 2]`)
        return
      }
      if (annotators === null) annotators = list.length
      if (list.length !== annotators) problems.add(row, aspect, `${list.length} scores, but data row 1 has ${annotators} (one per annotator)`)
      const { min, max } = given ?? scaleFor(aspect)
      for (const v of list) if (v !== null && (v < min || v > max)) problems.add(row, aspect, `score ${v} is outside ${min}-${max}${given ? ' (the given scale)' : ' (the IMHI scale; give the scale when the file uses another)'}`)
      scores[aspect] = list
    })
    rows.push({ text, label: unescapeCell(cells[1]), explanation, scores })
  })
  if (rows.length === 0 && problems.list.length === 0) problems.add(null, null, 'no data rows')
  if (annotators === 0) problems.add(1, layout.aspects[0], 'empty score lists: no annotator')
  problems.throwIfAny()
  return { explanationColumn: layout.explanationColumn, aspects: layout.aspects, annotators: annotators ?? 0, rows }
}

export interface LongRow {
  row: number
  item: string
  annotator: string
  aspect: string
  score: number
  source: string | null
  dataset: string | null
  seconds: number | null
  flagged: boolean
  note: string
  ratedAt: string | null
  post: string | null
  explanation: string | null
}

/** Validates a long-layout table: integer scores on the scale, one score per item x annotator x aspect. */
export function parseLongTable(table: CsvTable, file: string, columns: Map<string, number>, scales?: readonly AspectDef[], given?: GivenScale): LongRow[] {
  return parseLong(table, file, columns, scales, given).rows
}

/**
 * The long layout, validated. Each aspect's scale is, in this order: the study's (when importing
 * into one), the file's own scale_min/scale_max columns (one scale per aspect: mixed scales in one
 * aspect are refused), the scale the user gave, or the IMHI default 0-3.
 */
export function parseLong(
  table: CsvTable,
  file: string,
  columns: Map<string, number>,
  scales?: readonly AspectDef[],
  given?: GivenScale
): { rows: LongRow[]; scales: Map<string, { min: number; max: number; from: 'study' | 'file' | 'given' | 'default' }> } {
  const problems = new Problems(file)
  const get = (cells: string[], name: string): string | null => {
    const i = columns.get(name)
    return i === undefined ? null : unescapeCell(cells[i] ?? '')
  }
  const seen = new Map<string, number>()
  const sourceOf = new Map<string, { source: string | null; row: number }>()
  const fileScale = new Map<string, { min: number; max: number; row: number }>()
  const unscaled = new Map<string, number>()
  const out: LongRow[] = []
  const used = new Map<string, { min: number; max: number; from: 'study' | 'file' | 'given' | 'default' }>()
  table.rows.forEach((cells, i) => {
    const row = i + 1
    if (cells.length !== table.header.length) {
      problems.add(row, null, `has ${cells.length} cells, the header has ${table.header.length}`)
      return
    }
    const item = get(cells, 'item_id')!.trim()
    const annotator = get(cells, 'annotator')!.trim()
    const aspect = get(cells, 'aspect')!.trim()
    const scoreText = get(cells, 'score')!.trim()
    if (!item) problems.add(row, 'item_id', 'empty')
    if (!annotator) problems.add(row, 'annotator', 'empty')
    if (!ASPECT_KEY.test(aspect)) problems.add(row, 'aspect', `"${aspect}" is not an aspect name`)
    // The file's own scale for this row, when it has the columns.
    const minText = (get(cells, 'scale_min') ?? '').trim()
    const maxText = (get(cells, 'scale_max') ?? '').trim()
    let rowScale: { min: number; max: number } | null = null
    if (minText === '' && maxText === '') {
      if (!unscaled.has(aspect)) unscaled.set(aspect, row)
    } else {
      if (!/^\d{1,3}$/.test(minText) || !/^\d{1,3}$/.test(maxText) || Number(minText) >= Number(maxText)) {
        problems.add(row, 'scale_min', `"${minText}"-"${maxText}" is not a scale (two integers, min below max)`)
      } else {
        rowScale = { min: Number(minText), max: Number(maxText) }
        const first = fileScale.get(aspect)
        if (!first) fileScale.set(aspect, { ...rowScale, row })
        else if (first.min !== rowScale.min || first.max !== rowScale.max) {
          problems.add(row, 'scale_min', `mixed scales in aspect "${aspect}": ${rowScale.min}-${rowScale.max} here, ${first.min}-${first.max} in data row ${first.row}`)
        }
      }
    }
    if (rowScale && given && (rowScale.min !== given.min || rowScale.max !== given.max)) {
      problems.add(row, 'scale_min', `the file says ${rowScale.min}-${rowScale.max} for aspect "${aspect}", the given scale is ${given.min}-${given.max}`)
    }
    const study = scales?.find((a) => a.key === aspect)
    const def: { min: number; max: number; from: 'study' | 'file' | 'given' | 'default' } = study
      ? { min: study.min, max: study.max, from: 'study' }
      : rowScale
        ? { ...rowScale, from: 'file' }
        : given
          ? { ...given, from: 'given' }
          : { ...scaleFor(aspect), from: 'default' }
    if (!used.has(aspect)) used.set(aspect, def)
    if (!/^-?\d+$/.test(scoreText)) {
      problems.add(row, 'score', `"${scoreText}" is not an integer score`)
      return
    }
    const score = Number(scoreText)
    if (score < def.min || score > def.max) {
      const why = def.from === 'study' ? "the study's scale" : def.from === 'file' ? "the file's scale" : def.from === 'given' ? 'the given scale' : 'the IMHI scale; give the scale when the file uses another'
      problems.add(row, 'score', `score ${score} is outside ${def.min}-${def.max} (${why})`)
    }
    const key = `${item}\u0000${annotator}\u0000${aspect}`
    const prev = seen.get(key)
    if (prev !== undefined) problems.add(row, 'item_id', `duplicate rating: item "${item}", annotator "${annotator}", aspect "${aspect}" already in data row ${prev}`)
    else seen.set(key, row)
    const source = get(cells, 'source') || null
    const known = sourceOf.get(item)
    if (known && known.source !== source) problems.add(row, 'source', `item "${item}" has source "${source ?? ''}" here and "${known.source ?? ''}" in data row ${known.row}`)
    else if (!known) sourceOf.set(item, { source, row })
    const secondsText = get(cells, 'seconds')
    const seconds = secondsText ? Number(secondsText) : null
    if (seconds !== null && !(Number.isFinite(seconds) && seconds >= 0)) problems.add(row, 'seconds', `"${secondsText}" is not a number of seconds`)
    const flaggedText = (get(cells, 'flagged') ?? '').trim().toLowerCase()
    if (!['', '0', '1', 'true', 'false'].includes(flaggedText)) problems.add(row, 'flagged', `"${flaggedText}" is not 0/1`)
    out.push({
      row,
      item,
      annotator,
      aspect,
      score,
      source,
      dataset: get(cells, 'dataset') || null,
      seconds,
      flagged: flaggedText === '1' || flaggedText === 'true',
      note: get(cells, 'note') ?? '',
      ratedAt: get(cells, 'rated_at') || null,
      post: get(cells, 'post'),
      explanation: get(cells, 'explanation')
    })
  })
  if (out.length === 0 && problems.list.length === 0) problems.add(null, null, 'no data rows')
  // An aspect whose rows have a scale here and none there is mixed too.
  for (const [aspect, row] of unscaled) {
    const first = fileScale.get(aspect)
    if (first) problems.add(row, 'scale_min', `mixed scales in aspect "${aspect}": no scale here, ${first.min}-${first.max} in data row ${first.row}`)
  }
  problems.throwIfAny()
  for (const [aspect, sc] of fileScale) if (!scales?.some((a) => a.key === aspect)) used.set(aspect, { min: sc.min, max: sc.max, from: 'file' })
  return { rows: out, scales: used }
}

/** Ratings of a CSV in either layout, for `imhi agreement FILE.csv` (no database). */
export function ratingsFromFile(path: string, given?: GivenScale): { ratings: LongRating[]; scales: AspectScale[]; layout: 'imhi' | 'long'; file: string } {
  const { table, file } = readCsvFile(path)
  const layout = detectLayout(table.header, file)
  if (layout.kind === 'imhi') {
    const parsed = parseImhiTable(table, file, layout, given)
    const ratings: LongRating[] = []
    parsed.rows.forEach((r, i) => {
      for (const aspect of parsed.aspects) {
        r.scores[aspect].forEach((v, k) => {
          if (v !== null) ratings.push({ item: `row${i + 1}`, annotator: `annotator ${k + 1}`, aspect, score: v })
        })
      }
    })
    return { ratings, scales: parsed.aspects.map((key) => ({ key, ...(given ?? scaleFor(key)) })), layout: 'imhi', file }
  }
  const { rows, scales } = parseLong(table, file, layout.columns, undefined, given)
  const keys = [...new Set([...DEFAULT_KEYS.filter((k) => rows.some((r) => r.aspect === k)), ...rows.map((r) => r.aspect)])]
  return {
    ratings: rows.map((r) => ({ item: r.item, annotator: r.annotator, aspect: r.aspect, score: r.score })),
    scales: keys.map((key) => ({ key, min: scales.get(key)!.min, max: scales.get(key)!.max })),
    layout: 'long',
    file
  }
}

function aspectDefsFor(keys: readonly string[], observedMax: (k: string) => number, fileScales?: ReadonlyMap<string, { min: number; max: number; from: string }>): AspectDef[] {
  return keys.map((key) => {
    const d = DEFAULT_ASPECTS.find((a) => a.key === key)
    const own = fileScales?.get(key)
    if (own && own.from !== 'default') {
      // The file's scale: the default rubric describes 0-3, so it is kept only on that scale.
      const same = d && d.min === own.min && d.max === own.max
      return { key, label: d?.label ?? key.replace(/_/g, ' '), min: own.min, max: own.max, rubric: same ? [...d.rubric] : [] }
    }
    if (d) return { ...d, rubric: [...d.rubric] }
    const max = Math.max(3, observedMax(key))
    return { key, label: key.replace(/_/g, ' '), min: 0, max, rubric: [] }
  })
}

/** Writes a file whole or not at all: a temporary file, then a rename. */
export function writeFileAtomic(path: string, text: string): string {
  const file = resolve(path)
  mkdirSync(dirname(file), { recursive: true })
  const tmp = `${file}.${process.pid}.tmp`
  writeFileSync(tmp, text, 'utf8')
  renameSync(tmp, file)
  return file
}

export function createCsvIo(core: AnnotationCore) {
  const { db, store } = core

  function importImhi(table: CsvTable, file: string, layout: Extract<Layout, { kind: 'imhi' }>, studyName: string | undefined): AnnotationImportReport {
    const parsed = parseImhiTable(table, file, layout)
    const stem = basename(file, extname(file))
    const parent = basename(dirname(file)).replace(/_annotation$/i, '')
    const dataset = findDataset(parent)?.name ?? null
    const name = studyName ?? stem
    const existing = store.studyByName.get(name) as { id: number; origin: string; aspects: string; annotators_per_item: number } | undefined
    const studyId = db.transaction(() => {
      let sid: number
      if (existing) {
        if (existing.origin !== 'imported') throw new AppError('conflict', `A study named "${name}" exists and was not imported from CSV; import under another study name.`, { field: 'studyName' })
        const keys = (JSON.parse(existing.aspects) as AspectDef[]).map((a) => a.key)
        if (keys.join(',') !== parsed.aspects.join(',')) throw new AppError('conflict', `${file}: aspects ${parsed.aspects.join(',')} differ from study "${name}" (${keys.join(',')}).`, { file })
        if (existing.annotators_per_item !== parsed.annotators) {
          throw new AppError('conflict', `${file}: ${parsed.annotators} annotators per item, study "${name}" has ${existing.annotators_per_item}.`, { file })
        }
        if (store.studyHasSource.get(existing.id, stem)) {
          throw new AppError('conflict', `Study "${name}" already holds the ratings of ${stem}; nothing was imported twice.`, { file })
        }
        sid = existing.id
      } else {
        sid = core.insertStudy({
          name,
          aspects: aspectDefsFor(parsed.aspects, (k) => Math.max(...parsed.rows.flatMap((r) => r.scores[k].filter((v): v is number => v !== null)))),
          annotatorsPerItem: parsed.annotators,
          seed: deriveSeed(name),
          spec: { imported: [basename(file)], layout: 'imhi' },
          origin: 'imported'
        })
      }
      const items: NewStudyItem[] = parsed.rows.map((r, i) => ({
        key: `${stem}:${i + 1}`,
        post: r.text,
        explanation: r.explanation,
        label: r.label,
        source: stem,
        dataset,
        itemId: null,
        explanationId: null,
        explanationColumn: parsed.explanationColumn
      }))
      const ids = core.insertItems(sid, items)
      const people = Array.from({ length: parsed.annotators }, (_, k) => {
        const id = core.ensureAnnotator(`annotator ${k + 1}`)
        core.joinStudy(sid, id, k)
        return id
      })
      const insert = store.insertImportedRating
      people.forEach((p) => core.assign(sid, p, ids, null))
      parsed.rows.forEach((r, i) => {
        for (const aspect of parsed.aspects) {
          r.scores[aspect].forEach((v, k) => {
            if (v !== null) insert.run(sid, ids[i], people[k], aspect, v)
          })
        }
      })
      const spec = JSON.parse((store.studySpec.get(sid) as { spec: string }).spec) as { imported?: string[] }
      if (existing) store.setStudySpec.run(JSON.stringify({ ...spec, imported: [...(spec.imported ?? []), basename(file)] }), sid)
      return sid
    })()
    core.events.broadcast('annotation.studiesChanged', { studyId })
    return {
      file,
      layout: 'imhi',
      studyId,
      studyName: name,
      items: parsed.rows.length,
      annotators: Array.from({ length: parsed.annotators }, (_, k) => `annotator ${k + 1}`),
      ratings: parsed.rows.reduce((n, r) => n + parsed.aspects.reduce((m, a) => m + r.scores[a].filter((v) => v !== null).length, 0), 0),
      source: stem
    }
  }

  function importLong(table: CsvTable, file: string, columns: Map<string, number>, studyName: string | undefined): AnnotationImportReport {
    const { rows, scales } = parseLong(table, file, columns)
    const stem = basename(file, extname(file))
    const name = studyName ?? stem
    if (store.studyNameTaken.get(name)) {
      throw new AppError('conflict', `A study named "${name}" already exists; import the long layout under another study name.`, { file, field: 'studyName' })
    }
    const aspectKeys = [...new Set([...DEFAULT_KEYS, ...rows.map((r) => r.aspect)])]
    const items = new Map<string, LongRow>()
    for (const r of rows) if (!items.has(r.item)) items.set(r.item, r)
    const people = [...new Set(rows.map((r) => r.annotator))]
    const perItem = new Map<string, Set<string>>()
    for (const r of rows) {
      let s = perItem.get(r.item)
      if (!s) perItem.set(r.item, (s = new Set()))
      s.add(r.annotator)
    }
    const studyId = db.transaction(() => {
      const sid = core.insertStudy({
        name,
        aspects: aspectDefsFor(aspectKeys, (k) => Math.max(0, ...rows.filter((r) => r.aspect === k).map((r) => r.score)), scales),
        annotatorsPerItem: Math.max(...[...perItem.values()].map((s) => s.size)),
        seed: deriveSeed(name),
        spec: { imported: [basename(file)], layout: 'long' },
        origin: 'imported'
      })
      const ids = core.insertItems(
        sid,
        [...items.values()].map((r) => ({
          key: r.item,
          post: r.post ?? '',
          explanation: r.explanation ?? '',
          label: null,
          source: r.source ?? stem,
          dataset: r.dataset,
          itemId: null,
          explanationId: null,
          explanationColumn: null
        }))
      )
      const idOf = new Map([...items.keys()].map((k, i) => [k, ids[i]]))
      const personId = new Map(people.map((p, k) => {
        const id = core.ensureAnnotator(p)
        core.joinStudy(sid, id, k)
        return [p, id]
      }))
      for (const p of people) core.assign(sid, personId.get(p)!, [...items.keys()].filter((k) => perItem.get(k)!.has(p)).map((k) => idOf.get(k)!), null)
      const insert = store.insertLongRating
      const state = store.mergeImportedState
      for (const r of rows) {
        const itemId = idOf.get(r.item)!
        const a = personId.get(r.annotator)!
        insert.run(sid, itemId, a, r.aspect, r.score, r.ratedAt)
        if (r.flagged || r.note || r.seconds) state.run(itemId, a, r.flagged ? 1 : 0, r.note, r.seconds ?? 0)
      }
      return sid
    })()
    core.events.broadcast('annotation.studiesChanged', { studyId })
    return { file, layout: 'long', studyId, studyName: name, items: items.size, annotators: people, ratings: rows.length, source: stem }
  }

  function importCsv(path: string, studyName?: string): AnnotationImportReport {
    const { table, file } = readCsvFile(path)
    const layout = detectLayout(table.header, file)
    return layout.kind === 'imhi' ? importImhi(table, file, layout, studyName) : importLong(table, file, layout.columns, studyName)
  }

  function exportCsv(input: ParsedInput<'annotation.export'>): ExportReport {
    const study = core.studyRow(input.studyId)
    const aspects = core.aspectsOf(study.id)
    const items = store.exportItems
      .all(study.id, input.source ?? null, input.source ?? null) as {
      id: number
      item_key: string
      post: string
      explanation: string
      label: string | null
      source: string
      dataset: string | null
      explanation_column: string | null
    }[]
    if (input.source !== undefined && items.length === 0) throw new AppError('not_found', `Study ${study.id} has no items from source "${input.source}".`, { field: 'source' })
    if (input.format === 'adjudicated') {
      const { header, rows } = core.adjudicatedRows(study.id)
      const keep = input.source === undefined ? rows : rows.filter((r) => r[7] === input.source)
      const text = writeCsv(header, keep, { bom: input.bom })
      if (!input.path) return { path: null, text, rows: keep.length, format: input.format }
      return { path: writeFileAtomic(input.path, text), text: null, rows: keep.length, format: input.format }
    }
    const ratings = store.studyRatingsRaw
      .all(study.id) as { item: number; annotator: number; aspect: string; score: number; ratedAt: string }[]
    const byKey = new Map(ratings.map((r) => [`${r.item}:${r.annotator}:${r.aspect}`, r]))
    let header: string[]
    const rows: (string | number | null)[][] = []
    if (input.format === 'imhi') {
      const cols = [...new Set(items.map((i) => i.explanation_column ?? 'explanation'))]
      header = ['text', 'label', cols.length === 1 ? cols[0] : 'explanation', ...aspects.map((a) => a.key)]
      const assigned = store.itemAnnotators
      for (const it of items) {
        const people = (assigned.all(it.id) as { id: number }[]).map((p) => p.id)
        rows.push([it.post, it.label ?? '', it.explanation, ...aspects.map((a) => formatScoreList(people.map((p) => byKey.get(`${it.id}:${p}:${a.key}`)?.score ?? null)))])
      }
    } else {
      header = [...LONG_COLUMNS]
      const people = store.studyPeople.all(study.id) as { id: number; name: string }[]
      const states = new Map(
        (store.studyItemStates.all(study.id) as { study_item_id: number; annotator_id: number; flagged: number; note: string; seconds: number }[]).map((s) => [
          `${s.study_item_id}:${s.annotator_id}`,
          s
        ])
      )
      const adjudicated = core.adjudicatedScores(study.id)
      for (const it of items) {
        for (const p of people) {
          const st = states.get(`${it.id}:${p.id}`)
          for (const a of aspects) {
            const r = byKey.get(`${it.id}:${p.id}:${a.key}`)
            if (!r) continue
            const adj = adjudicated.get(`${it.id}:${a.key}`)
            rows.push([it.item_key, p.name, a.key, r.score, it.source, it.dataset ?? '', st ? Math.round(st.seconds * 1000) / 1000 : 0, st?.flagged ? 1 : 0, st?.note ?? '', r.ratedAt, a.min, a.max, adj ?? ''])
          }
        }
      }
    }
    const text = writeCsv(header, rows, { bom: input.bom })
    if (!input.path) return { path: null, text, rows: rows.length, format: input.format }
    return { path: writeFileAtomic(input.path, text), text: null, rows: rows.length, format: input.format }
  }

  return { importCsv, exportCsv }
}
