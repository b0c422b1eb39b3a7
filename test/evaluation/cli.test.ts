import { spawnSync } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
import { tempDir } from '../support/tmp'
import { SHARED_IMHI, hasSharedImhi, sharedSkipReason } from '../support/shared'
import { openDatabase } from '../../src/main/db/open'
import { drResponses, seedItems, seedRun } from './seed'

const CLI = resolve(__dirname, '..', '..', 'bin', 'imhi.js')
function imhi(args: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 })
  return { stdout: r.stdout, stderr: r.stderr, status: r.status }
}

describe('imhi evaluate / score / label (CLI)', () => {
  const dir = tempDir()
  const csv = join(dir, 'DR.csv')
  writeFileSync(
    csv,
    'goldens,generated_text\n' +
      '"Yes, the poster suffers from depression. Reasoning: the poster feels hopeless.","Yes, the poster suffers from depression. Reasoning: hopeless."\n' +
      '"No, the poster does not suffer from depression. Reasoning: calm.","Yes, the poster suffers from depression. Reasoning: calm."\n' +
      '"No, the poster does not suffer from depression. Reasoning: relaxed.",""\n'
  )

  it('evaluate --json prints one document with fractions per dataset', () => {
    const r = imhi(['evaluate', csv, '--json'])
    expect(r.status).toBe(0)
    const out = JSON.parse(r.stdout)
    expect(out.datasets.DR).toMatchObject({ n: 3, ood: 1, accuracy: 1 / 3, micro_f1: 1 / 3 })
    // yes: tp 1, pred 2, support 1 -> F1 2/3; no: F1 0; ood: F1 0.
    expect(out.datasets.DR.macro_f1).toBeCloseTo(2 / 9, 12)
    expect(out.datasets.DR.weighted_f1).toBeCloseTo(2 / 9, 12)
    expect(out.datasets.DR.confusion.labels).toEqual(['no', 'yes', 'ood'])
  })

  it('evaluate --ood benchmark scores an unlabelled response as class 0 ("no") and says so', () => {
    const r = imhi(['evaluate', csv, '--ood', 'benchmark', '--json'])
    expect(r.status).toBe(0)
    const out = JSON.parse(r.stdout)
    expect(out).toMatchObject({ rules: 'workbench', ood_convention: 'benchmark' })
    // gold yes, no, no; predicted yes, yes, (none -> no): accuracy 2/3 (sklearn: weighted F1 2/3, macro F1 2/3).
    expect(out.datasets.DR).toMatchObject({ n: 3, ood: 1, ood_convention: 'benchmark', accuracy: 2 / 3 })
    expect(out.datasets.DR.macro_f1).toBeCloseTo(2 / 3, 12)
    expect(out.datasets.DR.confusion.labels).toEqual(['no', 'yes'])
    const text = imhi(['evaluate', csv, '--ood', 'benchmark']).stdout
    expect(text).toMatch(/OOD convention benchmark/)
    expect(text).toMatch(/DR\s+3\s+66\.67/)
    expect(imhi(['evaluate', csv]).stdout).toMatch(/OOD convention workbench/)
    expect(imhi(['evaluate', csv, '--ood', 'zero']).stderr).toMatch(/Allowed choices are workbench, benchmark/)
  })

  it("evaluate --rules imhi-py prints IMHI.py's line, or why it gives no number", () => {
    const r = imhi(['evaluate', csv, '--rules', 'imhi-py'])
    expect(r.status).toBe(0)
    // IMHI.py: outputs yes, yes, (empty -> 0); goldens yes, no, no -> 2 of 3.
    expect(r.stdout).toContain('Dataset: DR, average acc:66.67, weighted F1 66.67, micro F1 66.67, macro F1 66.67, OOD count: 1')
    const json = JSON.parse(imhi(['evaluate', csv, '--rules', 'imhi-py', '--json']).stdout)
    expect(json).toMatchObject({ rules: 'imhi-py', datasets: { DR: { accuracy: 66.67, ood_count: 1, error: null } } })
    const bad = join(dir, 'bad-gold.csv')
    writeFileSync(bad, 'goldens,generated_text\n"Yes. Reasoning: a.","Yes."\n"Perhaps. Reasoning: b.","No."\n')
    const f = imhi(['evaluate', bad, '--dataset-as', 'DR', '--rules', 'imhi-py'])
    expect(f.status).toBe(0)
    expect(f.stdout).toMatch(/Dataset: DR: IMHI.py gives no number: scikit-learn raises ValueError: Found input variables with inconsistent numbers of samples: \[1, 2\].*row 2/)
    expect(imhi(['evaluate', csv, '--rules', 'imhi-py', '--ood', 'benchmark']).stderr).toMatch(/--ood applies to the workbench rules/)
  })

  it('score --json gives BLEU and ROUGE; a bad metric and lm without a model fail with exit 2', () => {
    const r = imhi(['score', csv, '--metric', 'bleu,rouge', '--json'])
    expect(r.status).toBe(0)
    const out = JSON.parse(r.stdout)
    expect(out.datasets.DR.bleu.bleu).toBeGreaterThan(0)
    expect(out.datasets.DR.rouge.rouge1).toBeGreaterThan(0)
    const bad = imhi(['score', csv, '--metric', 'bleurt'])
    expect(bad.status).toBe(2)
    expect(bad.stderr).toMatch(/unknown metric bleurt/)
    const noModel = imhi(['score', csv, '--metric', 'lm'])
    expect(noModel.status).toBe(2)
    expect(noModel.stderr).toMatch(/needs --model/)
  })

  it('names the file and column when a column is missing, and the file name when the dataset is unknown', () => {
    const bad = join(dir, 'dreaddit.csv')
    writeFileSync(bad, 'gold,generated_text\na,b\n')
    const r = imhi(['evaluate', bad, '--json'])
    expect(r.status).not.toBe(0)
    expect(r.stdout).toBe('')
    expect(r.stderr).toContain(`${bad}: missing column goldens`)
    const unknown = join(dir, 'my-outputs.csv')
    writeFileSync(unknown, 'goldens,generated_text\n"Yes, the poster suffers from depression.","yes"\n')
    const u = imhi(['evaluate', unknown])
    expect(u.status).toBe(2)
    expect(u.stderr).toMatch(/unknown dataset "my-outputs".*--dataset-as/)
    const ok = imhi(['evaluate', unknown, '--dataset-as', 'DR', '--json'])
    expect(JSON.parse(ok.stdout).datasets.DR.accuracy).toBe(1)
  })

  it('evaluate --save stores the evaluation in --db', () => {
    const db = join(dir, 'saved.db')
    const r = imhi(['evaluate', csv, '--db', db, '--save', '--json'])
    expect(r.status).toBe(0)
    const out = JSON.parse(r.stdout)
    expect(out.evaluation_id).toBe(1)
    expect(out.datasets.DR.accuracy).toBe(1 / 3)
    expect(imhi(['evaluate', csv, '--save']).stderr).toMatch(/--save needs --db/)
  })

  it('evaluate --db --run, classifiers train and label --run on a database', () => {
    const dbFile = join(dir, 'run.db')
    const db = openDatabase(dbFile)
    const gold = drResponses(12, 5)
    seedItems(db, 'DR', 'train_instruction', drResponses(60, 6))
    seedItems(db, 'DR', 'val_instruction', drResponses(20, 7))
    const ids = seedItems(db, 'DR', 'test_instruction', gold)
    const runId = seedRun(db, 'cli run', ids.map((itemId, i) => ({ itemId, text: i < 9 ? gold[i].response : 'Reasoning: unclear.' })))
    db.close()
    const ev = JSON.parse(imhi(['evaluate', '--db', dbFile, '--run', String(runId), '--json']).stdout)
    expect(ev.source).toEqual({ kind: 'run', runId, name: 'cli run' })
    expect(ev.datasets.DR).toMatchObject({ n: 12, ood: 3, accuracy: 0.75 })
    const tr = JSON.parse(imhi(['classifiers', 'train', '--db', dbFile, '--json']).stdout)
    expect(tr.datasets.DR.held_out_accuracy).toBeGreaterThanOrEqual(0.9)
    expect(tr.skipped.map((x: { dataset: string }) => x.dataset)).toContain('CAMS')
    const lb = JSON.parse(imhi(['label', '--db', dbFile, '--run', String(runId), '--json']).stdout)
    expect(lb.datasets.DR.labels).toHaveLength(12)
    expect(lb.datasets.DR.labels[0]).toMatchObject({ item_id: ids[0], gold: gold[0].label })
    expect(lb.datasets.DR.accuracy).toBeGreaterThanOrEqual(0.75)
    expect(imhi(['evaluate', '--db', dbFile, '--run', '99']).stderr).toMatch(/No run with id 99/)
  })

  it('needs a target or --run with --db; label needs trained classifiers', () => {
    expect(imhi(['evaluate']).stderr).toMatch(/Give a TARGET/)
    expect(imhi(['evaluate', '--run', '3']).stderr).toMatch(/--run needs --db/)
    const r = imhi(['label', csv, '--db', join(dir, 'x.db'), '--json'])
    expect(r.status).toBe(2)
    expect(r.stderr).toMatch(/No label classifier trained for DR/)
    // The service says what is missing in its words; the CLI adds the command that does it.
    expect(r.stderr).toMatch(/train the label classifiers after importing the IMHI data\. \(on the command line: imhi classifiers train --db FILE\)/)
  })
})

describe.skipIf(!hasSharedImhi)('imhi evaluate on the released example outputs', () => {
  sharedSkipReason('imhi')
  it('scores the three example files', () => {
    const r = imhi(['evaluate', join(SHARED_IMHI, 'examples/response_generation_examples'), '--json'])
    expect(r.status).toBe(0)
    const out = JSON.parse(r.stdout)
    expect(Object.keys(out.datasets).sort()).toEqual(['Irf', 'MultiWD', 'dreaddit'])
    for (const m of Object.values(out.datasets) as { n: number; unmatched_gold: number; accuracy: number }[]) {
      expect(m.n).toBe(35)
      expect(m.unmatched_gold).toBe(0)
      expect(m.accuracy).toBeGreaterThan(0.5)
    }
  })
})
