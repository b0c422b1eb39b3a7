/**
 * npm run bench:evaluate: speed of the evaluation on 10,000 response pairs, and the learned
 * classifiers' held-out and test accuracy per dataset (on ../shared/imhi when present).
 *
 * Pairs: the released test-set gold responses of ../shared/imhi, each paired with another gold
 * response of the same dataset as the "generated" text (realistic lengths and label sentences),
 * repeated to 10,000; synthetic when ../shared is absent. No Python peer runs here (scikit-learn
 * and evaluate are not installed), so figures are absolute.
 */
import Papa from 'papaparse'
import { cpus, loadavg } from 'node:os'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { DATASETS, type DatasetInfo } from '../src/shared/imhi/datasets'
import { SHARED_IMHI, hasSharedImhi } from '../test/support/shared'
import { goldExplanation, goldLabel, splitQuery } from '../src/main/imhi/labels'
import { extractLabel } from '../src/main/evaluation/extract'
import { scoreCorrectness } from '../src/main/evaluation/correctness'
import { bleu } from '../src/main/evaluation/bleu'
import { rougePair } from '../src/main/evaluation/rouge'
import { LabelClassifier, postGroup, trainAndScore, type ClassifierData, type LabelledText } from '../src/main/evaluation/classifier'
import { conclusion } from '../src/main/evaluation/tfidf'

const SHARED = SHARED_IMHI
const hasShared = hasSharedImhi
const N = 10_000

function responses(file: string): string[] {
  if (!existsSync(file)) return []
  const rows = Papa.parse<Record<string, string>>(readFileSync(file, 'utf8').replace(/^\ufeff/, ''), { header: true, skipEmptyLines: true }).data
  return rows.map((r) => r['gpt-3.5-turbo']).filter((x): x is string => typeof x === 'string' && x.length > 0)
}

interface Pair {
  info: DatasetInfo
  golden: string
  generated: string
}

function pairs(): Pair[] {
  const pool: Pair[] = []
  if (hasShared) {
    for (const info of DATASETS) {
      const golds = responses(join(SHARED, 'test_data/test_instruction', `${info.name}.csv`))
      golds.forEach((g, i) => pool.push({ info, golden: g, generated: golds[(i + 7) % golds.length] }))
    }
  } else {
    const dr = DATASETS[0]
    for (let i = 0; i < 500; i++) {
      const yes = i % 3 !== 0
      const g = `${yes ? 'Yes, the poster suffers from depression.' : 'No, the poster does not suffer from depression.'} Reasoning: The poster describes ${yes ? 'hopelessness, loss of interest and trouble sleeping' : 'a good week with friends'} in a post of some length, mentioning work, family and plans for the future. Therefore the answer follows.`
      pool.push({ info: dr, golden: g, generated: g.split(' ').reverse().join(' ') })
    }
  }
  return Array.from({ length: N }, (_, i) => pool[i % pool.length])
}

/** Wall-clock seconds, and the CPU seconds this process used (less sensitive to other work on a shared machine). */
function time<T>(fn: () => T): { result: T; seconds: number; cpu: number } {
  const t = performance.now()
  const c = process.cpuUsage()
  const result = fn()
  const used = process.cpuUsage(c)
  return { result, seconds: (performance.now() - t) / 1000, cpu: (used.user + used.system) / 1e6 }
}

function best<T>(runs: number, fn: () => T): { result: T; seconds: number; cpu: number } {
  let out = time(fn)
  for (let i = 1; i < runs; i++) {
    const r = time(fn)
    if (r.seconds < out.seconds) out = r
  }
  return out
}

const all = pairs()
console.log(`evaluation benchmark: ${all.length} response pairs (${hasShared ? 'released IMHI test gold responses' : 'synthetic; ../shared/imhi not found'}), Node ${process.version}, best of 3`)
console.log(`machine: ${cpus().length} cores, load average ${loadavg().map((x) => x.toFixed(2)).join(' ')} (other work on the machine slows every figure)\n`)

