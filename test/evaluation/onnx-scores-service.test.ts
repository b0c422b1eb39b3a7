import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { testServices } from '../support/services'
import { tempDir } from '../support/tmp'
import { ONNX_FIXTURES } from '../support/onnx-fixture'
import { correlationReport, type RatedExplanation } from '../../src/main/evaluation/agreement'
import { openBartScorer, openBertScorer, scriptText } from '../../src/main/evaluation/onnx-scores'
import { OnnxEngine } from '../../src/main/inference/engines/onnx'

const BART = join(ONNX_FIXTURES, 'bart-tiny')
const ROBERTA = join(ONNX_FIXTURES, 'roberta-tiny-l3')

function outputs(dir: string, n: number): string {
  const folder = join(dir, 'out')
  mkdirSync(folder, { recursive: true })
  const rows = Array.from({ length: n }, (_, i) => `"Yes, the poster suffers from depression. Reasoning: the poster feels hopeless, ${i}.","The poster feels hopeless and tired every day (${i})."`)
  writeFileSync(join(folder, 'DR.csv'), ['goldens,generated_text', ...rows].join('\n') + '\n')
  return folder
}

describe('BART-score and BERTScore in the evaluation service', () => {
  const s = testServices()
  const dir = tempDir()

  it('cancel stops an evaluation between scoring batches and stores nothing; the next one runs', async () => {
    const folder = outputs(dir, 400)
    let cancelled = false
    const run = s.evaluation.evaluate({ path: folder }, {
      bartModel: BART,
      onProgress: (stage, _d, done) => {
        if (stage === 'bart' && done > 0 && !cancelled) cancelled = s.evaluation.cancel().cancelled
      }
    })
    await expect(run).rejects.toMatchObject({ code: 'cancelled' })
    expect(cancelled).toBe(true)
    expect(s.evaluation.list()).toHaveLength(0)
    expect(s.evaluation.cancel()).toEqual({ cancelled: false })
    const small = outputs(join(dir, 'small'), 5)
    const report = await s.evaluation.evaluate({ path: small }, { bartModel: BART, bertscoreModel: ROBERTA })
    expect(report.datasets.DR.quality?.bart?.n).toBe(5)
    expect(report.datasets.DR.quality?.bertscore?.layer).toBe(3)
    expect(s.evaluation.list()).toHaveLength(1)
  })

  it('a BERTScore layer the export does not end at fails before anything is scored or stored', async () => {
    const before = s.evaluation.list().length
    await expect(s.evaluation.evaluate({ path: outputs(join(dir, 'l'), 3) }, { bertscoreModel: ROBERTA, bertscoreLayer: 1 })).rejects.toThrow(/ends after layer 3/)
    expect(s.evaluation.list()).toHaveLength(before)
  })

  it('correlations get a bart and a bertscore column, each rated explanation scored against its golden', async () => {
    const engine = new OnnxEngine()
    try {
      const bart = await openBartScorer(engine, BART)
      const bert = await openBertScorer(engine, ROBERTA, null)
      const rated: RatedExplanation[] = Array.from({ length: 8 }, (_, i) => ({
        key: `k${i}`,
        system: 'sys',
        post: `post ${i}`,
        explanation: i % 2 ? 'The poster feels hopeless and tired every day.' : `No signs of anything ${i}.`,
        golden: i === 7 ? null : 'Yes, the poster suffers from depression. Reasoning: hopeless and tired.',
        ratings: { overall: i % 2 ? 3 : i / 4 }
      }))
      const r = await correlationReport('test', rated, undefined, { bart, bertscore: bert })
      expect(r.metrics).toEqual(['bleu', 'rouge1', 'rouge2', 'rougeL', 'bart', 'bertscore'])
      expect(r.n).toBe(7)
      const direct = await bart.score(rated.filter((x) => x.golden).map((x) => ({ generated: x.explanation, golden: x.golden })))
      r.points.forEach((p, i) => expect(p.scores.bart).toBeCloseTo(direct.perRow[i]!, 10))
      expect(r.table.bertscore.overall.pearson.n).toBe(7)
      await bart.close()
      await bert.close()
    } finally {
      await engine.close()
    }
  })

  it('scores an empty generated text as score.py does (pandas NaN -> "nan")', () => {
    expect(scriptText('')).toBe('nan')
    expect(scriptText('   ')).toBe('   ')
  })
})

describe("BERTScore baseline rescaling (bert_score's rescale_with_baseline, only when asked)", () => {
  const dir = tempDir()

  it('rescales P, R and F1 each with its own baseline row for the layer; a bad file is named', async () => {
    const engine = new OnnxEngine()
    try {
      const file = join(dir, 'roberta-tiny.tsv')
      // bert_score's layout: header LAYER,P,R,F and row i for layer i (the export's layer is 3)
      writeFileSync(file, 'LAYER,P,R,F\n0,0.1,0.1,0.1\n1,0.2,0.2,0.2\n2,0.3,0.3,0.3\n3,0.5,0.25,0.4\n')
      const pairs = [
        { generated: 'The poster feels hopeless.', golden: 'Yes, the poster suffers from depression.' },
        { generated: 'No signs at all.', golden: 'No, the poster does not suffer from depression.' }
      ]
      const raw = await openBertScorer(engine, ROBERTA, null)
      const scaled = await openBertScorer(engine, ROBERTA, null, file)
      const a = await raw.score(pairs)
      const b = await scaled.score(pairs)
      expect(a.summary.baseline).toBeNull()
      expect(b.summary.baseline).toMatchObject({ precision: 0.5, recall: 0.25, f1: 0.4 })
      b.perRow.forEach((f, i) => expect(f).toBeCloseTo((a.perRow[i]! - 0.4) / 0.6, 10))
      expect(b.summary.precision).toBeCloseTo((a.summary.precision! - 0.5) / 0.5, 10)
      expect(b.summary.recall).toBeCloseTo((a.summary.recall! - 0.25) / 0.75, 10)
      await raw.close()
      await scaled.close()
      const short = join(dir, 'short.tsv')
      writeFileSync(short, 'LAYER,P,R,F\n0,0.1,0.1,0.1\n')
      await expect(openBertScorer(engine, ROBERTA, null, short)).rejects.toThrow(`${short}: no row for layer 3`)
      const wrong = join(dir, 'wrong.tsv')
      writeFileSync(wrong, 'a,b\n1,2\n')
      await expect(openBertScorer(engine, ROBERTA, null, wrong)).rejects.toThrow(`${wrong}: expected bert_score's baseline layout`)
    } finally {
      await engine.close()
    }
  })
})
