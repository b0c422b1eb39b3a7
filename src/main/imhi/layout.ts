import { findDataset, type SplitName } from '../../shared/imhi/datasets'

/**
 * Where a CSV sits in the MentalLLaMA layout, from its path alone (pure: no file access).
 *
 *   test_data/test_instruction/DATASET.csv             items, split test_instruction
 *   test_data/test_complete/DATASET.csv                items, split test_complete
 *   human_evaluation/test_instruction_expert/DATASET.csv  items, split expert
 *   human_evaluation/DR_annotation/SYSTEM.csv          reference ratings of DR explanations
 *   train_data/instruction_data/DATASET/NAME.csv       items, train_instruction or val_instruction
 *   train_data/complete_data/DATASET/NAME.csv          items, train_complete or val_complete
 *   examples/response_generation_examples/DATASET.csv  model outputs: not items, skipped
 *
 * The layout path (what source_files.path stores) is rebuilt from the folder names, so importing
 * the repository root, its test_data folder or one file of it records the same path.
 */
export type FileKind = 'items' | 'reference_ratings' | 'outputs'

export interface Placement {
  kind: FileKind
  /** Canonical dataset name, or null when the path names none we know. */
  dataset: string | null
  split: SplitName | null
  layoutPath: string
  /** What the folders say, for messages ("test_data/test_instruction"). */
  folder: string
}

const eq = (a: string | undefined, b: string) => a !== undefined && a.toLowerCase() === b.toLowerCase()

export function pathSegments(path: string): string[] {
  return path.split(/[\\/]+/).filter((s) => s.length > 0)
}

export function fileStem(fileName: string): string {
  return fileName.replace(/\.csv$/i, '')
}

/** A training file whose name says val/valid/validation/dev is validation data. */
export function isValidationName(fileName: string): boolean {
  return fileStem(fileName)
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .some((t) => t === 'val' || t === 'valid' || t === 'validation' || t === 'dev')
}

/** A dataset named by a file name: the whole stem ("t-sid") or one of its parts ("dreaddit-train"). */
export function datasetFromName(fileName: string): string | null {
  const stem = fileStem(fileName)
  const whole = findDataset(stem)
  if (whole) return whole.name
  for (const part of stem.split(/[_.\s]+|-(?=train|val|valid|test|dev)/i)) {
    const d = findDataset(part)
    if (d) return d.name
  }
  return null
}

/** Places a CSV by its folders; null when they are not in the MentalLLaMA layout. */
export function placeByPath(path: string): Placement | null {
  const segs = pathSegments(path)
  const file = segs[segs.length - 1]
  if (!file || !/\.csv$/i.test(file)) return null
  const parent = segs[segs.length - 2]
  const grand = segs[segs.length - 3]
  const byStem = findDataset(fileStem(file))?.name ?? null

  if (eq(parent, 'test_instruction') || eq(parent, 'test_complete')) {
    const split: SplitName = eq(parent, 'test_instruction') ? 'test_instruction' : 'test_complete'
    return { kind: 'items', dataset: byStem, split, layoutPath: `test_data/${split}/${file}`, folder: `test_data/${split}` }
  }
  if (eq(parent, 'test_instruction_expert')) {
    return {
      kind: 'items',
      dataset: byStem,
      split: 'expert',
      layoutPath: `human_evaluation/test_instruction_expert/${file}`,
      folder: 'human_evaluation/test_instruction_expert'
    }
  }
  if (eq(parent, 'DR_annotation')) {
    return { kind: 'reference_ratings', dataset: 'DR', split: null, layoutPath: `human_evaluation/DR_annotation/${file}`, folder: 'human_evaluation/DR_annotation' }
  }
  if (eq(parent, 'response_generation_examples')) {
    return {
      kind: 'outputs',
      dataset: byStem,
      split: null,
      layoutPath: `examples/response_generation_examples/${file}`,
      folder: 'examples/response_generation_examples'
    }
  }
  if ((eq(grand, 'instruction_data') || eq(grand, 'complete_data')) && parent) {
    const style = eq(grand, 'instruction_data') ? 'instruction' : 'complete'
    const val = isValidationName(file)
    const split: SplitName = style === 'instruction' ? (val ? 'val_instruction' : 'train_instruction') : val ? 'val_complete' : 'train_complete'
    const dataset = findDataset(parent)?.name ?? datasetFromName(file)
    return {
      kind: 'items',
      dataset,
      split,
      layoutPath: `train_data/${style}_data/${parent}/${file}`,
      folder: `train_data/${style}_data/${parent}`
    }
  }
  return null
}

export const LAYOUT_HELP =
  'The MentalLLaMA layout has test_data/test_instruction/DATASET.csv, test_data/test_complete/DATASET.csv, ' +
  'human_evaluation/test_instruction_expert/DATASET.csv, human_evaluation/DR_annotation/*.csv, ' +
  'train_data/instruction_data/DATASET/*.csv and train_data/complete_data/DATASET/*.csv.'
