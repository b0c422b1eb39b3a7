import { existsSync, statSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { AppError } from '../../../shared/api/errors'
import type { OnnxEngine } from '../../inference/engines/onnx'
import type { OutputDataset } from '../outputs'
import { goldOf, type RowLabel } from '../report'
import { writeCsv } from '../../../shared/csv/write'

/**
 * The benchmark's own labeller: one fine-tuned MentalBERT classifier per dataset
 * (Tianlin668/DR, ..., converted to ONNX by scripts/convert_checkpoints.py), applied as
 * MentalLLaMA's src/label_inference.py applies it:
 * - the model of dataset X is MODEL_PATH/X (X = the output file's name: DR.csv -> MODEL_PATH/DR);
 * - the input is the whole generated text, tokenized with the folder's tokenizer, padding=True,
 *   truncation=True, max_length=512, in batches of 8 in file order;
 * - the label is the argmax of the logits through get_dict's index -> label map.
 */

/** label_inference.py's get_dict: output index -> label, per dataset. */
export const MENTALBERT_LABELS: Readonly<Record<string, readonly string[]>> = {
  CAMS: ['none', 'bias', 'job', 'medication', 'relation', 'alienation'],
  CLP: ['no', 'yes'],
  DR: ['no', 'yes'],
  dreaddit: ['no', 'yes'],
  Irf: ['no', 'yes'],
  loneliness: ['no', 'yes'],
  MultiWD: ['no', 'yes'],
  SAD: ['school', 'financial', 'family', 'social', 'work', 'health', 'emotional', 'everyday', 'other'],
  swmh: ['depression', 'suicide', 'anxiety', 'bipolar', 'no mental'],
  't-sid': ['depression', 'suicide', 'ptsd', 'control']
}

/** The script's label names in the workbench's label set (src/shared/imhi/datasets.ts), for the shared metrics and charts. */
const TO_WORKBENCH: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  SAD: {
    school: 'school',
    financial: 'financial problem',
    family: 'family issues',
    social: 'social relationships',
    work: 'work',
    health: 'health issues',
    emotional: 'emotional turmoil',
    everyday: 'everyday decision making',
    other: 'other stress causes'
  },
  CAMS: { none: 'none', bias: 'bias or abuse', job: 'jobs and career', medication: 'medication', relation: 'relationship', alienation: 'alienation' },
  swmh: { depression: 'depression', suicide: 'suicide', anxiety: 'anxiety', bipolar: 'bipolar disorder', 'no mental': 'none' },
  't-sid': { depression: 'depression', suicide: 'suicide or self-harm', ptsd: 'ptsd', control: 'none' }
}

export function workbenchLabel(dataset: string, label: string): string {
  return TO_WORKBENCH[dataset]?.[label] ?? label
}

export const MENTALBERT_MAX_LENGTH = 512
export const MENTALBERT_BATCH_SIZE = 8

/** What made a set of labels: stored with every evaluation and printed with every labelling. */
export interface MentalBertRun {
  /** The classifier folder of this dataset. */
  folder: string
  provider: string
  batchSize: number
  maxLength: number
  /** Rows whose generated text was cut to maxLength tokens. */
  truncated: number
  seconds: number
}

export interface MentalBertRow extends RowLabel {
  /** The script's own label name (get_dict), as label_inference.py writes it to its `labels` column. */
  scriptLabel: string
  /** Tokens fed to the model (with [CLS]/[SEP], after truncation). */
  tokens: number
}

/** The folder of converted classifiers, checked: an AppError naming it where it is not a folder. */
export function classifierRoot(root: string): string {
  const base = resolve(root)
  if (!existsSync(base)) throw new AppError('not_found', `${base}: no such folder (expected one converted MentalBERT classifier per dataset: ${base}/DR, ${base}/SAD, ...)`, { file: base })
  if (!statSync(base).isDirectory()) throw new AppError('bad_file', `${base}: not a folder (expected one converted MentalBERT classifier per dataset: ${base}/DR, ${base}/SAD, ...)`, { file: base })
  return base
}

/** The folder of the given dataset's classifier under the root: an AppError naming what is missing. */
export function classifierFolder(root: string, dataset: string): string {
  const dir = join(classifierRoot(root), dataset)
  if (!existsSync(dir)) throw new AppError('not_found', `${dir}: no classifier folder for ${dataset} (label_inference.py expects MODEL_PATH/${dataset}; convert Tianlin668/${dataset} with scripts/convert_checkpoints.py)`, { file: dir })
  return dir
}

