import { spawnSync } from 'node:child_process'
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import Papa from 'papaparse'
import { describe, expect, it } from 'vitest'
import { labelInferenceMetrics, numpySum, pyFloat, pyRound2 } from '../../src/main/evaluation/labellers/label-inference-metrics'
import { MENTALBERT_LABELS } from '../../src/main/evaluation/labellers/mentalbert'
import { seededRandom } from '../../src/main/evaluation/logreg'
import { AppError } from '../../src/shared/api/errors'
import { testServices } from '../support/services'
import { tempDir } from '../support/tmp'
import { ONNX_FIXTURES, ONNX_MODELS, ONNX_OUTPUTS, onnxReference, type MetricsResult } from '../support/onnx-fixture'
import { seedItems, seedRun } from './seed'
import { openDatabase } from '../../src/main/db/open'

const ref = onnxReference()
const CLI = resolve(__dirname, '..', '..', 'bin', 'imhi.js')
function imhi(args: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 })
  return { stdout: r.stdout, stderr: r.stderr, status: r.status }
}

function expectSame(dataset: string, goldens: string[], labels: string[], expected: MetricsResult, what: string) {
  const got = labelInferenceMetrics(dataset, goldens, labels)
  if (expected.error) {
    expect(got.ok, what).toBe(false)
    if (!got.ok) expect(got.error, what).toBe(`${expected.error}: ${expected.message}`)
    return
  }
  expect(got.ok, what).toBe(true)
  if (got.ok) expect(got.printed, what).toBe(expected.printed)
}

describe("label_inference.py --calculate's numbers (calculate_f1 as released)", () => {
  it('Python round(x, 2) and str(float)', () => {
    expect(pyRound2(12.125)).toBe(12.12) // a binary tie: half to even
    expect(pyRound2(12.375)).toBe(12.38)
    expect(pyRound2(0.625)).toBe(0.62)
    expect(pyRound2(82.857142)).toBe(82.86)
    expect(pyRound2(1.005)).toBe(1) // 1.00499999999999989...: not a tie
    expect(pyFloat(50)).toBe('50.0')
    expect(pyFloat(82.86)).toBe('82.86')
    expect(pyFloat(NaN)).toBe('nan')
    expect(numpySum([0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9])).toBe(0.1 + 0.2 + (0.3 + 0.4) + (0.5 + 0.6 + (0.7 + 0.8)) + 0.9)
  })

  for (const m of ref.metrics) {
    it(`equals the released calculate_f1 run in Python: ${m.case}`, () => {
      let goldens = m.goldens
      let labels = m.labels
      if (m.file) {
        const rows = Papa.parse<Record<string, string>>(readFileSync(join(ONNX_FIXTURES, m.file), 'utf8'), { header: true, skipEmptyLines: true }).data
        goldens = rows.map((r) => r.goldens)
        labels = rows.map((r) => r.labels)
      }
      expectSame(m.dataset, goldens!, labels!, m.result, m.case)
    })
  }

  it('the released DR label examples give the 82.86% the issue quotes', () => {
    const dr = ref.metrics.find((m) => m.file === 'label_data_examples/DR.csv')!
    expect(dr.result.accuracy).toBe(82.86)
  })

  // Random label lists against calculate_f1 run now, in this machine's Python (sklearn).
  const py = spawnSync('/usr/bin/python3', ['-c', 'import sklearn, pandas'], { encoding: 'utf8' })
  const hasSklearn = py.status === 0
  if (!hasSklearn) console.warn('skipped: /usr/bin/python3 with sklearn not found; the random calculate_f1 comparison needs it (the committed reference cases still run)')
  it.skipIf(!hasSklearn)('equals calculate_f1 in Python on 60 random label lists of every dataset (sklearn at run time)', () => {
    const rand = seededRandom(99)
    const pick = <T,>(xs: readonly T[]) => xs[Math.floor(rand() * xs.length)]
    const goldWords: Record<string, string[]> = {
      DR: ['Yes, the poster suffers.', 'No, the poster does not.', 'The poster does not know.'],
      SAD: ['school', 'financial problem', 'family issues', 'social relationships', 'work', 'health issues', 'emotion turmoil', 'everyday decision making', 'other stress causes'],
      swmh: ['depression', 'suicide', 'anxiety', 'bipolar disorder', 'no mental disorders', 'unknown'],
      't-sid': ['depression', 'suicide or self-harm', 'ptsd', 'no mental disorders'],
      CAMS: ['no causes', 'bias or abuse', 'jobs and career', 'medication', 'relationship', 'alienation']
    }
    const cases = Array.from({ length: 60 }, (_, k) => {
      const dataset = pick(Object.keys(goldWords))
      const n = 1 + Math.floor(rand() * 120)
      return {
        dataset,
        goldens: Array.from({ length: n }, () => `${pick(goldWords[dataset])}. Reasoning: ${pick(['yes', 'no', 'work'])}.`),
        labels: Array.from({ length: n }, () => pick(MENTALBERT_LABELS[dataset])),
        k
      }
    })
    const dir = tempDir()
    writeFileSync(join(dir, 'cases.json'), JSON.stringify(cases))
    const script = `import json, sys\nsys.path.insert(0, ${JSON.stringify(resolve(__dirname, '..', '..', 'scripts', 'fixtures'))})\nfrom imhi_label_metrics import script_metrics\ncases = json.load(open(sys.argv[1]))\nprint(json.dumps([script_metrics(c['goldens'], c['labels'], c['dataset']) for c in cases]))`
    const r = spawnSync('/usr/bin/python3', ['-W', 'ignore', '-c', script, join(dir, 'cases.json')], { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 })
    expect(r.status, r.stderr).toBe(0)
    const expected = JSON.parse(r.stdout) as MetricsResult[]
    cases.forEach((c, i) => expectSame(c.dataset, c.goldens, c.labels, expected[i], `case ${i} (${c.dataset}, ${c.goldens.length} rows)`))
  })
})

