// The evaluation domain's part of the API contract: methods (input schemas + output types) and events.
import { z } from 'zod'
import { method } from './define'

export interface ClassScores {
  label: string
  precision: number
  recall: number
  f1: number
  /** Number of gold occurrences. */
  support: number
  /** Number of predicted occurrences. */
  predicted: number
}

/**
 * How a response with no label (OOD) is scored: "workbench" = an extra class "ood", always wrong;
 * "benchmark" = IMHI.py's class 0 ("no"/"none"; SAD: "other stress causes"), as IMHI.py does.
 */
export type OodConvention = 'workbench' | 'benchmark'
export const OOD_CONVENTION_NAMES = ['workbench', 'benchmark'] as const

/** Whose label rules read the responses: the workbench's own, or IMHI.py's calculate_f1 as released. */
export type RuleMode = 'workbench' | 'imhi-py'
export const RULE_MODE_NAMES = ['workbench', 'imhi-py'] as const

/** Correctness of one dataset (fractions 0..1); see docs/evaluation.md for the definitions. */
export interface CorrectnessMetrics {
  dataset: string
  n: number
  accuracy: number
  weighted_f1: number
  micro_f1: number
  macro_f1: number
  weighted_precision: number
  weighted_recall: number
  macro_precision: number
  macro_recall: number
  /** Responses with no label, however they were scored. */
  ood: number
  /** How those were scored (absent in reports stored before it existed: "workbench"). */
  ood_convention?: OodConvention
  unmatched_gold: number
  unmatchedGoldRows: number[]
  perClass: ClassScores[]
  confusion: { labels: string[]; matrix: number[][] }
  goldDistribution: Record<string, number>
  predictedDistribution: Record<string, number>
}

/**
 * One dataset under IMHI.py's calculate_f1 as released (src/main/evaluation/imhipy.ts): its
 * numbers in percent, rounded as the script rounds, or why the script fails on it.
 */
export interface ImhiPyResult {
  dataset: string
  /** Percent, rounded as the script rounds; null where the script fails (see error) or prints nan. */
  accuracy: number | null
  weighted_f1: number | null
  micro_f1: number | null
  macro_f1: number | null
  /** The script's "OOD count". */
  ood_count: number
  /** Lengths of the script's two lists. */
  golden_labels: number
  output_labels: number
  unmatched_golden_rows: number[]
  /** Why the script gives no number for this dataset (it raises), else null. */
  error: string | null
  /** The line the script prints, or null where it raises. */
  line: string | null
}

/**
 * How a dataset's classifier labels were made where its classifier learned from the test posts
 * (CAMS, loneliness, t-sid, swmh): rows whose post it learned from labelled by the fold model that
 * held the post out (outOfFold), rows of other posts by the full model (notInTraining), rows whose
 * post could not be told (unknown: possibly in-sample).
 */
export interface CrossFitLabelling {
  folds: number
  outOfFold: number
  notInTraining: number
  unknown: number
}

export interface BleuResult {
  bleu: number | null
  precisions: number[]
  brevity_penalty: number | null
  length_ratio: number | null
  translation_length: number
  reference_length: number
  /** Why bleu is null (empty predictions or references), else absent. */
  error?: string
}

/** BART-score of a dataset (score.py BARTscore): mean over pairs of the golden's mean log-likelihood per token given the generated text. */
export interface BartScoreSummary {
  /** The ONNX export folder. */
  model: string
  mean: number | null
  n: number
  /** Pairs with a side cut to maxLength tokens. */
  truncated: number
  batchSize: number
  maxLength: number
  /** ONNX Runtime execution provider (cpu, cuda). */
  provider: string
}

/** BERTScore of a dataset (score.py BERTScore / evaluate's bertscore, no idf, no rescaling): means over pairs. */
export interface BertScoreSummary {
  model: string
  /** The encoder layer whose hidden states were matched. */
  layer: number | null
  precision: number | null
  recall: number | null
  f1: number | null
  n: number
  truncated: number
  batchSize: number
  provider: string
  /** The baseline the scores were rescaled with ((x - b) / (1 - b)); null or absent: raw scores, as score.py reports them. */
  baseline?: { file: string; precision: number; recall: number; f1: number } | null
}

export interface QualityScores {
  /** Pairs with a golden explanation (the rest have no reference). */
  pairs: number
  bleu: BleuResult | null
  rouge1: number | null
  rouge2: number | null
  rougeL: number | null
  /** Mean over pairs of the model-likelihood score; null when not computed. */
  lm: { model: string; mean: number | null; n: number; truncated: number } | null
  /** BART-score through ONNX Runtime; absent or null when not computed. */
  bart?: BartScoreSummary | null
  /** BERTScore through ONNX Runtime; absent or null when not computed. */
  bertscore?: BertScoreSummary | null
}

/** Which labeller labelled the generated explanations (the "classifier" metrics of a report). */
export type LabellerKind = 'tfidf' | 'mentalbert'

export interface LabellerInfo {
  kind: LabellerKind
  /** In words: "built-in TF-IDF classifiers" or "MentalBERT (label_inference.py) from DIR". */
  name: string
  /** The folder of converted classifiers (DIR/DR, DIR/SAD, ...), for MentalBERT; else null. */
  modelPath: string | null
}