// 1. Rule-based correctness: gold label + lenient extraction per pair, then sklearn-exact metrics per dataset.
const rule = best(3, () => {
  const byDataset = new Map<string, { info: DatasetInfo; gold: (string | null)[]; pred: (string | null)[] }>()
  for (const p of all) {
    let d = byDataset.get(p.info.name)
    if (!d) byDataset.set(p.info.name, (d = { info: p.info, gold: [], pred: [] }))
    d.gold.push(goldLabel(p.info.name, p.golden))
    d.pred.push(extractLabel(p.info, p.generated).label)
  }
  return [...byDataset.values()].map((d) => scoreCorrectness(d.info, d.gold, d.pred))
})
console.log(`rule-based correctness  ${rule.seconds.toFixed(3)} s (CPU ${rule.cpu.toFixed(3)} s) for ${N} pairs (${Math.round(N / rule.seconds).toLocaleString('en')} pairs/s; target < 1 s: ${rule.seconds < 1 ? 'met' : 'MISSED'})`)

// 2. BLEU (corpus, HF evaluate) + ROUGE-1/2/L (rouge_score) over the same pairs.
const quality = best(3, () => {
  const b = bleu(
    all.map((p) => p.generated),
    all.map((p) => p.golden)
  )
  let r = 0
  for (const p of all) r += rougePair(p.golden, p.generated).rougeL.fmeasure
  return { bleu: b.bleu, rougeL: r / all.length }
})
console.log(`BLEU + ROUGE-1/2/L      ${quality.seconds.toFixed(3)} s (CPU ${quality.cpu.toFixed(3)} s) for ${N} pairs (BLEU ${(100 * (quality.result.bleu ?? 0)).toFixed(2)}, ROUGE-L ${(100 * quality.result.rougeL).toFixed(2)}; target < 2 s: ${quality.seconds < 2 ? 'met' : 'MISSED'})`)

