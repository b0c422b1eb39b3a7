import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { testServices } from '../support/services'
import { tempDir } from '../support/tmp'
import { dispatch, type CallContext } from '../../src/main/api/dispatch'
import { createHandlers } from '../../src/main/api/handlers'
import { drResponses, seedItems, seedRun } from './seed'

const csvCell = (v: string) => `"${v.replace(/"/g, '""')}"`
function writeCsv(file: string, header: string[], rows: string[][]): string {
  writeFileSync(file, [header.join(','), ...rows.map((r) => r.map(csvCell).join(','))].join('\n') + '\n')
  return file
}

describe('evaluation service', () => {
  const s = testServices()
  const dir = tempDir()
  let testIds: number[] = []
  let runId = 0
  const test = drResponses(30, 13)

  beforeAll(() => {
    seedItems(s.db, 'DR', 'train_instruction', drResponses(90, 11))
    seedItems(s.db, 'DR', 'val_instruction', drResponses(30, 12))
    testIds = seedItems(s.db, 'DR', 'test_instruction', test)
    // A run that answers every item with the opposite label on rows 0, 5, 10, ... and nothing on row 1.
    runId = seedRun(
      s.db,
      'tiny run',
      testIds.map((itemId, i) => {
        const flip = i % 5 === 0
        const yes = (test[i].label === 'yes') !== flip
        const text = i === 1 ? '' : `${yes ? 'Yes, the poster suffers from depression.' : 'No, the poster does not suffer from depression.'} Reasoning: ${test[i].response.split('Reasoning: ')[1]}`
        return { itemId, text }
      })
    )
  })

  it('trains and stores a classifier per dataset with its held-out and test scores', async () => {
    const r = await s.evaluation.trainClassifiers(['DR', 'CAMS'])
    expect(r.trained.map((c) => c.dataset)).toEqual(['DR'])
    expect(r.skipped).toEqual([{ dataset: 'CAMS', reason: 'no labelled explanations imported (import the IMHI data first)' }])
    const dr = s.evaluation.classifiers()[0]
    expect(dr.heldOut).toMatchObject({ method: 'trained on train, scored on val', n: 30 })
    expect(dr.heldOut!.accuracy).toBeGreaterThanOrEqual(0.9)
    expect(dr.test!.n).toBe(30)
    expect(dr.trainRows).toBe(120)
  })

  it('scores a run: rule-based correctness with the empty response as OOD, never misaligned', () => {
    const r = s.evaluation.correctness({ runId })
    const m = r.datasets.DR
    expect(m.n).toBe(30)
    expect(m.ood).toBe(1)
    // Rows 0, 5, ..., 25 flipped (6 wrong), row 1 empty (wrong): 23 of 30 right.
    expect(m.accuracy).toBeCloseTo(23 / 30, 12)
    expect(m.confusion.matrix.flat().reduce((a, b) => a + b, 0)).toBe(30)
  })

  it('evaluates a run with every metric, stores the report, lists, gets and deletes it', async () => {
    const report = await s.evaluation.evaluate({ runId })
    expect(report.id).toBeGreaterThan(0)
    const dr = report.datasets.DR
    expect(dr.rows).toBe(30)
    expect(dr.emptyResponses).toBe(1)
    expect(dr.rule!.accuracy).toBeCloseTo(23 / 30, 12)
    expect(dr.classifier).not.toBeNull()
    expect(dr.quality!.rouge1!).toBeGreaterThan(0.8)
    expect(dr.quality!.bleu!.bleu!).toBeGreaterThan(0.5)
    expect(dr.perRow.rouge1).toHaveLength(30)
    expect(s.evaluation.list()[0]).toMatchObject({ id: report.id, sourceKind: 'run', runId, datasets: ['DR'] })
    expect(s.evaluation.get(report.id!).datasets.DR.rule!.n).toBe(30)
    expect(s.evaluation.remove(report.id!)).toEqual({ deleted: true })
    expect(() => s.evaluation.get(report.id!)).toThrow(/No evaluation/)
  })

  it('labels an output CSV without goldens with the stored classifier', async () => {
    const file = writeCsv(join(dir, 'DR.csv'), ['generated_text'], [['Reasoning: The post mentions hopelessness and worthlessness. Therefore, the poster likely suffers from depression.'], ['']])
    const r = await s.evaluation.label({ path: file })
    expect(r.datasets.DR.metrics).toBeNull()
    expect(r.datasets.DR.rows.map((x) => x.label)).toEqual(['yes', null])
    expect(r.datasets.DR.rows[1].empty).toBe(true)
  })

  it('reads the benchmark output layout and handles every bad input with a clear error', () => {
    const out = join(dir, 'outputs')
    mkdirSync(out)
    writeCsv(join(out, 'DR.csv'), ['goldens', 'generated_text'], [
      [test[0].response, 'Yes, the poster suffers from depression.'],
      [test[1].response, ''],
      [test[2].response, 'No. ' + 'x'.repeat(100_000)]
    ])
    writeCsv(join(out, 'CLP.csv'), ['goldens', 'generated_text'], [['a', 'b']])
    const r = s.evaluation.correctness({ path: out })
    expect(Object.keys(r.datasets)).toEqual(['DR'])
    expect(r.skipped[0].reason).toMatch(/unknown dataset "CLP".*rename the file or name its dataset/)
    // The service names the input (the CLI turns it into --dataset-as, src/main/cli/hints.ts).
    expect(r.skipped[0].field).toBe('datasetAs')
    expect(r.skipped[0].reason).not.toMatch(/--/)
    expect(r.datasets.DR.ood).toBe(1)
    expect(r.datasets.DR.n).toBe(3)

    const missing = writeCsv(join(dir, 'dreaddit.csv'), ['golden', 'generated_text'], [['a', 'b']])
    expect(() => s.evaluation.correctness({ path: missing })).toThrow(/dreaddit\.csv: missing column goldens \(found: golden, generated_text\)/)
    const ragged = join(dir, 'SAD.csv')
    writeFileSync(ragged, 'goldens,generated_text\n"a","b"\n"only one field"\n')
    expect(() => s.evaluation.correctness({ path: ragged })).toThrow(/SAD\.csv row 2: 1 field\(s\) but the header has 2/)
    const unknown = writeCsv(join(dir, 'mystery.csv'), ['goldens', 'generated_text'], [[test[0].response, 'yes']])
    expect(() => s.evaluation.correctness({ path: unknown })).toThrow(/unknown dataset "mystery"/)
    expect(s.evaluation.correctness({ path: unknown, datasetAs: 'dr' }).datasets.DR.accuracy).toBe(test[0].label === 'yes' ? 1 : 0)
    expect(() => s.evaluation.correctness({ path: unknown, datasetAs: 'nope' })).toThrow(/Unknown dataset "nope"/)
    const empty = join(dir, 'Irf.csv')
    writeFileSync(empty, '')
    expect(() => s.evaluation.correctness({ path: empty })).toThrow(/Irf\.csv: the file is empty/)
    expect(() => s.evaluation.correctness({ path: join(dir, 'nothing-here') })).toThrow(/no such file or folder/)
    expect(() => s.evaluation.correctness({ runId: 999 })).toThrow(/No run with id 999/)
  })

  it('scores BLEU/ROUGE of an output folder and refuses lm without a model', async () => {
    const out = join(dir, 'outputs')
    const r = await s.evaluation.score({ path: out }, { bleu: true, rouge: true, lm: false })
    expect(r.datasets.DR.n).toBe(3)
    expect(r.datasets.DR.rouge).toBeDefined()
    await expect(s.evaluation.score({ path: out }, { bleu: false, rouge: false, lm: true })).rejects.toThrow(/needs a model/)
  })

  it('correlates automatic scores with the reference ratings (mean of annotators)', async () => {
    const posts = test.slice(0, 6).map((_, i) => `post ${i}`)
    const file = s.db.prepare("INSERT INTO source_files (path, kind, rows, sha256) VALUES ('human_evaluation/DR_annotation/chatgpt_data.csv', 'reference_ratings', 6, 'x')").run()
    const insert = s.db.prepare(
      "INSERT INTO reference_ratings (source_file_id, source_row, system, post, label, explanation, explanation_column, fluency, completeness, reliability, overall) VALUES (?, ?, 'chatgpt_data', ?, 'yes', ?, 'gpt-3.5-turbo', ?, ?, ?, ?)"
    )
    posts.forEach((post, i) => {
      // Explanations that copy less and less of the golden get lower ratings.
      const golden = test[i].response
      const words = golden.split(' ')
      const explanation = words.slice(0, Math.max(3, words.length - i * 4)).join(' ')
      const rating = JSON.stringify([3 - Math.floor(i / 2), 3 - Math.floor(i / 2), 2])
      insert.run(file.lastInsertRowid, i + 1, post, explanation, rating, rating, rating, rating)
    })
    const r = await s.evaluation.correlations()
    expect(r.n).toBe(6)
    expect(r.aspects).toEqual(['fluency', 'completeness', 'reliability', 'overall'])
    expect(r.table.rouge1.overall.spearman.r!).toBeGreaterThan(0.8)
    expect(r.table.rouge1.overall.pearson.n).toBe(6)
    expect(r.points[0].ratings.overall).toBeCloseTo(8 / 3, 12)
  })

  it("correlates with a study's ratings (listStudyRatings), matching posts within the item's dataset", async () => {
    const study = s.db
      .prepare("INSERT INTO studies (uid, name, guidelines, aspects, annotators_per_item, seed) VALUES ('u1', 'pilot', '', '[]', 2, 1)")
      .run().lastInsertRowid
    const ann = [1, 2].map((i) => s.db.prepare('INSERT INTO annotators (uid, name, token) VALUES (?, ?, ?)').run(`a${i}`, `ann${i}`, `t${i}`).lastInsertRowid)
    ann.forEach((a, i) => s.db.prepare('INSERT INTO study_annotators (study_id, annotator_id, ordinal, order_seed) VALUES (?, ?, ?, 1)').run(study, a, i))
    const addItem = s.db.prepare("INSERT INTO study_items (study_id, item_key, position, post, explanation, source, dataset) VALUES (?, ?, ?, ?, ?, 'run:1', 'DR')")
    const rate = s.db.prepare("INSERT INTO ratings (study_id, study_item_id, annotator_id, aspect, score) VALUES (?, ?, ?, 'overall', ?)")
    for (let i = 0; i < 5; i++) {
      const words = test[i].response.split(' ')
      const si = addItem.run(study, `k${i}`, i, `post ${i}`, words.slice(0, Math.max(3, words.length - i * 5)).join(' ')).lastInsertRowid
      rate.run(study, si, ann[0], 3 - Math.min(3, i))
      rate.run(study, si, ann[1], 3 - Math.min(3, Math.floor(i / 2)))
    }
    const r = await s.evaluation.correlations({ studyId: Number(study) })
    expect(r.source).toBe(`study ${study}`)
    expect(r.n).toBe(5)
    expect(r.aspects).toEqual(['overall'])
    expect(r.points[1].ratings.overall).toBe(2.5)
    expect(r.table.rougeL.overall.spearman.r!).toBeGreaterThan(0.8)
    await expect(s.evaluation.correlations({ studyId: 999 })).rejects.toThrow(/Study 999 has no ratings/)
  })

  it('validates API input through dispatch', async () => {
    const handlers = createHandlers(s)
    const ctx: CallContext = { client: { id: 't', transport: 'serve', role: 'owner', annotatorId: null }, emit: () => {} }
    await expect(dispatch(handlers, 'evaluation.evaluate', { target: { runId: 1, path: '/x' } }, ctx)).rejects.toMatchObject({ code: 'invalid_input' })
    await expect(dispatch(handlers, 'evaluation.evaluate', { target: {} }, ctx)).rejects.toMatchObject({ code: 'invalid_input' })
    const list = (await dispatch(handlers, 'evaluation.classifiers', {}, ctx)) as { dataset: string }[]
    expect(list.map((c) => c.dataset)).toEqual(['DR'])
    const annotator: CallContext = { client: { id: 'a', transport: 'serve', role: 'annotator', annotatorId: 1 }, emit: () => {} }
    await expect(dispatch(handlers, 'evaluation.list', {}, annotator)).rejects.toMatchObject({ code: 'forbidden' })
  })
})