/**
 * Labels one dataset's generated texts with its MentalBERT classifier. Loads the model, checks
 * that its number of outputs is the dataset's number of labels (the script's from_pretrained(...,
 * num_labels=N) refuses any other), labels, and unloads it. Nothing is stored here.
 */
export async function labelWithMentalBert(
  engine: OnnxEngine,
  root: string,
  ds: OutputDataset,
  opts: { batchSize?: number; onProgress?: (done: number, total: number) => void } = {}
): Promise<{ rows: MentalBertRow[]; run: MentalBertRun }> {
  const labels = MENTALBERT_LABELS[ds.info.name]
  if (!labels) throw new AppError('unsupported', `label_inference.py has no MentalBERT label map for ${ds.info.name}`)
  const batchSize = opts.batchSize ?? MENTALBERT_BATCH_SIZE
  if (!(Number.isInteger(batchSize) && batchSize >= 1 && batchSize <= 1024)) throw new AppError('invalid_input', `batch size ${batchSize}: give an integer from 1 to 1024`)
  const dir = classifierFolder(root, ds.info.name)
  const model = await engine.load(dir, { sessions: ['model'] })
  try {
    const graph = model.sessions.model
    const logits = graph.outputs.find((o) => o.name === 'logits')
    if (!logits) throw new AppError('bad_file', `${graph.file}: no output "logits" (outputs: ${graph.outputs.map((o) => o.name).join(', ')}); export the classifier with --task text-classification`, { file: graph.file })
    const graphLabels = typeof logits.shape[1] === 'number' ? logits.shape[1] : null
    const declared = graphLabels ?? model.configLabels
    if (declared !== null && declared !== labels.length) {
      const file = graphLabels !== null ? graph.file : join(dir, 'config.json')
      throw new AppError('bad_file', `${file}: the classifier has ${declared} labels but ${ds.info.name} has ${labels.length} (${labels.join(', ')}); this is not the ${ds.info.name} classifier`, { file })
    }
    if (model.maxPositions !== null && model.maxPositions < MENTALBERT_MAX_LENGTH) {
      throw new AppError('bad_file', `${join(dir, 'config.json')}: max_position_embeddings ${model.maxPositions} is less than the ${MENTALBERT_MAX_LENGTH} tokens label_inference.py feeds the classifier`, { file: join(dir, 'config.json') })
    }
    const texts = ds.pairs.map((p) => p.generated)
    if (texts.length === 0) return { rows: [], run: { folder: dir, provider: model.provider, batchSize, maxLength: MENTALBERT_MAX_LENGTH, truncated: 0, seconds: 0 } }
    const r = await engine.classify(model.id, texts, { maxLength: MENTALBERT_MAX_LENGTH, batchSize }, opts.onProgress)
    if (r.labels !== labels.length) {
      throw new AppError('bad_file', `${graph.file}: the classifier returns ${r.labels} scores per text but ${ds.info.name} has ${labels.length} labels; this is not the ${ds.info.name} classifier`, { file: graph.file })
    }
    const rows = ds.pairs.map((p, i): MentalBertRow => {
      const row = r.logits.subarray(i * r.labels, (i + 1) * r.labels)
      // numpy's argmax: the first of equal maxima.
      let best = 0
      for (let k = 1; k < row.length; k++) if (row[k] > row[best]) best = k
      let z = 0
      for (let k = 0; k < row.length; k++) z += Math.exp(row[k] - row[best])
      const scriptLabel = labels[best]
      return {
        row: p.row,
        itemId: p.itemId,
        label: workbenchLabel(ds.info.name, scriptLabel),
        scriptLabel,
        confidence: 1 / z,
        gold: p.golden === null && p.goldLabel === undefined ? null : goldOf(ds, p),
        empty: p.generated.trim().length === 0,
        tokens: r.tokens[i]
      }
    })
    return { rows, run: { folder: dir, provider: model.provider, batchSize, maxLength: MENTALBERT_MAX_LENGTH, truncated: r.truncated.length, seconds: r.seconds } }
  } finally {
    await engine.unload(model.id).catch(() => undefined)
  }
}

/**
 * What label_inference.py writes to DATA_OUTPUT_PATH/DATASET.csv: the columns goldens,
 * generated_text, labels (the script's label names), one row per output row, LF line ends, pandas'
 * minimal quoting. With
 * `guard`, cells a spreadsheet would run as a formula get an apostrophe (docs/security.md).
 */
export function labelledOutputCsv(rows: readonly { golden: string | null; generated: string; label: string }[], opts: { guard: boolean }): string {
  return writeCsv(
    ['goldens', 'generated_text', 'labels'],
    rows.map((r) => [r.golden ?? '', r.generated, r.label]),
    { guard: opts.guard, quoting: 'minimal' }
  )
}
