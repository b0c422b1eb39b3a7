import type { ServiceContext } from '../services'
import type { ImhiService } from '../imhi/service'
import type { InferenceService } from '../inference/service'
import type { AnnotationService } from '../annotation/service'
import type { OnnxEngine } from '../inference/engines/onnx'
import type {
  ClassifierInfo,
  CorrelationReport,
  CrossFitLabelling,
  EvaluationReport,
  EvaluationSummary,
  HeldOutScore,
  LabellerChoice,
  LabellerInfo,
  LabellerKind,
  MentalBertLabelling,
  OodConvention,
  RuleMode,
  RunTarget
} from '../../shared/api/evaluation'
import { AppError } from '../../shared/api/errors'
import { DATASETS, findDataset, type DatasetInfo } from '../../shared/imhi/datasets'
import { goldExplanation, goldLabel } from '../imhi/labels'
import {
  deserializeCrossFit,
  deserializeModel,
  LabelClassifier,
  postGroup,
  serializeCrossFit,
  serializeModel,
  trainAndScore,
  type ClassifierData,
  type CrossFit,
  type LabelledText,
  type LabelModel
} from './classifier'
import { CrossFittedLabeller } from './crossfit'
import { readOutputs, type LoadedOutputs, type OutputDataset } from './outputs'
import { buildReport, classifierLabels, correctnessOf, crossFitSummary, hasGoldens, type CorrectnessResult, qualityScores, lmScores, type RowLabel } from './report'
import { classifierRoot, labelWithMentalBert, type MentalBertRow } from './labellers/mentalbert'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { labelInferenceMetrics } from './labellers/label-inference-metrics'
import { inferenceLmScorer } from './lmscore'
import { openBartScorer, openBertScorer, type BartScorer, type BertScorer } from './onnx-scores'
import { correlationReport, type RatedExplanation } from './agreement'
import { PostMatcher, type PostMatch } from './postmatch'
import { scoreCorrectness } from './correctness'
import { attachEmbedding, createEmbeddings, EMBEDDING_CONTEXT, EmbeddingLabelClassifier, featuresName, normalizeL2, vectorMap, type EmbedStats, type EmbeddingModel } from './embedding'

/** The ONNX scorers asked for: BART-score and/or BERTScore, by export folder. */
export interface OnnxScorerOptions {
  bartModel?: string
  bertscoreModel?: string
  bertscoreLayer?: number
  bertscoreBaseline?: string
}

export interface Target {
  runId?: number
  path?: string
  datasetAs?: string
}

interface ClassifierRow {
  dataset: string
  features: string
  model: string
  train_rows: number
  held_out: string | null
  test: string | null
  seconds: number
  trained_at: string
  /** 1 where cross-fitted fold models are stored. */
  cross_fitted: number
}

/** The labeller's description stored with a report. */
export function labellerInfo(choice: LabellerChoice | undefined): LabellerInfo {
  if (!choice || choice.kind === 'tfidf') return { kind: 'tfidf', name: 'built-in TF-IDF classifiers', modelPath: null }
  return { kind: 'mentalbert', name: `MentalBERT (label_inference.py) from ${choice.modelPath}`, modelPath: choice.modelPath }
}

const CLASSIFIER_COLUMNS = 'dataset, features, model, train_rows, held_out, test, seconds, trained_at, cross_fit IS NOT NULL AS cross_fitted'