describe('imhi label --model-path (MentalBERT through ONNX Runtime) on the tiny fixtures', () => {
  it('labels an outputs folder as label_inference.py does: the same labels as torch, the script\'s --calculate lines', () => {
    const written = tempDir()
    const r = imhi(['label', ONNX_OUTPUTS, '--model-path', ONNX_MODELS, '--calculate', '--output', written])
    expect(r.status, r.stderr).toBe(0)
    // --output: the script's data_output_path files (goldens,generated_text,labels), same rows and texts.
    for (const name of ['DR', 'SAD']) {
      const out = Papa.parse<Record<string, string>>(readFileSync(join(written, `${name}.csv`), 'utf8'), { header: true, skipEmptyLines: true })
      const input = Papa.parse<Record<string, string>>(readFileSync(join(ONNX_OUTPUTS, `${name}.csv`), 'utf8'), { header: true, skipEmptyLines: true })
      expect(out.meta.fields).toEqual(['goldens', 'generated_text', 'labels'])
      expect(out.data.map((x) => x.labels)).toEqual(ref.outputs[name].labels)
      expect(out.data.map((x) => x.generated_text)).toEqual(input.data.map((x) => x.generated_text))
      expect(out.data.map((x) => x.goldens)).toEqual(input.data.map((x) => x.goldens))
    }
    for (const name of ['DR', 'SAD']) expect(r.stdout).toContain(ref.outputs[name].calculate.printed!)
    expect(r.stdout).toMatch(/DR: 10 rows labelled by .*models\/DR on (cpu|cuda) .*batch 8, 1 cut to 512 tokens/)
    const j = imhi(['label', ONNX_OUTPUTS, '--model-path', ONNX_MODELS, '--calculate', '--json'])
    expect(j.status, j.stderr).toBe(0)
    const out = JSON.parse(j.stdout)
    expect(out.labeller).toMatchObject({ kind: 'mentalbert', modelPath: ONNX_MODELS })
    for (const name of ['DR', 'SAD']) {
      expect(out.datasets[name].labels.map((x: { label: string }) => x.label)).toEqual(ref.outputs[name].labels)
      expect(out.datasets[name].mentalbert.script.printed).toBe(ref.outputs[name].calculate.printed)
    }
    // The 100,000-character explanation (DR row 9) is cut to 512 tokens, as the script cuts it.
    expect(out.datasets.DR.labels[8].tokens).toBe(512)
    expect(out.datasets.DR.mentalbert.truncated).toBe(1)
    // Workbench names for the script's labels (SAD "financial" is "financial problem").
    expect(out.datasets.SAD.labels.map((x: { workbench_label: string }) => x.workbench_label)).toContain('family issues')
  })

  it('evaluate --save --model-path stores an evaluation made by MentalBERT', () => {
    const dbFile = join(tempDir(), 'cli.db')
    openDatabase(dbFile).close()
    const r = imhi(['evaluate', ONNX_OUTPUTS, '--db', dbFile, '--save', '--model-path', ONNX_MODELS])
    expect(r.status, r.stderr).toBe(0)
    expect(r.stdout).toMatch(/saved as evaluation #1/)
    const db = openDatabase(dbFile)
    const row = db.prepare('SELECT labeller, report FROM evaluations WHERE id = 1').get() as { labeller: string; report: string }
    db.close()
    expect(row.labeller).toBe('mentalbert')
    expect(JSON.parse(row.report).datasets.SAD.mentalbert.script.printed).toBe(ref.outputs.SAD.calculate.printed)
    const list = imhi(['evaluate', ONNX_OUTPUTS, '--model-path', ONNX_MODELS])
    expect(list.status).toBe(2)
    expect(list.stderr).toMatch(/--model-path goes with --save/)
  })

  it('batch size does not change a label (padding is masked)', () => {
    const j = imhi(['label', join(ONNX_OUTPUTS, 'SAD.csv'), '--model-path', ONNX_MODELS, '--batch-size', '3', '--json'])
    expect(j.status, j.stderr).toBe(0)
    expect(JSON.parse(j.stdout).datasets.SAD.labels.map((x: { label: string }) => x.label)).toEqual(ref.outputs.SAD.labels)
  })

  it('labels a run of the database, and a dataset with no classifier folder is listed, not fatal', () => {
    const services = testServices('label-run.db')
    const rows = ref.outputs.DR.labels.map((_, i) => i)
    const csv = Papa.parse<Record<string, string>>(readFileSync(join(ONNX_OUTPUTS, 'DR.csv'), 'utf8'), { header: true, skipEmptyLines: true }).data
    const ids = seedItems(services.db, 'DR', 'test_instruction', csv.map((r) => ({ response: r.goldens })))
    const runId = seedRun(services.db, 'fixture run', rows.map((i) => ({ itemId: ids[i], text: csv[i].generated_text })))
    const onlyDr = tempDir()
    cpSync(join(ONNX_MODELS, 'DR'), join(onlyDr, 'DR'), { recursive: true })
    return services.evaluation.labelMentalBert({ runId }, { modelPath: ONNX_MODELS }).then(async (r) => {
      expect(r.datasets.DR.rows.map((x) => x.scriptLabel)).toEqual(ref.outputs.DR.labels)
      expect(r.datasets.DR.rows.map((x) => x.itemId)).toEqual(ids)
      expect(r.datasets.DR.mentalbert.script?.printed).toBe(ref.outputs.DR.calculate.printed)
      expect(r.missingClassifiers).toEqual([])
      const partial = await services.evaluation.labelMentalBert({ path: ONNX_OUTPUTS }, { modelPath: onlyDr })
      expect(Object.keys(partial.datasets)).toEqual(['DR'])
      expect(partial.missingClassifiers).toEqual(['SAD'])
    })
  })

  it('bad input: no such folder, a folder without the dataset, a non-ONNX folder, the wrong number of labels, a mismatched tokenizer: an error naming the file, exit 1', () => {
    const dir = tempDir()
    let r = imhi(['label', ONNX_OUTPUTS, '--model-path', join(dir, 'nope')])
    expect(r.status).toBe(1)
    expect(r.stderr).toMatch(/nope: no such folder/)
    mkdirSync(join(dir, 'empty'))
    r = imhi(['label', ONNX_OUTPUTS, '--model-path', join(dir, 'empty')])
    expect(r.status).not.toBe(0)
    expect(r.stderr).toMatch(/No MentalBERT classifier folder under .*empty for DR, SAD/)
    // DR/ holds something that is not an export.
    mkdirSync(join(dir, 'notonnx', 'DR'), { recursive: true })
    writeFileSync(join(dir, 'notonnx', 'DR', 'pytorch_model.bin'), 'weights')
    r = imhi(['label', join(ONNX_OUTPUTS, 'DR.csv'), '--model-path', join(dir, 'notonnx')])
    expect(r.status).toBe(1)
    expect(r.stderr).toMatch(/notonnx\/DR: not an ONNX export: no model\.onnx/)
    // The SAD classifier (9 labels) where DR's (2 labels) should be.
    cpSync(join(ONNX_MODELS, 'SAD'), join(dir, 'swapped', 'DR'), { recursive: true })
    r = imhi(['label', join(ONNX_OUTPUTS, 'DR.csv'), '--model-path', join(dir, 'swapped')])
    expect(r.status).toBe(1)
    expect(r.stderr).toMatch(/swapped\/DR\/model\.onnx: the classifier has 9 labels but DR has 2 \(no, yes\); this is not the DR classifier/)
    // A tokenizer with more ids than the model's embedding.
    cpSync(join(ONNX_MODELS, 'DR'), join(dir, 'bigtok', 'DR'), { recursive: true })
    const tj = JSON.parse(readFileSync(join(dir, 'bigtok', 'DR', 'tokenizer.json'), 'utf8'))
    tj.model.vocab['[extra]'] = 5000
    writeFileSync(join(dir, 'bigtok', 'DR', 'tokenizer.json'), JSON.stringify(tj))
    r = imhi(['label', join(ONNX_OUTPUTS, 'DR.csv'), '--model-path', join(dir, 'bigtok')])
    expect(r.status).toBe(1)
    expect(r.stderr).toMatch(/bigtok\/DR\/tokenizer\.json does not match the model: its token ids go up to 5000/)
  })
})

describe('evaluate with the MentalBERT labeller: stored with the labeller that made it, nothing stored on failure', () => {
  const s = testServices('evaluate-mentalbert.db')
  it('stores the report with labeller mentalbert, its per-dataset run and the script numbers', async () => {
    const report = await s.evaluation.evaluate({ path: ONNX_OUTPUTS }, { labeller: { kind: 'mentalbert', modelPath: ONNX_MODELS } })
    expect(report.labeller).toMatchObject({ kind: 'mentalbert', modelPath: ONNX_MODELS })
    expect(report.datasets.DR.mentalbert?.script).toMatchObject({ ok: true, printed: ref.outputs.DR.calculate.printed })
    expect(report.datasets.SAD.perRow.classifier).toEqual(ref.outputs.SAD.labels.map((l) => ({ financial: 'financial problem', family: 'family issues', social: 'social relationships', health: 'health issues', emotional: 'emotional turmoil', everyday: 'everyday decision making', other: 'other stress causes' })[l] ?? l))
    const listed = s.evaluation.list().find((e) => e.id === report.id)!
    expect(listed.labeller).toBe('mentalbert')
    expect(s.evaluation.get(report.id!).labeller?.kind).toBe('mentalbert')
    // The built-in labeller, for comparison: no classifiers trained, so none ran.
    const plain = await s.evaluation.evaluate({ path: ONNX_OUTPUTS })
    expect(plain.labeller?.kind).toBe('tfidf')
    expect(s.evaluation.list().find((e) => e.id === plain.id)!.labeller).toBeNull()
  })

  it('a wrong classifier folder fails before anything is stored', async () => {
    const dir = tempDir()
    cpSync(join(ONNX_MODELS, 'DR'), join(dir, 'models', 'DR'), { recursive: true })
    cpSync(join(ONNX_MODELS, 'DR'), join(dir, 'models', 'SAD'), { recursive: true })
    const before = s.evaluation.list().length
    const err = await s.evaluation.evaluate({ path: ONNX_OUTPUTS }, { labeller: { kind: 'mentalbert', modelPath: join(dir, 'models') } }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(AppError)
    expect((err as AppError).message).toMatch(/models\/SAD\/model\.onnx: the classifier has 2 labels but SAD has 9/)
    expect(s.evaluation.list().length).toBe(before)
    rmSync(join(dir, 'models'), { recursive: true })
  })
})

describe('migration 006: evaluations.labeller', () => {
  it('marks evaluations stored before it with their labeller: tfidf where a dataset has classifier labels, else none', async () => {
    const { default: Database } = await import('better-sqlite3')
    const { migrate } = await import('../../src/main/db/migrate')
    const { migrations } = await import('../../src/main/db/migrations')
    const db = new Database(join(tempDir(), 'old.db'))
    migrate(db, migrations.slice(0, 5))
    const insert = db.prepare("INSERT INTO evaluations (name, source_kind, path, report) VALUES (?, 'outputs', '/x', ?)")
    insert.run('with classifier', JSON.stringify({ datasets: { DR: { classifier: { accuracy: 1 } } } }))
    insert.run('without', JSON.stringify({ datasets: { DR: { classifier: null } } }))
    insert.run('broken json', '{')
    expect(migrate(db)).toBe(migrations.length)
    expect(db.prepare('SELECT name, labeller FROM evaluations ORDER BY id').all()).toEqual([
      { name: 'with classifier', labeller: 'tfidf' },
      { name: 'without', labeller: null },
      { name: 'broken json', labeller: null }
    ])
    db.close()
  })
})
