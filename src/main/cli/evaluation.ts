import { Option, type Command } from 'commander'
import { mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { intArg, jsonOption, printJson, withServices } from './common'
import { AppError } from '../../shared/api/errors'
import { OOD_CONVENTION_NAMES, RULE_MODE_NAMES, type BartScoreSummary, type BertScoreSummary, type CorrectnessMetrics, type ImhiPyResult, type OodConvention, type RuleMode } from '../../shared/api/evaluation'
import type { Services } from '../services'
import { readOutputs } from '../evaluation/outputs'
import { correctnessOf, type CorrectnessResult } from '../evaluation/report'
import { EMBEDDING_CONTEXT } from '../evaluation/embedding'
import { labelledOutputCsv } from '../evaluation/labellers/mentalbert'
import { withCliHint } from './hints'

interface TargetOpts {
  db?: string
  run?: number
  datasetAs?: string
  json?: boolean
}

const optionalDb = () => new Option('--db <file>', 'SQLite database file (runs, trained classifiers)')
const runOption = () => new Option('--run <id>', 'evaluate a run of the database instead of a folder/CSV (needs --db)').argParser(intArg('--run'))
const embeddingModelOption = (what: string) => new Option('--embedding-model <path>', what)
const datasetAsOption = () => new Option('--dataset-as <name>', 'which IMHI dataset a CSV is, when its file name is not one (DR, dreaddit, loneliness, Irf, MultiWD, SAD, CAMS, t-sid, swmh)')

const bartModelOption = () => new Option('--bart-model <dir>', 'BART export folder (encoder_model.onnx, decoder_model.onnx, tokenizer, config.json: bart-large-cnn with bart_score.pth, converted as docs/onnx.md says): adds BART-score')
const bertscoreModelOption = () => new Option('--bertscore-model <dir>', 'encoder export folder (model.onnx, tokenizer, config.json) cut after the BERTScore layer: adds BERTScore')
const layerOption = () => new Option('--layer <n>', "BERTScore's layer (default: the layer the export ends at; must be that one)").argParser(intArg('--layer', 0))
const baselineOption = () => new Option('--bertscore-baseline <file>', "rescale BERTScore with bert_score's baseline file for the model (rescale_baseline/LANG/MODEL.tsv); score.py does not")

interface OnnxScoreOpts {
  bartModel?: string
  bertscoreModel?: string
  layer?: number
  bertscoreBaseline?: string
}

function onnxScorers(opts: OnnxScoreOpts): { bartModel?: string; bertscoreModel?: string; bertscoreLayer?: number; bertscoreBaseline?: string } {
  if (opts.layer !== undefined && !opts.bertscoreModel) throw new AppError('invalid_input', '--layer applies to BERTScore; give --bertscore-model DIR too.')
  if (opts.bertscoreBaseline !== undefined && !opts.bertscoreModel) throw new AppError('invalid_input', '--bertscore-baseline applies to BERTScore; give --bertscore-model DIR too.')
  return { bartModel: opts.bartModel, bertscoreModel: opts.bertscoreModel, bertscoreLayer: opts.layer, bertscoreBaseline: opts.bertscoreBaseline }
}

/** A progress line on stderr (a terminal only): "bart DR 12/35". */
function progressLine(enabled: boolean) {
  if (!enabled) return { update: undefined, clear: () => undefined }
  return {
    update: (stage: string, dataset: string | null, done: number, total: number) => process.stderr.write(`\r${stage} ${dataset ?? ''} ${done}/${total}`.padEnd(50)),
    clear: () => process.stderr.write('\r'.padEnd(51) + '\r')
  }
}

/** TARGET path or --run ID (with --db): exactly one. */
function target(path: string | undefined, opts: TargetOpts): { runId?: number; path?: string; datasetAs?: string } {
  if (path !== undefined && opts.run !== undefined) throw new AppError('invalid_input', 'Give a TARGET path or --run ID, not both.')
  if (path === undefined && opts.run === undefined) throw new AppError('invalid_input', 'Give a TARGET (a folder of DATASET.csv files or one CSV with goldens,generated_text) or --db FILE --run ID.')
  if (opts.run !== undefined && !opts.db) throw new AppError('invalid_input', '--run needs --db FILE (the database that holds the run).')
  return opts.run !== undefined ? { runId: opts.run, datasetAs: opts.datasetAs } : { path, datasetAs: opts.datasetAs }
}

/** Services on --db, or on a throw-away database when the command needs none of its contents. */
async function withAnyServices<T>(db: string | undefined, body: (s: Services) => Promise<T> | T): Promise<T> {
  if (db) return withServices(db, body)
  const dir = mkdtempSync(join(tmpdir(), 'imhi-eval-'))
  try {
    return await withServices(join(dir, 'scratch.db'), body)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

const num4 = (x: number | null) => (x === null ? '-' : x.toFixed(4))
const pct = (x: number | null | undefined) => (x === null || x === undefined ? '   -  ' : (100 * x).toFixed(2).padStart(6))

const rulesOption = () =>
  new Option('--rules <mode>', 'whose label rules: workbench (this app\'s) or imhi-py (IMHI.py\'s calculate_f1 as released, its numbers rounded as it rounds)').choices(RULE_MODE_NAMES).default('workbench')
const oodOption = () =>
  new Option('--ood <convention>', 'how a response with no label is scored: workbench (an extra, always wrong class "ood"; the default) or benchmark (IMHI.py\'s class 0: "no"/"none"; SAD "other stress causes")').choices(
    OOD_CONVENTION_NAMES
  )

const OOD_WORDS: Record<OodConvention, string> = {
  workbench: 'OOD convention workbench: a response with no label is an extra class "ood", always wrong',
  benchmark: 'OOD convention benchmark: a response with no label counts as IMHI.py\'s class 0 ("no"/"none"; SAD "other stress causes")'
}

function printCorrectness(datasets: Record<string, CorrectnessMetrics>, title: string, ood: OodConvention): void {
  const lines = [`${title} (percent; ${OOD_WORDS[ood]})`, `${'dataset'.padEnd(12)} ${'n'.padStart(6)}  acc     wF1     miF1    maF1    OOD  no-gold`]
  for (const [name, m] of Object.entries(datasets)) {
    lines.push(`${name.padEnd(12)} ${String(m.n).padStart(6)}  ${pct(m.accuracy)}  ${pct(m.weighted_f1)}  ${pct(m.micro_f1)}  ${pct(m.macro_f1)}  ${String(m.ood).padStart(5)}  ${String(m.unmatched_gold).padStart(7)}`)
  }
  process.stdout.write(lines.join('\n') + '\n')
}

/** IMHI.py's own lines, as it prints them; a dataset it fails on says why. */
function printImhiPy(datasets: Record<string, ImhiPyResult>): void {
  const lines = ["IMHI.py's calculate_f1 as released (its label rules; percent rounded as it rounds; OOD = responses naming nothing, scored as its class 0, SAD 8)"]
  for (const [name, r] of Object.entries(datasets)) lines.push(r.line ?? `Dataset: ${name}: IMHI.py gives no number: ${r.error}`)
  process.stdout.write(lines.join('\n') + '\n')
}

function printSkipped(skipped: { file: string; reason: string; field?: string }[]): void {
  for (const s of skipped) process.stderr.write(`imhi: skipped ${s.file}: ${withCliHint(s.reason, s)}\n`)
}

type TfidfLabels = Awaited<ReturnType<Services['evaluation']['label']>>

function printTfidfLabels(r: TfidfLabels, json: boolean, tty: boolean, ood: OodConvention): void {
  if (tty) process.stderr.write('\r'.padEnd(51) + '\r')
  if (json) {
    return printJson({
      source: r.source,
      labeller: r.labeller,
      datasets: Object.fromEntries(
        Object.entries(r.datasets).map(([name, d]) => [
          name,
          {
            labels: d.rows.map((x) => ({
              row: x.row,
              ...(x.itemId !== undefined ? { item_id: x.itemId } : {}),
              label: x.label,
              confidence: x.confidence,
              gold: x.gold,
              empty: x.empty,
              ...(d.crossFit ? { held_out: x.heldOut, fold: x.fold } : {})
            })),
            ...(d.metrics ?? {}),
            cross_fitted: d.crossFit,
            ...(d.embedding ? { embedding: d.embedding } : {})
          }
        ])
      ),
      missing_classifiers: r.missingClassifiers,
      skipped: r.skipped
    })
  }
  printSkipped(r.skipped)
  for (const m of r.missingClassifiers) process.stderr.write(`imhi: no classifier for ${m}; train it with "imhi classifiers train"\n`)
  const withMetrics = Object.fromEntries(Object.entries(r.datasets).flatMap(([n, d]) => (d.metrics ? [[n, d.metrics]] : [])))
  if (Object.keys(withMetrics).length > 0) printCorrectness(withMetrics, 'classifier labels vs gold', ood)
  for (const [name, d] of Object.entries(r.datasets)) {
    const counts: Record<string, number> = {}
    for (const x of d.rows) counts[x.label ?? 'empty'] = (counts[x.label ?? 'empty'] ?? 0) + 1
    process.stdout.write(`${name}: ${d.rows.length} rows labelled: ${Object.entries(counts).map(([k, v]) => `${k} ${v}`).join(', ')}\n`)
    if (d.crossFit && d.crossFit.folds === 0) {
      process.stdout.write(`${name}: its classifier learned from the test posts and was trained before cross-fitted labelling: these labels may be in-sample; retrain (imhi classifiers train)\n`)
    } else if (d.crossFit) {
      const c = d.crossFit
      process.stdout.write(
        `${name}: cross-fitted (its classifier learned from the test posts): ${c.outOfFold} rows labelled by the ${c.folds}-fold model that held their post out, ${c.notInTraining} of posts it never learned from by the full model${c.unknown ? `, ${c.unknown} rows of unknown post by the full model (possibly in-sample)` : ''}\n`
      )
    }
    if (d.embedding) process.stdout.write(`${name}: embedding features of ${d.embedding.model}: ${d.embedding.computed} texts embedded in ${d.embedding.seconds.toFixed(1)} s, ${d.embedding.cached} from the cache, ${d.embedding.truncated} cut to fit\n`)
  }
}

/** The evaluation domain's commands. */
export function registerEvaluation(program: Command): void {
  program
    .command('evaluate')
    .description('Rule-based correctness (accuracy, weighted/micro/macro F1, OOD count, confusion) per dataset of a run or an output folder/CSV (goldens,generated_text)')
    .argument('[target]', 'folder of DATASET.csv files or one CSV, in the output layout IMHI.py writes')
    .addOption(optionalDb())
    .addOption(runOption())
    .addOption(datasetAsOption())
    .addOption(rulesOption())
    .addOption(oodOption())
    .addOption(new Option('--save', 'also compute every other metric (classifier labels, BLEU, ROUGE) and store the evaluation in --db, where the app shows it'))
    .addOption(embeddingModelOption('with --save: the GGUF a classifier with embedding features was trained with, where it is not in the model library'))
    .addOption(new Option('--model-path <dir>', 'with --save: label with the MentalBERT classifiers in this folder (DIR/DR, DIR/SAD, ...) instead of the learned classifiers'))
    .addOption(bartModelOption())
    .addOption(bertscoreModelOption())
    .addOption(layerOption())
    .addOption(baselineOption())
    .addOption(jsonOption())
    .action(async (path: string | undefined, opts: TargetOpts & OnnxScoreOpts & { save?: boolean; embeddingModel?: string; modelPath?: string; rules: RuleMode; ood?: OodConvention }) => {
      const t = target(path, opts)
      if (opts.modelPath !== undefined && !opts.save) throw new AppError('invalid_input', '--model-path goes with --save here (or use "imhi label --model-path DIR").')
      if (opts.rules === 'imhi-py' && opts.ood !== undefined) {
        throw new AppError('invalid_input', '--ood applies to the workbench rules; --rules imhi-py scores an unlabelled response as IMHI.py does (class 0; SAD: class 8, "other").')
      }
      const ood: OodConvention = opts.ood ?? 'workbench'
      const scorers = onnxScorers(opts)
      if ((scorers.bartModel || scorers.bertscoreModel) && !opts.save) throw new AppError('invalid_input', '--bart-model and --bertscore-model add to a stored evaluation: give --save --db FILE (or use "imhi score" for the scores alone).')
      let result: { source: unknown; skipped: { file: string; reason: string }[]; evaluation_id?: number } & CorrectnessResult
      if (opts.save) {
        if (!opts.db) throw new AppError('invalid_input', '--save needs --db FILE (where the evaluation is stored).')
        const progress = progressLine(!opts.json && process.stderr.isTTY)
        const report = await withServices(opts.db, (s) =>
          s.evaluation.evaluate(t, {
            embeddingModel: opts.embeddingModel,
            labeller: opts.modelPath !== undefined ? { kind: 'mentalbert', modelPath: opts.modelPath } : undefined,
            ...scorers,
            onProgress: progress.update
          })
        )
        progress.clear()
        for (const [name, d] of Object.entries(report.datasets)) {
          if (!d.rule) throw new AppError('bad_file', `${d.file ?? name}: the goldens column is empty; correctness needs golden responses`)
        }
        const ds = Object.values(report.datasets)
        const picked: CorrectnessResult =
          opts.rules === 'imhi-py'
            ? { rules: 'imhi-py', ood_convention: 'imhi-py', datasets: Object.fromEntries(ds.map((d) => [d.dataset, d.imhiPy!])) }
            : { rules: 'workbench', ood_convention: ood, datasets: Object.fromEntries(ds.map((d) => [d.dataset, ood === 'benchmark' ? d.ruleBenchmarkOod! : d.rule!])) }
        result = { source: report.source, ...picked, skipped: report.skipped, evaluation_id: report.id! }
      } else if (t.runId !== undefined) {
        result = await withServices(opts.db!, (s) => s.evaluation.correctness(t, { rules: opts.rules, ood }))
      } else {
        const loaded = readOutputs(t.path!, { requireGoldens: true, datasetAs: t.datasetAs })
        result = { source: loaded.source, ...correctnessOf(loaded, opts.rules, ood), skipped: loaded.skipped }
      }
      if (opts.json) return printJson(result)
      printSkipped(result.skipped)
      if (result.rules === 'imhi-py') printImhiPy(result.datasets)
      else printCorrectness(result.datasets, 'rule-based correctness (workbench rules)', ood)
      if (result.evaluation_id !== undefined) process.stdout.write(`saved as evaluation #${result.evaluation_id} (Evaluate page)\n`)
    })

  const classifiers = program.command('classifiers').description('The learned label classifiers (TF-IDF + logistic regression), one per dataset')
  classifiers
    .command('train')
    .description('Train one classifier per dataset from the imported IMHI training/validation explanations (k-fold on test + expert where none are released) and store them with their held-out scores')
    .requiredOption('--db <file>', 'SQLite database file with the imported IMHI data')
    .addOption(new Option('--dataset <names>', 'only these datasets (comma-separated)'))
    .addOption(embeddingModelOption('a GGUF model whose normalized embedding of each explanation is added to the TF-IDF features (vectors cached in --db)'))
    .addOption(jsonOption())
    .action(async (opts: { db: string; dataset?: string; embeddingModel?: string; json?: boolean }) => {
      const datasets = opts.dataset?.split(',').map((d) => d.trim()).filter(Boolean)
      const tty = !opts.json && process.stderr.isTTY
      const r = await withServices(opts.db, (s) =>
        s.evaluation.trainClassifiers(datasets, tty ? (d, done, total) => process.stderr.write(`\rtraining ${d} (${done + 1}/${total})`.padEnd(50)) : undefined, {
          embeddingModel: opts.embeddingModel,
          onEmbedProgress: tty ? (d, done, total) => process.stderr.write(`\rembedding ${d} ${done}/${total}`.padEnd(50)) : undefined
        })
      )
      if (!opts.json && process.stderr.isTTY) process.stderr.write('\r'.padEnd(51) + '\r')
      if (r.trained.length === 0) throw new AppError('invalid_input', `No classifier trained: ${r.skipped.map((s) => `${s.dataset}: ${s.reason}`).join('; ')}`)
      if (opts.json) {
        return printJson({
          datasets: Object.fromEntries(r.trained.map((c) => [c.dataset, { held_out_accuracy: c.heldOut?.accuracy ?? null, test_accuracy: c.test?.accuracy ?? null, ...c }])),
          skipped: r.skipped,
          embedding: r.embedding
        })
      }
      const lines = [`${'dataset'.padEnd(12)} ${'rows'.padStart(6)}  held-out acc  test acc  seconds  (held-out method)`]
      for (const c of r.trained) {
        lines.push(`${c.dataset.padEnd(12)} ${String(c.trainRows).padStart(6)}  ${pct(c.heldOut?.accuracy)} (${String(c.heldOut?.n ?? 0).padStart(4)})  ${pct(c.test?.accuracy)}  ${c.seconds.toFixed(2).padStart(7)}  ${c.heldOut?.method ?? ''}; test: ${c.test?.method ?? 'none'}`)
      }
      for (const s of r.skipped) lines.push(`${s.dataset.padEnd(12)} skipped: ${s.reason}`)
      if (r.embedding) {
        const e = r.embedding
        lines.push(`features: TF-IDF + ${e.dimension}-dimensional embedding of ${e.model}: ${e.computed} texts embedded in ${e.seconds.toFixed(1)} s, ${e.cached} from the cache, ${e.truncated} cut to ${EMBEDDING_CONTEXT} tokens`)
      }
      process.stdout.write(lines.join('\n') + '\n')
    })
  classifiers
    .command('list')
    .description('The stored classifiers and their held-out and test scores')
    .requiredOption('--db <file>', 'SQLite database file')
    .addOption(jsonOption())
    .action(async (opts: { db: string; json?: boolean }) => {
      const list = await withServices(opts.db, (s) => s.evaluation.classifiers())
      if (opts.json) return printJson(list)
      if (list.length === 0) {
        process.stdout.write('No classifiers trained yet: imhi classifiers train --db FILE\n')
        return
      }
      for (const c of list) {
        process.stdout.write(
          `${c.dataset.padEnd(12)} held-out ${pct(c.heldOut?.accuracy)}  test ${pct(c.test?.accuracy)}  trained ${c.trainedAt}  features ${c.features}${c.crossFitted ? '  labels its test posts cross-fitted' : ''}\n`
        )
      }
    })

  program
    .command('label')
    .description('Label every generated response: with the learned classifiers of --db, or with the benchmark\'s MentalBERT classifiers (--model-path, as label_inference.py does); with goldens, the same metrics as evaluate')
    .argument('[target]', 'folder of DATASET.csv files or one CSV (generated_text; goldens optional)')
    .addOption(new Option('--db <file>', 'SQLite database file holding the trained classifiers (or the run, with --run)'))
    .addOption(runOption())
    .addOption(datasetAsOption())
    .addOption(new Option('--model-path <dir>', 'label with MentalBERT: a folder holding one converted classifier per dataset (DIR/DR, DIR/SAD, ...; scripts/convert_checkpoints.py)'))
    .addOption(new Option('--batch-size <n>', 'with --model-path: texts per batch (label_inference.py\'s default: 8)').argParser(intArg('--batch-size')))
    .addOption(new Option('--calculate', 'with --model-path: also print label_inference.py --calculate\'s numbers (accuracy, weighted/micro/macro F1, rounded as it rounds)'))
    .addOption(new Option('--output <dir>', 'with --model-path: also write DIR/DATASET.csv (goldens,generated_text,labels) as label_inference.py writes its data_output_path'))
    .addOption(new Option('--no-formula-guard', 'with --output: write cells exactly (no apostrophe before =, +, -, @)'))
    .addOption(embeddingModelOption('the GGUF a classifier with embedding features was trained with (default: the library model with its SHA-256)'))
    .addOption(oodOption())
    .addOption(jsonOption())
    .action(async (path: string | undefined, opts: TargetOpts & { db?: string; embeddingModel?: string; modelPath?: string; batchSize?: number; calculate?: boolean; output?: string; formulaGuard: boolean; ood?: OodConvention }) => {
      const t = target(path, opts)
      const tty = !opts.json && process.stderr.isTTY
      if (opts.modelPath === undefined) {
        if (opts.batchSize !== undefined || opts.calculate || opts.output !== undefined) throw new AppError('invalid_input', '--batch-size, --calculate and --output go with --model-path (the MentalBERT classifiers).')
        if (!opts.db) throw new AppError('invalid_input', 'Give --db FILE (the trained classifiers) or --model-path DIR (MentalBERT classifiers).')
        return printTfidfLabels(await withServices(opts.db, (s) =>
          s.evaluation.label(t, { embeddingModel: opts.embeddingModel, ood: opts.ood, onProgress: tty ? (d, done, total) => process.stderr.write(`\rembedding ${d} ${done}/${total}`.padEnd(50)) : undefined })
        ), opts.json === true, tty, opts.ood ?? 'workbench')
      }
      if (opts.ood !== undefined) throw new AppError('invalid_input', '--ood applies to the learned classifiers\' labels; the MentalBERT classifiers give every response a label.')
      if (opts.embeddingModel !== undefined) throw new AppError('invalid_input', '--embedding-model applies to the learned classifiers, not to --model-path.')
      const r = await withAnyServices(opts.db, (s) =>
        s.evaluation.labelMentalBert(t, { modelPath: opts.modelPath!, batchSize: opts.batchSize, onProgress: tty ? (d, done, total) => process.stderr.write(`\rlabelling ${d} ${done}/${total}`.padEnd(50)) : undefined })
      )
      if (tty) process.stderr.write('\r'.padEnd(51) + '\r')
      const written: string[] = []
      if (opts.output !== undefined) {
        const out = resolve(opts.output)
        try {
          mkdirSync(out, { recursive: true })
        } catch (err) {
          throw new AppError('bad_file', `Cannot create ${out}: ${err instanceof Error ? err.message : String(err)}`, { file: out })
        }
        for (const [name, d] of Object.entries(r.datasets)) {
          const file = join(out, `${name}.csv`)
          const tmp = `${file}.${process.pid}.tmp`
          writeFileSync(tmp, labelledOutputCsv(d.rows.map((x, i) => ({ golden: d.texts[i].golden, generated: d.texts[i].generated, label: x.scriptLabel })), { guard: opts.formulaGuard }))
          renameSync(tmp, file)
          written.push(file)
        }
      }
      if (opts.json) {
        return printJson({
          source: r.source,
          labeller: r.labeller,
          ...(written.length > 0 ? { written } : {}),
          datasets: Object.fromEntries(
            Object.entries(r.datasets).map(([name, d]) => [
              name,
              {
                labels: d.rows.map((x) => ({ row: x.row, ...(x.itemId !== undefined ? { item_id: x.itemId } : {}), label: x.scriptLabel, workbench_label: x.label, confidence: x.confidence, gold: x.gold, empty: x.empty, tokens: x.tokens })),
                ...(d.metrics ?? {}),
                mentalbert: { ...d.mentalbert, script: opts.calculate ? d.mentalbert.script : undefined }
              }
            ])
          ),
          missing_classifiers: r.missingClassifiers,
          skipped: r.skipped
        })
      }
      printSkipped(r.skipped)
      for (const m of r.missingClassifiers) process.stderr.write(`imhi: no MentalBERT classifier for ${m}: ${opts.modelPath}/${m} is missing\n`)
      const withMetrics = Object.fromEntries(Object.entries(r.datasets).flatMap(([n, d]) => (d.metrics ? [[n, d.metrics]] : [])))
      if (Object.keys(withMetrics).length > 0) printCorrectness(withMetrics, 'MentalBERT labels vs gold (workbench metrics)', 'workbench')
      for (const [name, d] of Object.entries(r.datasets)) {
        const counts: Record<string, number> = {}
        for (const x of d.rows) counts[x.scriptLabel] = (counts[x.scriptLabel] ?? 0) + 1
        const m = d.mentalbert
        process.stdout.write(`${name}: ${d.rows.length} rows labelled by ${m.folder} on ${m.provider} in ${m.seconds.toFixed(2)} s (batch ${m.batchSize}, ${m.truncated} cut to ${m.maxLength} tokens): ${Object.entries(counts).map(([k, v]) => `${k} ${v}`).join(', ')}\n`)
      }
      for (const f of written) process.stdout.write(`wrote ${f}\n`)
      if (opts.calculate) {
        process.stdout.write('label_inference.py --calculate:\n')
        for (const [name, d] of Object.entries(r.datasets)) {
          const sm = d.mentalbert.script
          if (!sm) process.stdout.write(`${name}: no goldens column, nothing to calculate\n`)
          else if (sm.ok) process.stdout.write(sm.printed + '\n')
          else process.stdout.write(`${name}: the script fails on this dataset (${sm.error}); no number\n`)
        }
      }
    })

  program
    .command('score')
    .description("Explanation quality against the golden explanations: BLEU (HF evaluate), ROUGE-1/2/L (rouge_score), the model-likelihood score (mean log-prob of the golden given the generated, needs --model), BART-score and BERTScore as MentalLLaMA's score.py computes them (ONNX exports: --bart-model, --bertscore-model)")
    .argument('[target]', 'folder of DATASET.csv files or one CSV with goldens,generated_text')
    .addOption(optionalDb())
    .addOption(runOption())
    .addOption(datasetAsOption())
    .addOption(new Option('--metric <list>', 'comma-separated: bleu, rouge, lm, bart, bertscore').default('bleu,rouge'))
    .addOption(new Option('--model <path>', 'GGUF model for the lm metric, or server:NAME (a registered server that returns prompt log-probabilities)'))
    .addOption(bartModelOption())
    .addOption(bertscoreModelOption())
    .addOption(layerOption())
    .addOption(baselineOption())
    .addOption(jsonOption())
    .action(async (path: string | undefined, opts: TargetOpts & OnnxScoreOpts & { metric: string; model?: string }) => {
      const t = target(path, opts)
      const names = opts.metric.split(',').map((m) => m.trim().toLowerCase()).filter(Boolean)
      const unknown = names.filter((m) => !['bleu', 'rouge', 'lm', 'bart', 'bertscore'].includes(m))
      if (unknown.length > 0 || names.length === 0) throw new AppError('invalid_input', `--metric: unknown metric ${unknown.join(', ') || '(none given)'}; choose from bleu, rouge, lm, bart, bertscore`)
      const metrics = { bleu: names.includes('bleu'), rouge: names.includes('rouge'), lm: names.includes('lm') }
      if (metrics.lm && !opts.model) throw new AppError('invalid_input', 'The lm metric needs --model PATH (a .gguf file).')
      if (!metrics.lm && opts.model) throw new AppError('invalid_input', '--model is used only by the lm metric; add lm to --metric.')
      if (names.includes('bart') !== !!opts.bartModel) throw new AppError('invalid_input', names.includes('bart') ? 'The bart metric needs --bart-model DIR (a BART export folder).' : '--bart-model is used only by the bart metric; add bart to --metric.')
      if (names.includes('bertscore') !== !!opts.bertscoreModel) throw new AppError('invalid_input', names.includes('bertscore') ? 'The bertscore metric needs --bertscore-model DIR (an encoder export folder).' : '--bertscore-model is used only by the bertscore metric; add bertscore to --metric.')
      const progress = progressLine(!opts.json && process.stderr.isTTY)
      const r = await withAnyServices(opts.db, (s) => s.evaluation.score(t, metrics, opts.model, { ...onnxScorers(opts), onProgress: progress.update }))
      progress.clear()
      if (opts.json) return printJson(r)
      printSkipped(r.skipped)
      for (const [name, d] of Object.entries(r.datasets)) {
        const parts = [`${name.padEnd(12)} n ${String(d.n).padStart(5)}`]
        const b = d.bleu as { bleu: number | null; error?: string } | undefined
        if (b) parts.push(`BLEU ${b.bleu === null ? `- (${b.error})` : (100 * b.bleu).toFixed(2)}`)
        const rg = d.rouge as { rouge1: number; rouge2: number; rougeL: number } | undefined
        if (rg) parts.push(`ROUGE-1 ${(100 * rg.rouge1).toFixed(2)}  ROUGE-2 ${(100 * rg.rouge2).toFixed(2)}  ROUGE-L ${(100 * rg.rougeL).toFixed(2)}`)
        const lm = d.lm as { mean: number | null; n: number; truncated: number } | undefined
        if (lm) parts.push(`LM ${lm.mean === null ? '-' : lm.mean.toFixed(4)} (${lm.n} pairs${lm.truncated ? `, ${lm.truncated} truncated` : ''})`)
        const bart = d.bart as BartScoreSummary | undefined
        if (bart) parts.push(`BART-score ${bart.mean === null ? '-' : bart.mean.toFixed(4)} (${bart.n} pairs${bart.truncated ? `, ${bart.truncated} cut to ${bart.maxLength} tokens` : ''})`)
        const bs = d.bertscore as BertScoreSummary | undefined
        if (bs) parts.push(`BERTScore P ${num4(bs.precision)} R ${num4(bs.recall)} F1 ${num4(bs.f1)} (layer ${bs.layer ?? '?'}${bs.baseline ? ', rescaled with the baseline' : ''}, ${bs.n} pairs${bs.truncated ? `, ${bs.truncated} cut` : ''})`)
        process.stdout.write(parts.join('  ') + '\n')
      }
    })

  program
    .command('correlations')
    .description('Pearson, Spearman and Kendall tau-b between automatic scores (BLEU, ROUGE, LM, BART-score, BERTScore) and human ratings (the DR_annotation files, or a study)')
    .requiredOption('--db <file>', 'SQLite database file')
    .addOption(new Option('--study <id>', 'use this study\'s ratings instead of the released DR_annotation ratings').argParser(intArg('--study')))
    .addOption(new Option('--system <names>', 'only these DR_annotation files (comma-separated: chatgpt_data, chatgpt_false_data, gpt3_data)'))
    .addOption(new Option('--model <path>', 'GGUF model: adds the lm score'))
    .addOption(bartModelOption())
    .addOption(bertscoreModelOption())
    .addOption(layerOption())
    .addOption(baselineOption())
    .addOption(jsonOption())
    .action(async (opts: OnnxScoreOpts & { db: string; study?: number; system?: string; model?: string; json?: boolean }) => {
      const progress = progressLine(!opts.json && process.stderr.isTTY)
      const r = await withServices(opts.db, (s) =>
        s.evaluation.correlations({ studyId: opts.study, systems: opts.system?.split(',').map((x) => x.trim()).filter(Boolean), lmModel: opts.model, ...onnxScorers(opts), onProgress: progress.update && ((stage, done, total) => progress.update!(stage, null, done, total)) })
      )
      progress.clear()
      if (opts.json) return printJson(r)
      const f = (x: number | null) => (x === null ? '    -' : x.toFixed(3).padStart(6))
      const lines = [
        `${r.source}: ${r.n} rated explanations matched to a golden (${r.matched.exact} by normalized text, ${r.matched.close} by their undamaged words), ${r.unmatched} without`,
        ...r.unmatchedRows.map((u) => `unmatched: ${u.origin}: ${u.reason}`), `${'metric'.padEnd(9)} ${'aspect'.padEnd(13)} pearson (p)        spearman (p)       kendall (p)`]
      for (const m of r.metrics) {
        for (const a of r.aspects) {
          const c = r.table[m][a]
          lines.push(`${m.padEnd(9)} ${a.padEnd(13)} ${f(c.pearson.r)} (${c.pearson.p === null ? '-' : c.pearson.p.toExponential(1)})  ${f(c.spearman.r)} (${c.spearman.p === null ? '-' : c.spearman.p.toExponential(1)})  ${f(c.kendall.r)} (${c.kendall.p === null ? '-' : c.kendall.p.toExponential(1)})`)
        }
      }
      for (const n of r.notes) lines.push(`note: ${n}`)
      process.stdout.write(lines.join('\n') + '\n')
    })
}