export function createEvaluationService(ctx: ServiceContext, deps: { imhi: ImhiService; inference: InferenceService; annotation: AnnotationService; onnx: OnnxEngine }) {
  const { db } = ctx
  const stmts = {
    classifiers: db.prepare<[], ClassifierRow>(`SELECT ${CLASSIFIER_COLUMNS} FROM label_classifiers ORDER BY dataset`),
    classifier: db.prepare<[string], ClassifierRow>(`SELECT ${CLASSIFIER_COLUMNS} FROM label_classifiers WHERE dataset = ?`),
    crossFit: db.prepare<[string], { cross_fit: string | null; trained_at: string }>('SELECT cross_fit, trained_at FROM label_classifiers WHERE dataset = ?'),
    saveClassifier: db.prepare(
      `INSERT INTO label_classifiers (dataset, features, model, train_rows, held_out, test, seconds, cross_fit)
       VALUES (@dataset, @features, @model, @train_rows, @held_out, @test, @seconds, @cross_fit)
       ON CONFLICT(dataset) DO UPDATE SET features = excluded.features, model = excluded.model, train_rows = excluded.train_rows,
         held_out = excluded.held_out, test = excluded.test, seconds = excluded.seconds, cross_fit = excluded.cross_fit,
         trained_at = strftime('%Y-%m-%dT%H:%M:%fZ','now')`
    ),
    saveEvaluation: db.prepare<[string, string, number | null, string | null, string, string | null]>('INSERT INTO evaluations (name, source_kind, run_id, path, report, labeller) VALUES (?, ?, ?, ?, ?, ?)'),
    updateReport: db.prepare<[string, number]>('UPDATE evaluations SET report = ? WHERE id = ?'),
    evaluations: db.prepare<[], { id: number; name: string; source_kind: 'run' | 'outputs'; run_id: number | null; path: string | null; report: string; created_at: string; labeller: LabellerKind | null }>(
      'SELECT id, name, source_kind, run_id, path, report, created_at, labeller FROM evaluations ORDER BY id DESC'
    ),
    evaluation: db.prepare<[number], { id: number; report: string; created_at: string }>('SELECT id, report, created_at FROM evaluations WHERE id = ?'),
    deleteEvaluation: db.prepare<[number]>('DELETE FROM evaluations WHERE id = ?'),
  }

  const classifierCache = new Map<string, { trainedAt: string; classifier: LabelClassifier }>()
  const embeddings = createEmbeddings(db, deps.inference)

  /** What embedding a labelling used: the model and how many vectors were computed or cached. */
  interface EmbeddingUse extends EmbedStats {
    model: string
    sha256: string
  }

  /**
   * The classifier that labels a dataset's generated texts: the stored one, or where it has
   * embedding features, the same with the embeddings of every non-empty text computed (or read
   * from the cache) under the model it was trained with (found by SHA-256 in the library, or the
   * explicit path). A missing or different model file is an AppError naming the file it needs.
   */
  async function labellingClassifier(
    ds: OutputDataset,
    base: LabelClassifier,
    embeddingModel: string | undefined,
    onProgress?: (done: number, total: number) => void
  ): Promise<{ classifier: LabelClassifier; embedding: EmbeddingUse | null; wrap: (m: LabelModel) => LabelClassifier }> {
    const ref = base.model.embedding
    if (!ref) return { classifier: base, embedding: null, wrap: (m) => new LabelClassifier(m) }
    const model = await embeddings.modelFor(ref, ds.info.name, embeddingModel)
    const texts = [...new Set(ds.pairs.map((p) => p.generated).filter((t) => t.trim() !== ''))]
    const r = await embeddings.embed(model, texts, { contextSize: ref.contextSize, onProgress })
    if (texts.length > 0 && r.dimension !== ref.dimension) {
      throw new AppError('conflict', `${model.file} returns ${r.dimension}-dimensional embeddings but the classifier of ${ds.info.name} was trained on ${ref.dimension}; retrain it.`)
    }
    const vectors = vectorMap(texts, r.vectors)
    return { classifier: new EmbeddingLabelClassifier(base.model, vectors), embedding: { model: model.file, sha256: model.sha256, ...r.stats }, wrap: (m) => new EmbeddingLabelClassifier(m, vectors) }
  }

  function toInfo(row: ClassifierRow): ClassifierInfo {
    return {
      dataset: row.dataset,
      features: row.features,
      trainRows: row.train_rows,
      heldOut: row.held_out ? (JSON.parse(row.held_out) as HeldOutScore) : null,
      test: row.test ? (JSON.parse(row.test) as HeldOutScore) : null,
      seconds: row.seconds,
      trainedAt: row.trained_at,
      crossFitted: row.cross_fitted === 1
    }
  }

  const crossFitCache = new Map<string, { trainedAt: string; crossFit: CrossFit }>()
  /** The stored fold models of a classifier that learned from the test posts, or null. */
  function loadCrossFit(dataset: string): CrossFit | null {
    const row = stmts.crossFit.get(dataset)
    if (!row?.cross_fit) return null
    const cached = crossFitCache.get(dataset)
    if (cached && cached.trainedAt === row.trained_at) return cached.crossFit
    let crossFit: CrossFit
    try {
      crossFit = deserializeCrossFit(row.cross_fit, dataset)
    } catch (err) {
      throw new AppError('bad_file', `The stored cross-fitted models of ${dataset} cannot be read (${err instanceof Error ? err.message : String(err)}); retrain the classifiers.`)
    }
    crossFitCache.set(dataset, { trainedAt: row.trained_at, crossFit })
    return crossFit
  }

  /** A cross-fitted labeller where the dataset's classifier learned from its test posts, else null. */
  function crossFitLabeller(dataset: string, full: LabelClassifier, wrap: (m: LabelModel) => LabelClassifier): { labeller: CrossFittedLabeller; folds: number } | null {
    const cf = loadCrossFit(dataset)
    return cf ? { labeller: new CrossFittedLabeller(full, cf, wrap), folds: cf.folds } : null
  }

  function loadClassifier(dataset: string): LabelClassifier | null {
    const row = stmts.classifier.get(dataset)
    if (!row) return null
    const cached = classifierCache.get(dataset)
    if (cached && cached.trainedAt === row.trained_at) return cached.classifier
    let classifier: LabelClassifier
    try {
      classifier = new LabelClassifier(deserializeModel(row.model))
    } catch (err) {
      throw new AppError('bad_file', `The stored classifier of ${dataset} cannot be read (${err instanceof Error ? err.message : String(err)}); retrain the label classifiers.`, { needs: 'classifiers' })
    }
    classifierCache.set(dataset, { trainedAt: row.trained_at, classifier })
    return classifier
  }

  function loadRun(runId: number): LoadedOutputs {
    const run = deps.inference.findRun(runId)
    if (!run) throw new AppError('not_found', `No run with id ${runId}.`)
    // The run's texts (inference) paired with their items (imhi), in dataset and file order.
    const textsOf = new Map<number, string[]>()
    for (const e of deps.inference.runExplanations(runId)) textsOf.set(e.itemId, [...(textsOf.get(e.itemId) ?? []), e.text])
    const byDataset = new Map<string, OutputDataset>()
    for (const item of deps.imhi.itemsByIds([...textsOf.keys()])) {
      const info = findDataset(item.dataset)
      if (!info) continue
      let ds = byDataset.get(info.name)
      if (!ds) byDataset.set(info.name, (ds = { info, file: null, pairs: [] }))
      // A completion-form item also brings the post of its instruction form (same dataset and test
      // row), which is how the classifiers' training rows know it (cross-fitted labelling).
      const instructionPost = item.split === 'test_complete' ? deps.imhi.twinItem(item.dataset, 'test_instruction', item.sourceRow)?.post : undefined
      for (const text of textsOf.get(item.id)!) {
        ds.pairs.push({
          row: item.sourceRow,
          itemId: item.id,
          question: item.question,
          golden: item.goldResponse,
          generated: text,
          goldLabel: item.goldLabel ?? (item.goldResponse ? goldLabel(info.name, item.goldResponse) : null),
          posts: instructionPost ? [item.post, instructionPost] : [item.post]
        })
      }
    }
    if (byDataset.size === 0) throw new AppError('invalid_input', `Run ${runId} ("${run.name}") has no generated explanations yet.`)
    return { source: { kind: 'run', runId, name: run.name }, datasets: [...byDataset.values()], skipped: [] }
  }

  function load(target: Target, requireGoldens: boolean): LoadedOutputs {
    if ((target.runId === undefined) === (target.path === undefined)) throw new AppError('invalid_input', 'Give either a run id or a path to an output folder/CSV, not both and not neither.')
    if (target.runId !== undefined) {
      if (target.datasetAs !== undefined) throw new AppError('invalid_input', 'A dataset name for output files does not apply to a run (a run knows its datasets).', { field: 'datasetAs' })
      return loadRun(target.runId)
    }
    return readOutputs(target.path!, { requireGoldens, datasetAs: target.datasetAs })
  }

  function trainingData(info: DatasetInfo): ClassifierData {
    const data: ClassifierData = { train: [], val: [], test: [], expert: [] }
    for (const r of deps.imhi.itemsOfSplits(info.name, ['train_instruction', 'val_instruction', 'test_instruction', 'expert'])) {
      if (!r.goldResponse) continue
      const label = r.goldLabel ?? goldLabel(info.name, r.goldResponse)
      const text = goldExplanation(r.goldResponse)
      if (!label || !text) continue
      const row: LabelledText = { text, label, question: r.question, group: postGroup(r.post) || undefined }
      if (r.split === 'train_instruction') data.train.push(row)
      else if (r.split === 'val_instruction') data.val.push(row)
      else if (r.split === 'test_instruction') data.test.push(row)
      else data.expert.push(row)
    }
    return data
  }

  /** The mean of an explanation's scores on one aspect (missing scores left out), or null. */
  function ratingMean(xs: readonly unknown[]): number | null {
    if (!Array.isArray(xs)) return null
    const nums = xs.filter((x): x is number => typeof x === 'number' && Number.isFinite(x))
    return nums.length > 0 ? nums.reduce((a, x) => a + x, 0) / nums.length : null
  }

  /** The evaluation or correlation analysis in progress (one at a time may be cancelled). */
  let inProgress: AbortController | null = null

  /**
   * Opens the ONNX scorers asked for (checking each export before any text is scored), runs
   * `body` with them and an abort signal, and unloads them whatever happens.
   */
  async function withOnnxScorers<T>(o: OnnxScorerOptions & { signal?: AbortSignal }, body: (s: { bart?: BartScorer; bertscore?: BertScorer; signal: AbortSignal }) => Promise<T>): Promise<T> {
    if ((o.bertscoreLayer !== undefined || o.bertscoreBaseline !== undefined) && !o.bertscoreModel) throw new AppError('invalid_input', 'A BERTScore layer or baseline was given without a BERTScore model.')
    const controller = new AbortController()
    // The caller's own signal (evaluation.cancel with its requestId) stops the work as cancel() does.
    if (o.signal?.aborted) controller.abort()
    else o.signal?.addEventListener('abort', () => controller.abort(), { once: true })
    const previous = inProgress
    inProgress = controller
    const opened: { bart?: BartScorer; bertscore?: BertScorer } = {}
    try {
      if (o.bartModel) opened.bart = await openBartScorer(deps.onnx, o.bartModel)
      if (o.bertscoreModel) opened.bertscore = await openBertScorer(deps.onnx, o.bertscoreModel, o.bertscoreLayer ?? null, o.bertscoreBaseline)
      return await body({ ...opened, signal: controller.signal })
    } finally {
      if (inProgress === controller) inProgress = previous
      await opened.bart?.close().catch(() => undefined)
      await opened.bertscore?.close().catch(() => undefined)
    }
  }

  /**
   * MentalBERT labels of every dataset that has a classifier folder under modelPath (the others
   * in `missing`), with the script's --calculate numbers where the dataset has goldens. Every
   * folder is checked by loading it; the first bad one fails the call before anything is stored.
   */
  async function mentalBertLabels(loaded: LoadedOutputs, opts: { modelPath: string; batchSize?: number; onProgress?: (dataset: string, done: number, total: number) => void }) {
    const labels = new Map<string, MentalBertRow[]>()
    const runs = new Map<string, MentalBertLabelling>()
    const missing: string[] = []
    const root = classifierRoot(opts.modelPath)
    for (const ds of loaded.datasets) {
      if (!existsSync(join(root, ds.info.name))) {
        missing.push(ds.info.name)
        continue
      }
      const r = await labelWithMentalBert(deps.onnx, root, ds, { batchSize: opts.batchSize, onProgress: (d, t) => opts.onProgress?.(ds.info.name, d, t) })
      labels.set(ds.info.name, r.rows)
      runs.set(ds.info.name, {
        ...r.run,
        script: hasGoldens(ds) ? labelInferenceMetrics(ds.info.name, ds.pairs.map((p) => p.golden ?? ''), r.rows.map((x) => x.scriptLabel)) : null
      })
    }
    return { labels, runs, missing }
  }

  return {
    load,

    /** Cancels the scoring in progress (the evaluation or correlation analysis stops between batches and stores nothing). */
    cancel(): { cancelled: boolean } {
      if (!inProgress || inProgress.signal.aborted) return { cancelled: false }
      inProgress.abort()
      return { cancelled: true }
    },

    /**
     * Rule-based correctness per dataset (what `imhi evaluate` prints): the workbench's rules under
     * either OOD convention, or IMHI.py's calculate_f1 as released.
     */
    correctness<R extends RuleMode = 'workbench'>(target: Target, opts: { rules?: R; ood?: OodConvention } = {}) {
      const loaded = load(target, true)
      const r = correctnessOf(loaded, opts.rules ?? 'workbench', opts.ood ?? 'workbench') as Extract<CorrectnessResult, { rules: R }>
      return { source: loaded.source, ...r, skipped: loaded.skipped }
    },

    /**
     * Labels every row with the dataset's learned classifier (and scores it where goldens exist),
     * computing the embeddings a classifier with embedding features needs (the model it was trained
     * with: found by SHA-256 in the model library, or `embeddingModel`, which must be that same file).
     * What `imhi label` runs.
     */
    async label(target: Target, opts: { embeddingModel?: string; ood?: OodConvention; onProgress?: (dataset: string, done: number, total: number) => void } = {}) {
      const loaded = load(target, false)
      const datasets: Record<
        string,
        { rows: ReturnType<typeof classifierLabels>; metrics: ReturnType<typeof scoreCorrectness> | null; embedding: EmbeddingUse | null; crossFit: CrossFitLabelling | null }
      > = {}
      const missing: string[] = []
      for (const ds of loaded.datasets) {
        const stored = loadClassifier(ds.info.name)
        if (!stored) {
          missing.push(ds.info.name)
          continue
        }
        const { classifier, embedding, wrap } = await labellingClassifier(ds, stored, opts.embeddingModel, (d, t) => opts.onProgress?.(ds.info.name, d, t))
        const cf = crossFitLabeller(ds.info.name, classifier, wrap)
        let rows = classifierLabels(ds, classifier, cf?.labeller)
        const stale = !cf && !ds.info.hasTrainingData
        // A classifier that learned from the test posts, trained before its fold models were kept: say its labels may be in-sample.
        if (stale) rows = rows.map((r) => ({ ...r, heldOut: r.empty ? null : 'unknown' }))
        datasets[ds.info.name] = {
          rows,
          crossFit: cf ? crossFitSummary(rows, cf.folds) : stale ? crossFitSummary(rows, 0) : null,
          metrics: hasGoldens(ds) ? scoreCorrectness(ds.info, rows.map((r) => r.gold), rows.map((r) => r.label), opts.ood ?? 'workbench') : null,
          embedding
        }
      }
      if (Object.keys(datasets).length === 0) {
        throw new AppError('invalid_input', `No label classifier trained for ${missing.join(', ')}; train the label classifiers after importing the IMHI data.`, { needs: 'classifiers' })
      }
      return { source: loaded.source, labeller: labellerInfo(undefined), datasets, missingClassifiers: missing, skipped: loaded.skipped }
    },

    /**
     * Labels every row with the benchmark's MentalBERT classifiers (modelPath/DATASET, converted
     * to ONNX), as label_inference.py does, with its --calculate numbers where goldens exist and the
     * workbench's correctness metrics on the same labels. A dataset with no folder under modelPath
     * is listed in missingClassifiers; a folder that is there but wrong fails the whole call.
     * Stores nothing. What `imhi label --model-path` runs.
     */
    async labelMentalBert(target: Target, opts: { modelPath: string; batchSize?: number; onProgress?: (dataset: string, done: number, total: number) => void }) {
      const loaded = load(target, false)
      const result = await mentalBertLabels(loaded, opts)
      if (result.labels.size === 0) {
        throw new AppError('not_found', `No MentalBERT classifier folder under ${opts.modelPath} for ${result.missing.join(', ')} (expected ${opts.modelPath}/${result.missing[0] ?? 'DR'} and so on).`)
      }
      const datasets: Record<string, { rows: MentalBertRow[]; texts: { golden: string | null; generated: string }[]; metrics: ReturnType<typeof scoreCorrectness> | null; mentalbert: MentalBertLabelling }> = {}
      for (const ds of loaded.datasets) {
        const rows = result.labels.get(ds.info.name)
        if (!rows) continue
        datasets[ds.info.name] = {
          rows,
          texts: ds.pairs.map((p) => ({ golden: p.golden, generated: p.generated })),
          metrics: hasGoldens(ds) ? scoreCorrectness(ds.info, rows.map((r) => r.gold), rows.map((r) => r.label)) : null,
          mentalbert: result.runs.get(ds.info.name)!
        }
      }
      return { source: loaded.source, labeller: labellerInfo({ kind: 'mentalbert', modelPath: opts.modelPath }), datasets, missingClassifiers: result.missing, skipped: loaded.skipped }
    },

    /** BLEU, ROUGE, (with a model) the LM score, and (with ONNX exports) BART-score and BERTScore per dataset. */
    async score(
      target: Target,
      metrics: { bleu: boolean; rouge: boolean; lm: boolean },
      modelPath?: string,
      onnx: OnnxScorerOptions & { onProgress?: (stage: string, dataset: string, done: number, total: number) => void } = {}
    ) {
      if (metrics.lm && !modelPath) throw new AppError('invalid_input', 'The lm metric needs a model (a .gguf file).', { field: 'lmModel' })
      const loaded = load(target, true)
      for (const ds of loaded.datasets) {
        if (!hasGoldens(ds)) throw new AppError('bad_file', `${ds.file ?? ds.info.name}: the goldens column is empty; BLEU/ROUGE/LM/BART-score/BERTScore need golden explanations`)
      }
      const scorer = metrics.lm && modelPath ? inferenceLmScorer(deps.inference, modelPath) : null
      return withOnnxScorers(onnx, async ({ bart, bertscore, signal }) => {
      const datasets: Record<string, Record<string, unknown>> = {}
      for (const ds of loaded.datasets) {
        const q = qualityScores(ds)
        if (!q) throw new AppError('bad_file', `${ds.file ?? ds.info.name}: the goldens column is empty; BLEU/ROUGE/LM need golden explanations`)
        const out: Record<string, unknown> = { n: q.quality.pairs, empty_responses: ds.pairs.filter((p) => !p.generated.trim()).length }
        if (metrics.bleu) out.bleu = q.quality.bleu
        if (metrics.rouge) out.rouge = { rouge1: q.quality.rouge1, rouge2: q.quality.rouge2, rougeL: q.quality.rougeL }
        if (scorer) {
          const lm = await lmScores(ds, scorer)
          out.lm = { model: scorer.modelPath, mean: lm.mean, n: lm.n, truncated: lm.truncated }
        }
        if (bart) out.bart = (await bart.score(ds.pairs, { signal, onProgress: (d, t) => onnx.onProgress?.('bart', ds.info.name, d, t) })).summary
        if (bertscore) out.bertscore = (await bertscore.score(ds.pairs, { signal, onProgress: (d, t) => onnx.onProgress?.('bertscore', ds.info.name, d, t) })).summary
        datasets[ds.info.name] = out
      }
      return { source: loaded.source, datasets, skipped: loaded.skipped }
      })
    },

    /** Every metric on a run or output folder, stored as an evaluation. */
    async evaluate(
      target: Target,
      opts: OnnxScorerOptions & {
        name?: string
        lmModel?: string
        embeddingModel?: string
        labeller?: LabellerChoice
        onProgress?: (stage: string, dataset: string | null, done: number, total: number) => void
        signal?: AbortSignal
      } = {}
    ): Promise<EvaluationReport> {
      const loaded = load(target, false)
      return withOnnxScorers(opts, async ({ bart, bertscore, signal }) => {
      const labeller = labellerInfo(opts.labeller)
      const labels = new Map<string, RowLabel[]>()
      const crossFits = new Map<string, { folds: number }>()
      const notCrossFitted = new Set<string>()
      let mentalbert: Map<string, MentalBertLabelling> | undefined
      if (opts.labeller?.kind === 'mentalbert') {
        const r = await mentalBertLabels(loaded, { modelPath: opts.labeller.modelPath, batchSize: opts.labeller.batchSize, onProgress: (d, done, total) => opts.onProgress?.('label', d, done, total) })
        if (r.labels.size === 0) throw new AppError('not_found', `No MentalBERT classifier folder under ${opts.labeller.modelPath} for ${r.missing.join(', ')} (expected ${opts.labeller.modelPath}/${r.missing[0] ?? 'DR'} and so on).`)
        for (const [k, v] of r.labels) labels.set(k, v)
        mentalbert = r.runs
      } else {
        for (const ds of loaded.datasets) {
          const c = loadClassifier(ds.info.name)
          if (!c) continue
          const l = await labellingClassifier(ds, c, opts.embeddingModel, (d, t) => opts.onProgress?.('embed', ds.info.name, d, t))
          const cf = crossFitLabeller(ds.info.name, l.classifier, l.wrap)
          if (cf) crossFits.set(ds.info.name, { folds: cf.folds })
          else if (!ds.info.hasTrainingData) notCrossFitted.add(ds.info.name)
          labels.set(ds.info.name, classifierLabels(ds, l.classifier, cf?.labeller))
        }
      }
      const name = opts.name ?? (loaded.source.kind === 'run' ? `run ${loaded.source.runId}: ${loaded.source.name}` : loaded.source.path)
      const report = await buildReport(loaded, {
        name,
        labels,
        labeller,
        mentalbert,
        crossFits,
        notCrossFitted,
        lm: opts.lmModel ? inferenceLmScorer(deps.inference, opts.lmModel) : undefined,
        bart,
        bertscore,
        onProgress: opts.onProgress,
        signal
      })
      // One transaction: the row and its report (with its own id) appear together or not at all.
      db.transaction(() => {
        const info = stmts.saveEvaluation.run(name, loaded.source.kind, loaded.source.kind === 'run' ? loaded.source.runId : null, loaded.source.kind === 'outputs' ? loaded.source.path : null, '{}', labels.size > 0 ? labeller.kind : null)
        report.id = Number(info.lastInsertRowid)
        stmts.updateReport.run(JSON.stringify(report), report.id)
      })()
      return report
      })
    },

    list(): EvaluationSummary[] {
      return stmts.evaluations.all().map((r) => {
        let datasets: string[] = []
        try {
          datasets = Object.keys((JSON.parse(r.report) as EvaluationReport).datasets ?? {})
        } catch {
          datasets = []
        }
        return { id: r.id, name: r.name, sourceKind: r.source_kind, runId: r.run_id, path: r.path, datasets, createdAt: r.created_at, labeller: r.labeller }
      })
    },

    get(id: number): EvaluationReport {
      const row = stmts.evaluation.get(id)
      if (!row) throw new AppError('not_found', `No evaluation with id ${id}.`)
      const report = JSON.parse(row.report) as EvaluationReport
      return { ...report, id: row.id }
    },

    remove(id: number): { deleted: boolean } {
      return { deleted: stmts.deleteEvaluation.run(id).changes > 0 }
    },

    runs(): RunTarget[] {
      return deps.inference.listRuns().map((r) => ({ id: r.id, name: r.name, status: r.status, explanations: r.done, datasets: r.datasets, createdAt: r.createdAt }))
    },

    classifiers(): ClassifierInfo[] {
      return stmts.classifiers.all().map(toInfo)
    },

    /**
     * Trains one classifier per dataset from the imported IMHI data (training/validation gold
     * explanations; test + expert with k-fold where no training data is released) and stores them.
     */
    async trainClassifiers(
      datasets?: string[],
      onProgress?: (dataset: string, done: number, total: number) => void,
      opts: { embeddingModel?: string; onEmbedProgress?: (dataset: string, done: number, total: number) => void; signal?: AbortSignal } = {}
    ): Promise<{ trained: ClassifierInfo[]; skipped: { dataset: string; reason: string }[]; embedding: (EmbedStats & { model: string; sha256: string; dimension: number }) | null }> {
      const infos = datasets
        ? datasets.map((d) => {
            const info = findDataset(d)
            if (!info) throw new AppError('invalid_input', `Unknown dataset "${d}"; known: ${DATASETS.map((x) => x.name).join(', ')}`)
            return info
          })
        : [...DATASETS]
      // An embedding model is checked (a GGUF llama.cpp loads and embeds with) before anything is stored.
      let embedModel: EmbeddingModel | null = null
      let dimension = 0
      const embedTotals: EmbedStats = { computed: 0, cached: 0, truncated: 0, seconds: 0 }
      if (opts.embeddingModel !== undefined) {
        embedModel = await embeddings.resolveModel(opts.embeddingModel)
        dimension = (await deps.inference.embed({ modelPath: embedModel.path, texts: ['dimension probe'], contextSize: EMBEDDING_CONTEXT })).dimension
      }
      const trained: ClassifierInfo[] = []
      const skipped: { dataset: string; reason: string }[] = []
      // Cancelled between datasets (and after a dataset's embeddings): what was stored stays.
      const stopIfCancelled = (): void => {
        if (!opts.signal?.aborted) return
        const kept = trained.map((t) => t.dataset)
        throw new AppError('cancelled', `Classifier training cancelled${kept.length ? `; the classifiers of ${kept.join(', ')} were trained and are kept` : '; no classifier was changed'}.`, { trained: kept })
      }
      for (const [k, info] of infos.entries()) {
        onProgress?.(info.name, k, infos.length)
        // Training is CPU work of 0.1-5 s per dataset: yield between datasets so other calls
        // (an annotator's ratings in serve mode) are answered in between.
        await new Promise((r) => setImmediate(r))
        stopIfCancelled()
        const data = trainingData(info)
        const total = data.train.length + data.val.length + data.test.length + data.expert.length
        if (total < 10) {
          skipped.push({ dataset: info.name, reason: total === 0 ? 'no labelled explanations imported (import the IMHI data first)' : `only ${total} labelled explanations` })
          continue
        }
        if (embedModel) {
          const rows = [...data.train, ...data.val, ...data.test, ...data.expert]
          const r = await embeddings.embed(embedModel, rows.map((x) => x.text), { contextSize: EMBEDDING_CONTEXT, onProgress: (d, t) => opts.onEmbedProgress?.(info.name, d, t) })
          if (r.dimension !== dimension) throw new AppError('conflict', `${embedModel.file}: embeddings of ${r.dimension} dimensions, expected ${dimension}.`)
          rows.forEach((x, i) => (x.embedding = normalizeL2(r.vectors[i])))
          for (const key of ['computed', 'cached', 'truncated', 'seconds'] as const) embedTotals[key] += r.stats[key]
          stopIfCancelled()
        }
        let result: ReturnType<typeof trainAndScore>
        try {
          result = trainAndScore(info, data)
          if (embedModel) {
            const ref = { file: embedModel.file, sha256: embedModel.sha256, dimension, contextSize: EMBEDDING_CONTEXT }
            attachEmbedding(result.model, ref)
            for (const m of result.crossFit?.models ?? []) if (m) attachEmbedding(m, ref)
          }
        } catch (err) {
          skipped.push({ dataset: info.name, reason: err instanceof Error ? err.message : String(err) })
          continue
        }
        stmts.saveClassifier.run({
          dataset: info.name,
          features: featuresName(result.model),
          model: serializeModel(result.model),
          train_rows: result.report.trainRows,
          held_out: result.report.heldOut ? JSON.stringify(result.report.heldOut) : null,
          test: result.report.test ? JSON.stringify(result.report.test) : null,
          seconds: result.report.seconds,
          cross_fit: result.crossFit ? serializeCrossFit(result.crossFit) : null
        })
        trained.push(toInfo(stmts.classifier.get(info.name)!))
      }
      return { trained, skipped, embedding: embedModel ? { model: embedModel.file, sha256: embedModel.sha256, dimension, ...embedTotals } : null }
    },

    /**
     * Correlations between automatic scores of explanations and human ratings: the released
     * DR_annotation ratings (reference_ratings; goldens = the DR gold responses of the same post),
     * or a study's ratings (goldens = the gold response of the same post in the item's dataset).
     */
    async correlations(
      opts: OnnxScorerOptions & { systems?: string[]; studyId?: number; lmModel?: string; onProgress?: (stage: string, done: number, total: number) => void; signal?: AbortSignal } = {}
    ): Promise<CorrelationReport> {
      // Each rated post is matched to an item of its dataset (postmatch.ts: normalized text first,
      // then on undamaged words), preferring the test_instruction item whose golden IMHI.py uses.
      const matchers = new Map<string, PostMatcher<string>>()
      const goldenFor = (post: string, dataset: string | null): PostMatch<string> => {
        const info = findDataset(dataset ?? 'DR')
        if (!info) return { value: null, how: 'none', reason: `unknown dataset "${dataset}"` }
        let m = matchers.get(info.name)
        if (!m) {
          const candidates = deps.imhi.goldResponses(info.name).map((r) => ({ post: r.post, value: r.goldResponse }))
          matchers.set(info.name, (m = new PostMatcher(candidates)))
        }
        return m.match(post)
      }
      const rated: RatedExplanation[] = []
      let source: string
      if (opts.studyId !== undefined) {
        source = `study ${opts.studyId}`
        const byItem = new Map<string, RatedExplanation & { sums: Record<string, number[]>; dataset: string | null }>()
        for (const r of deps.annotation.listStudyRatings(opts.studyId)) {
          let e = byItem.get(r.itemKey)
          if (!e) byItem.set(r.itemKey, (e = { key: r.itemKey, system: r.source, post: r.post, explanation: r.explanation, golden: null, ratings: {}, sums: {}, dataset: r.dataset }))
          ;(e.sums[r.aspect] ??= []).push(r.score)
        }
        for (const e of byItem.values()) {
          for (const [aspect, xs] of Object.entries(e.sums)) e.ratings[aspect] = xs.reduce((a, x) => a + x, 0) / xs.length
          const g = goldenFor(e.post, e.dataset)
          rated.push({ key: e.key, system: e.system, post: e.post, explanation: e.explanation, golden: g.value, match: g.how, origin: `study ${opts.studyId} item ${e.key}`, unmatchedReason: g.how === 'none' ? g.reason : undefined, ratings: e.ratings })
        }
      } else {
        source = 'DR_annotation (reference ratings)'
        for (const r of deps.imhi.referenceRatings()) {
          if (opts.systems && !opts.systems.includes(r.system)) continue
          const ratings: Record<string, number> = {}
          for (const aspect of ['fluency', 'completeness', 'reliability', 'overall'] as const) {
            const m = ratingMean(r.scores[aspect])
            if (m !== null) ratings[aspect] = m
          }
          const g = goldenFor(r.post, 'DR')
          rated.push({
            key: `${r.system}:${r.id}`,
            system: r.system,
            post: r.post,
            explanation: r.explanation,
            golden: g.value,
            match: g.how,
            origin: `${r.sourceFile} row ${r.sourceRow}`,
            unmatchedReason: g.how === 'none' ? g.reason : undefined,
            ratings
          })
        }
      }
      if (rated.length === 0) throw new AppError('not_found', opts.studyId !== undefined ? `Study ${opts.studyId} has no ratings yet.` : 'No reference ratings imported (import the IMHI folder with human_evaluation/DR_annotation).')
      const scorer = opts.lmModel ? inferenceLmScorer(deps.inference, opts.lmModel) : undefined
      return withOnnxScorers(opts, async ({ bart, bertscore, signal }) => {
        let stage = ''
        return correlationReport(source, rated, scorer, { bart, bertscore, control: { signal, onStage: (s) => (stage = s), onProgress: (d, t) => opts.onProgress?.(stage, d, t) } })
      })
    }
  }
}
export type EvaluationService = ReturnType<typeof createEvaluationService>