/** The numbers label_inference.py --calculate prints for a dataset (percent, rounded as it rounds), or why it fails there. */
export type LabelInferenceMetrics =
  | { ok: true; accuracy: number; weighted_f1: number; micro_f1: number; macro_f1: number; n: number; printed: string }
  | { ok: false; error: string; printed: null }

/** How one dataset was labelled by MentalBERT. */
export interface MentalBertLabelling {
  folder: string
  /** ONNX Runtime execution provider: cuda or cpu. */
  provider: string
  batchSize: number
  maxLength: number
  /** Rows cut to maxLength tokens. */
  truncated: number
  seconds: number
  /** label_inference.py --calculate on these labels; null without goldens. */
  script: LabelInferenceMetrics | null
}

export interface DatasetReport {
  dataset: string
  task: string
  labels: string[]
  file: string | null
  rows: number
  /** Rows whose generated text is empty (counted as OOD). */
  emptyResponses: number
  /** Rows longer than 20,000 characters (only their start is read for a label). */
  longResponses: number
  /** Workbench rules, workbench OOD convention (an extra wrong class). */
  rule: CorrectnessMetrics | null
  classifier: CorrectnessMetrics | null
  /** Present where MentalBERT made the classifier labels (absent in reports stored before it existed). */
  mentalbert?: MentalBertLabelling | null
  /** The same labels under the benchmark's OOD convention (IMHI.py's class 0; SAD: other). Absent in older reports. */
  ruleBenchmarkOod?: CorrectnessMetrics | null
  classifierBenchmarkOod?: CorrectnessMetrics | null
  /** IMHI.py's calculate_f1 as released. Absent in older reports. */
  imhiPy?: ImhiPyResult | null
  /** Cross-fitted classifier labelling (null: the classifier learned from training data only, or none ran). */
  classifierLabelling?: CrossFitLabelling | null
  quality: QualityScores | null
  /**
   * Per row, in row order (the first 5,000 rows): for the distributions and the row table. Scores
   * are null where the row has no golden (or the response is empty, for the classifier).
   */
  perRow: {
    row: number[]
    gold: (string | null)[]
    rule: (string | null)[]
    classifier: (string | null)[] | null
    /** The start of the generated response (200 characters). */
    snippet: string[]
    rouge1: (number | null)[]
    rouge2: (number | null)[]
    rougeL: (number | null)[]
    lm: (number | null)[] | null
    /** Per-row BART-score (absent in reports made before it existed). */
    bart?: (number | null)[] | null
    /** Per-row BERTScore F1. */
    bertscore?: (number | null)[] | null
    classifierConfidence: (number | null)[] | null
    /** Per row, how its classifier label was made (cross-fitted datasets only): out_of_fold, not_in_training, unknown. */
    classifierHeldOut?: ('out_of_fold' | 'not_in_training' | 'unknown' | null)[] | null
  }
}

export interface EvaluationReport {
  id: number | null
  name: string
  source: { kind: 'outputs'; path: string } | { kind: 'run'; runId: number; name: string }
  createdAt: string
  datasets: Record<string, DatasetReport>
  /** Files left out and why; `field` names the input that would have placed a file (datasetAs). */
  skipped: { file: string; reason: string; field?: string }[]
  /** What could not be computed, and why (no classifier trained, no goldens, ...). */
  notes: string[]
  /** Which labeller made the classifier labels (absent in reports stored before it was recorded: the TF-IDF classifiers). */
  labeller?: LabellerInfo
}

export interface EvaluationSummary {
  id: number
  name: string
  sourceKind: 'run' | 'outputs'
  runId: number | null
  path: string | null
  datasets: string[]
  createdAt: string
  /** Which labeller made its classifier labels: tfidf or mentalbert (null: none ran). */
  labeller: LabellerKind | null
}

export interface HeldOutScore {
  /** How the score was obtained, in words. */
  method: string
  n: number
  accuracy: number
  macro_f1: number
  weighted_f1: number
}

export interface ClassifierInfo {
  dataset: string
  /** Whether it learned from the test posts and labels them cross-fitted (fold models stored); absent in older databases' answers. */
  crossFitted?: boolean
  /** "tfidf", or "tfidf+embedding:<GGUF file name>" for a classifier with embedding features. */
  features: string
  trainRows: number
  heldOut: HeldOutScore | null
  test: HeldOutScore | null
  seconds: number
  trainedAt: string
}

export interface RunTarget {
  id: number
  name: string
  status: string
  explanations: number
  datasets: string[]
  createdAt: string
}

export interface CorrelationValue {
  n: number
  r: number | null
  p: number | null
}
export interface CorrelationReport {
  source: string
  /** Items rated and matched to a golden explanation. */
  n: number
  unmatched: number
  /** Every rated explanation left out for want of a golden: where it is (file and row) and why. */
  unmatchedRows: { key: string; system: string; origin: string; reason: string }[]
  /** How the matched ones were found: same normalized text, or closest on undamaged words. */
  matched: { exact: number; close: number }
  metrics: string[]
  aspects: string[]
  /** table[metric][aspect] */
  table: Record<string, Record<string, { pearson: CorrelationValue; spearman: CorrelationValue; kendall: CorrelationValue }>>
  /** Scatter points: one per item: the automatic scores and the mean human rating per aspect. */
  points: { key: string; system: string; scores: Record<string, number | null>; ratings: Record<string, number> }[]
  notes: string[]
}

