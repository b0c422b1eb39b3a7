import { readFileSync, statSync } from 'node:fs'
import { resolve } from 'node:path'
import { AppError } from '../../shared/api/errors'

/**
 * BERTScore's optional baseline rescaling (bert_score's rescale_with_baseline, which evaluate's
 * bertscore applies only when asked): from a baseline file in bert_score's layout
 * (rescale_baseline/LANG/MODEL.tsv: a CSV with the header LAYER,P,R,F and one row per layer, row i
 * for layer i), the row of the layer scored, b = (P, R, F); each pair's scores become
 * (x - b) / (1 - b), P, R and F1 each with its own baseline (F1 is not recomputed from the
 * rescaled P and R), as bert_score does.
 */
export interface BertScoreBaseline {
  file: string
  layer: number
  precision: number
  recall: number
  f1: number
}

export function readBaseline(path: string, layer: number): BertScoreBaseline {
  const file = resolve(path)
  let text: string
  try {
    if (statSync(file).size > 1024 * 1024) throw new AppError('bad_file', `${file}: too large for a BERTScore baseline file`, { file })
    text = readFileSync(file, 'utf8').replace(/^\ufeff/, '')
  } catch (err) {
    if (err instanceof AppError) throw err
    throw new AppError('not_found', `${file}: cannot read the BERTScore baseline file (${err instanceof Error ? err.message : String(err)})`, { file })
  }
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '')
  const header = (lines[0] ?? '').split(',').map((h) => h.trim())
  const col = (name: string) => header.indexOf(name)
  if (col('P') < 0 || col('R') < 0 || col('F') < 0) throw new AppError('bad_file', `${file}: expected bert_score's baseline layout, a header with P, R and F (found: ${header.join(', ') || 'nothing'})`, { file })
  // pandas' .iloc[num_layers]: the row at that position among the data rows
  const row = lines[1 + layer]
  if (row === undefined) throw new AppError('bad_file', `${file}: no row for layer ${layer} (it has ${lines.length - 1} data rows)`, { file, row: 1 + layer })
  const cells = row.split(',').map((c) => Number(c.trim()))
  const get = (name: string) => {
    const v = cells[col(name)]
    if (!Number.isFinite(v) || v >= 1) throw new AppError('bad_file', `${file} row ${1 + layer}: ${name} is not a number below 1`, { file, row: 1 + layer, field: name })
    return v
  }
  return { file, layer, precision: get('P'), recall: get('R'), f1: get('F') }
}

export function rescale(x: number, baseline: number): number {
  return (x - baseline) / (1 - baseline)
}
