import Papa from 'papaparse'
import { existsSync, readdirSync, statSync } from 'node:fs'
import { readRegularFileSync } from '../files/regular'
import { basename, extname, join, resolve } from 'node:path'
import { findDataset, type DatasetInfo } from '../../shared/imhi/datasets'
import { AppError } from '../../shared/api/errors'

/**
 * Model outputs in the benchmark's output layout: a folder of DATASET.csv files, or one such
 * file, each with the columns `goldens,generated_text` as IMHI.py's save_output writes them (one
 * row per test item, in test-set order). `goldens` may be absent when only labelling is asked for.
 */
export interface OutputPair {
  /** 1-based data row in the file (header not counted), or the item id for a run. */
  row: number
  golden: string | null
  generated: string
  itemId?: number
  /** The gold label already known (a run's item), else derived from `golden`. */
  goldLabel?: string | null
  /** The question asked of the post (a run's item; output files carry none): names the aspect on multi-aspect datasets. */
  question?: string | null
  /** The post (a run's item) and, for a completion-form item, its instruction form: which post a row is, for cross-fitted labelling. */
  posts?: string[]
}

export interface OutputDataset {
  info: DatasetInfo
  /** The file it came from (absolute), or null for a run. */
  file: string | null
  pairs: OutputPair[]
}

export interface LoadedOutputs {
  source: { kind: 'outputs'; path: string } | { kind: 'run'; runId: number; name: string }
  datasets: OutputDataset[]
  /** Files not read, with why (an unknown dataset name, not a CSV). */
  skipped: { file: string; reason: string; field?: string }[]
}

export const MAX_FILE_BYTES = 512 * 1024 * 1024

export interface ReadOptions {
  /** Needs the goldens column (evaluate, score) or not (label). */
  requireGoldens: boolean
  /** Which dataset a file is, when its name is not one (only with a single CSV or a folder of one). */
  datasetAs?: string
}

function datasetFor(file: string, datasetAs: string | undefined): DatasetInfo | null {
  if (datasetAs !== undefined) {
    const info = findDataset(datasetAs)
    if (!info) throw new AppError('invalid_input', `Unknown dataset "${datasetAs}" named for the outputs; known: ${knownNames()}`, { field: 'datasetAs' })
    return info
  }
  return findDataset(basename(file, extname(file))) ?? null
}

export function knownNames(): string {
  return ['DR', 'dreaddit', 'loneliness', 'Irf', 'MultiWD', 'SAD', 'CAMS', 't-sid', 'swmh'].join(', ')
}

/** Parses one output CSV; every structural problem is an error naming the file, row and column. */
export function readOutputCsv(file: string, info: DatasetInfo, opts: ReadOptions): OutputDataset {
  const text = readRegularFileSync(file, { maxBytes: MAX_FILE_BYTES, what: 'output files' }).toString('utf8').replace(/^\ufeff/, '')
  if (!text.trim()) throw new AppError('bad_file', `${file}: the file is empty (expected a header goldens,generated_text)`, { file })
  // Empty lines are kept: in a one-column file an empty line is an empty response, and dropping
  // it would shift every later row against the test set. Only the final line break is not a row.
  const parsed = Papa.parse<string[]>(text, { header: false, skipEmptyLines: false })
  const rows = parsed.data
  const last = rows[rows.length - 1]
  if (rows.length > 1 && last.length === 1 && last[0] === '' && /\r?\n$/.test(text)) rows.pop()
  const header = rows[0].map((h) => h.trim())
  const gi = header.indexOf('goldens')
  const ti = header.indexOf('generated_text')
  const missing = [ti < 0 ? 'generated_text' : null, gi < 0 && opts.requireGoldens ? 'goldens' : null].filter(Boolean)
  if (missing.length > 0) {
    throw new AppError('bad_file', `${file}: missing column${missing.length > 1 ? 's' : ''} ${missing.join(', ')} (found: ${header.join(', ') || 'none'}); the output layout is goldens,generated_text`, {
      file,
      field: missing[0]
    })
  }
  const quoteError = parsed.errors.find((e) => e.type === 'Quotes')
  if (quoteError) throw new AppError('bad_file', `${file} row ${quoteError.row ?? '?'}: ${quoteError.message}`, { file, row: quoteError.row })
  const pairs: OutputPair[] = []
  for (let r = 1; r < rows.length; r++) {
    const cells = rows[r]
    if (cells.length !== header.length) {
      throw new AppError('bad_file', `${file} row ${r}: ${cells.length} field(s) but the header has ${header.length} (${header.join(', ')}); the row counts of goldens and generated_text do not match`, {
        file,
        row: r
      })
    }
    pairs.push({ row: r, golden: gi >= 0 ? cells[gi] : null, generated: cells[ti] ?? '' })
  }
  if (pairs.length === 0) throw new AppError('bad_file', `${file}: no data rows`, { file })
  return { info, file, pairs }
}

/** Reads a folder of DATASET.csv files or a single CSV. */
export function readOutputs(target: string, opts: ReadOptions): LoadedOutputs {
  const path = resolve(target)
  if (!existsSync(path)) throw new AppError('not_found', `${path}: no such file or folder`, { file: path })
  const skipped: LoadedOutputs['skipped'] = []
  const datasets: OutputDataset[] = []
  let files: string[]
  if (statSync(path).isDirectory()) {
    files = readdirSync(path)
      .filter((f) => {
        if (extname(f).toLowerCase() === '.csv') return true
        if (statSync(join(path, f)).isFile() && f !== 'results.txt') skipped.push({ file: join(path, f), reason: 'not a .csv file' })
        return false
      })
      .sort()
      .map((f) => join(path, f))
    if (files.length === 0) throw new AppError('bad_file', `${path}: no DATASET.csv files in this folder`, { file: path })
    if (opts.datasetAs !== undefined && files.length > 1) {
      throw new AppError('invalid_input', `One dataset was named for the outputs but ${path} holds ${files.length} CSV files; point at one file instead`, { file: path, field: 'datasetAs' })
    }
  } else {
    files = [path]
  }
  const seen = new Set<string>()
  for (const file of files) {
    const info = datasetFor(file, opts.datasetAs)
    if (!info) {
      const reason = `unknown dataset "${basename(file, extname(file))}" (known: ${knownNames()}); rename the file or name its dataset`
      if (files.length === 1) throw new AppError('invalid_input', `${file}: ${reason}`, { file, field: 'datasetAs' })
      skipped.push({ file, reason, field: 'datasetAs' })
      continue
    }
    if (seen.has(info.name)) {
      skipped.push({ file, reason: `a second file for dataset ${info.name}` })
      continue
    }
    seen.add(info.name)
    datasets.push(readOutputCsv(file, info, opts))
  }
  if (datasets.length === 0) throw new AppError('invalid_input', `${path}: none of the files is a known dataset: ${skipped.map((s) => s.reason).join('; ')}`)
  return { source: { kind: 'outputs', path }, datasets, skipped }
}