/** The labeller of an evaluation: the built-in TF-IDF classifiers (default) or a folder of converted MentalBERT classifiers. */
export const labellerSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('tfidf') }).strict(),
  z.object({ kind: z.literal('mentalbert'), modelPath: z.string().min(1).max(4096), batchSize: z.number().int().min(1).max(1024).optional() }).strict()
])
export type LabellerChoice = z.infer<typeof labellerSchema>

const targetSchema = z
  .object({
    runId: z.number().int().positive().optional(),
    path: z.string().min(1).max(4096).optional(),
    datasetAs: z.string().min(1).max(64).optional()
  })
  .strict()
  .refine((t) => (t.runId === undefined) !== (t.path === undefined), { message: 'give exactly one of runId or path' })

/** The ONNX scorers of explanation quality an evaluation or a correlation analysis may add. */
const onnxScorerFields = {
  /** A BART export folder (encoder_model.onnx + decoder_model.onnx): adds BART-score. */
  bartModel: z.string().min(1).max(4096).optional(),
  /** An encoder export folder (model.onnx): adds BERTScore. */
  bertscoreModel: z.string().min(1).max(4096).optional(),
  /** The encoder layer for BERTScore; the export must end after it (default: the export's last). */
  bertscoreLayer: z.number().int().min(0).max(128).optional(),
  /** bert_score's baseline file for the model (LAYER,P,R,F): rescales BERTScore; none by default. */
  bertscoreBaseline: z.string().min(1).max(4096).optional()
}

export const evaluationMethods = {
  /** Runs every metric on a run or an output folder, stores the report and returns it. */
  'evaluation.evaluate': method<EvaluationReport>()(
    z
      .object({
        target: targetSchema,
        name: z.string().min(1).max(200).optional(),
        lmModel: z.string().min(1).max(4096).optional(),
        ...onnxScorerFields,
        /** The embedding model of classifiers trained with embedding features, where it is not in the model library. */
        embeddingModel: z.string().min(1).max(4096).optional(),
        /** Who labels the generated explanations (default: the built-in TF-IDF classifiers). */
        labeller: labellerSchema.optional(),
        /** The caller's name for this evaluation, for evaluation.cancel. */
        requestId: z.string().min(1).max(64).optional()
      })
      .strict()
  ),
  /**
   * Stops a running evaluation.evaluate, evaluation.trainClassifiers or evaluation.correlations of
   * this client (its requestId): an evaluation between rows or scoring batches (it stores nothing),
   * a training between datasets (the classifiers trained before are kept), a correlation analysis
   * between scoring batches. Without a requestId, the ONNX scoring in progress (an evaluation or a
   * correlation analysis). The call stopped ends with a 'cancelled' error.
   */
  'evaluation.cancel': method<{ cancelled: boolean }>()(z.object({ requestId: z.string().min(1).max(64).optional() }).strict()),
  'evaluation.list': method<EvaluationSummary[]>()(z.object({}).strict()),
  'evaluation.get': method<EvaluationReport>()(z.object({ id: z.number().int().positive() }).strict()),
  'evaluation.delete': method<{ deleted: boolean }>()(z.object({ id: z.number().int().positive() }).strict()),
  'evaluation.runs': method<RunTarget[]>()(z.object({}).strict()),
  'evaluation.classifiers': method<ClassifierInfo[]>()(z.object({}).strict()),
  /**
   * Trains (and stores) one classifier per dataset. With `embeddingModel` (a GGUF path, e.g. a
   * model of the library) its features are TF-IDF terms plus that model's normalized embedding.
   * Progress: evaluation.progress with stage 'embed' (texts embedded) and 'train' (datasets).
   */
  'evaluation.trainClassifiers': method<ClassifierInfo[]>()(
    z
      .object({
        datasets: z.array(z.string().min(1).max(64)).max(16).optional(),
        embeddingModel: z.string().min(1).max(4096).optional(),
        /** The caller's name for this training, for evaluation.cancel. */
        requestId: z.string().min(1).max(64).optional()
      })
      .strict()
  ),
  /** Progress: evaluation.progress with the scoring stage ('lm', 'bart', 'bertscore', ...). */
  'evaluation.correlations': method<CorrelationReport>()(
    z
      .object({
        systems: z.array(z.string().min(1).max(128)).max(16).optional(),
        studyId: z.number().int().positive().optional(),
        lmModel: z.string().min(1).max(4096).optional(),
        ...onnxScorerFields,
        /** The caller's name for this analysis, for evaluation.cancel. */
        requestId: z.string().min(1).max(64).optional()
      })
      .strict()
  ),
}

export interface EvaluationEvents {
  'evaluation.progress': { stage: string; dataset: string | null; done: number; total: number }
}