// 3. Classifiers: train per dataset (held-out + test accuracy), then label 10,000 explanations.
/** Gold explanations with their labels and the question asked (MultiWD's classifier reads the dimension from it). */
function load(file: string, ds: string): LabelledText[] {
  if (!existsSync(file)) return []
  const rows = Papa.parse<Record<string, string>>(readFileSync(file, 'utf8').replace(/^\ufeff/, ''), { header: true, skipEmptyLines: true }).data
  return rows.flatMap((r) => {
    const response = r['gpt-3.5-turbo']
    const label = response ? goldLabel(ds, response) : null
    const text = response ? goldExplanation(response) : null
    const query = r.query ? splitQuery(r.query) : null
    return label && text ? [{ text, label, question: query?.question ?? null, group: (query && postGroup(query.post)) || undefined }] : []
  })
}
const NEGATION_CUE = /\b(does not|doesn't|do not|no (clear|explicit|direct|indication|evidence|mention)|not (necessarily |directly |explicitly |clearly )?(show|indicate|suggest|mention|exhibit|display|express|seem|appear))/i
const CLOSING_NEGATION = /\b(not|no|doesn't|don't|isn't|aren't|never|without|unclear|difficult to determine|cannot|can't|insufficient|limited)\b/i
/** A yes/no gold explanation that argues the other answer: "no" without any negation, or "yes" negated in the text and in its closing sentence. */
function arguesAgainst(label: string, text: string): boolean {
  const closing = CLOSING_NEGATION.test(conclusion(text))
  const negated = NEGATION_CUE.test(text)
  return label === 'no' ? !negated && !closing : label === 'yes' ? negated && closing : false
}
const classifiers = new Map<string, LabelClassifier>()
if (hasShared) {
  console.log('\nclassifier (TF-IDF word 1-2 grams + logistic regression; MultiWD terms crossed with the dimension asked), accuracy on rows it was not trained on:')
  console.log(`${'dataset'.padEnd(11)} ${'train'.padStart(6)} ${'held-out'.padStart(9)} ${'test'.padStart(7)} ${'n test'.padStart(7)} ${'train s'.padStart(8)}  held-out method / test method`)
  for (const info of DATASETS) {
    const dir = join(SHARED, 'train_data/instruction_data', info.name)
    const data: ClassifierData = {
      train: load(join(dir, 'train.csv'), info.name),
      val: load(join(dir, 'val.csv'), info.name),
      test: load(join(SHARED, 'test_data/test_instruction', `${info.name}.csv`), info.name),
      expert: load(join(SHARED, 'human_evaluation/test_instruction_expert', `${info.name}.csv`), info.name)
    }
    const { model, report } = trainAndScore(info, data)
    const classifier = new LabelClassifier(model)
    classifiers.set(info.name, classifier)
    const p = (x: number | undefined) => (x === undefined ? '-' : (100 * x).toFixed(2))
    console.log(
      `${info.name.padEnd(11)} ${String(report.trainRows).padStart(6)} ${p(report.heldOut?.accuracy).padStart(9)} ${p(report.test?.accuracy).padStart(7)} ${String(report.test?.n ?? 0).padStart(7)} ${report.seconds.toFixed(2).padStart(8)}  ${report.heldOut?.method} / ${report.test?.method ?? 'no test set released'}`
    )
    if (info.labels.length === 2 && data.test.length > 0 && data.train.length + data.val.length > 0) {
      // Label noise: test gold explanations whose own words argue the other answer, by a plain cue rule
      // (gold "no" with no negation anywhere; gold "yes" with a negation in the text and in its closing
      // sentence). The rule over-flags (hedged explanations), but most flagged rows are real contradictions
      // that a classifier reading the explanation as written must get wrong. Only where the test rows are
      // not in the training pool (elsewhere the stored model has seen them).
      const against = data.test.filter((r) => arguesAgainst(r.label, r.text))
      const wrong = data.test.filter((r) => classifier.label(r.text, r.question).label !== r.label)
      const wrongAgainst = wrong.filter((r) => arguesAgainst(r.label, r.text)).length
      console.log(`${''.padEnd(11)} ${''.padStart(6)} ${''.padStart(9)} ${''.padStart(7)} ${''.padStart(7)} ${''.padStart(8)}  label noise: ${against.length} test explanations (${(100 * against.length / data.test.length).toFixed(1)}%) argue against their gold label by the cue rule; ${wrongAgainst} of the ${wrong.length} test errors are among them`)
    }
    if (model.aspects && data.test.length > 0) {
      const correct = data.test.filter((r) => classifier.label(r.text).label === r.label).length
      console.log(`${''.padEnd(11)} ${''.padStart(6)} ${''.padStart(9)} ${(100 * correct / data.test.length).toFixed(2).padStart(7)} ${String(data.test.length).padStart(7)} ${''.padStart(8)}  the same test rows labelled without their question (the stored plain fallback model, as for output files)`)
    }
  }
} else {
  const info = DATASETS[0]
  const rows = all.slice(0, 400).map((p) => ({ text: goldExplanation(p.golden)!, label: goldLabel(info.name, p.golden)! }))
  classifiers.set(info.name, new LabelClassifier(trainAndScore(info, { train: rows.slice(0, 300), val: rows.slice(300), test: [], expert: [] }).model))
}
const labelling = best(3, () => {
  let n = 0
  for (const p of all) {
    const c = classifiers.get(p.info.name)
    if (c) {
      c.label(p.generated)
      n++
    }
  }
  return n
})
const perSecond = labelling.result / labelling.seconds
console.log(`\nclassifier labelling    ${labelling.seconds.toFixed(3)} s (CPU ${labelling.cpu.toFixed(3)} s) for ${labelling.result} explanations (${Math.round(perSecond).toLocaleString('en')} explanations/s; target >= 10,000/s: ${perSecond >= 10_000 ? 'met' : 'MISSED'})`)
