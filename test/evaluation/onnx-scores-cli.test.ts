import { spawnSync } from 'node:child_process'
import { cpSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
import { tempDir } from '../support/tmp'
import { ONNX_FIXTURES } from '../support/onnx-fixture'
import { openDatabase } from '../../src/main/db/open'

// The CLI end to end: imhi score / evaluate --save / errors, on the committed tiny BART and
// RoBERTa exports, against the numbers torch computed the way score.py does (empty generated
// cells scored as "nan", as pandas + str() do).
const CLI = resolve(__dirname, '..', '..', 'bin', 'imhi.js')
function imhi(args: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 })
  return { stdout: r.stdout, stderr: r.stderr, status: r.status }
}
const BART = join(ONNX_FIXTURES, 'bart-tiny')
const ROBERTA = join(ONNX_FIXTURES, 'roberta-tiny-l3')
const bartRef = JSON.parse(readFileSync(join(ONNX_FIXTURES, 'bart-score-reference.json'), 'utf8')) as { generated: string[]; golden: string[]; script_scores: number[] }
const bertRef = JSON.parse(readFileSync(join(ONNX_FIXTURES, 'bertscore-reference.json'), 'utf8')) as { candidates: string[]; references: string[]; script_f1: number[] }
const mean = (xs: number[]) => xs.reduce((a, x) => a + x, 0) / xs.length

function outputsCsv(file: string, generated: string[], goldens: string[]): void {
  const q = (x: string) => '"' + x.replace(/"/g, '""') + '"'
  // an empty generated text is an empty cell, as pandas writes a missing value
  writeFileSync(file, ['goldens,generated_text', ...generated.map((g, i) => `${q(goldens[i])},${g === '' ? '' : q(g)}`)].join('\n') + '\n')
}

describe('imhi score --metric bart / bertscore (CLI, ONNX Runtime)', () => {
  const dir = tempDir()
  const bartDir = join(dir, 'bart-outputs')
  const bertDir = join(dir, 'bert-outputs')
  mkdirSync(bartDir)
  mkdirSync(bertDir)
  outputsCsv(join(bartDir, 'DR.csv'), bartRef.generated, bartRef.golden)
  outputsCsv(join(bertDir, 'DR.csv'), bertRef.candidates, bertRef.references)

  it("prints the per-dataset BART-score mean that score.py prints (BARTScorer on every pair, 1e-4)", () => {
    const r = imhi(['score', bartDir, '--metric', 'bart', '--bart-model', BART, '--json'])
    expect(r.stderr).toBe('')
    expect(r.status).toBe(0)
    const bart = JSON.parse(r.stdout).datasets.DR.bart
    expect(bart).toMatchObject({ n: bartRef.generated.length, batchSize: 4, maxLength: 1024, truncated: 2, provider: 'cpu' })
    expect(Math.abs(bart.mean - mean(bartRef.script_scores))).toBeLessThan(1e-4)
    const text = imhi(['score', bartDir, '--metric', 'bart,rouge', '--bart-model', BART])
    expect(text.status).toBe(0)
    expect(text.stdout).toMatch(new RegExp(`^DR +n +\\d+ .*ROUGE-1 .*BART-score ${mean(bartRef.script_scores).toFixed(4)} \\(13 pairs, 2 cut to 1024 tokens\\)`, 'm'))
  })

  it('prints the mean BERTScore F1 that score.py prints (bert_score, batch 16, 1e-4) with the layer', () => {
    const r = imhi(['score', bertDir, '--metric', 'bertscore', '--bertscore-model', ROBERTA, '--json'])
    expect(r.status).toBe(0)
    const bs = JSON.parse(r.stdout).datasets.DR.bertscore
    // a pair whose reference is an empty cell is left out (evaluate's bertscore would stop on it)
    const scored = bertRef.script_f1.filter((_, i) => bertRef.references[i] !== '')
    expect(scored.length).toBe(bertRef.candidates.length - 1)
    expect(bs).toMatchObject({ n: scored.length, layer: 3, batchSize: 16 })
    expect(Math.abs(bs.f1 - mean(scored))).toBeLessThan(1e-4)
    const wrongLayer = imhi(['score', bertDir, '--metric', 'bertscore', '--bertscore-model', ROBERTA, '--layer', '9'])
    expect(wrongLayer.status).not.toBe(0)
    expect(wrongLayer.stderr).toContain(`${join(ROBERTA, 'config.json')}: this export ends after layer 3`)
  })

  it('refuses a metric without its model, a model without its metric, --layer without BERTScore', () => {
    expect(imhi(['score', bartDir, '--metric', 'bart']).stderr).toMatch(/bart metric needs --bart-model/)
    expect(imhi(['score', bartDir, '--bart-model', BART]).stderr).toMatch(/--bart-model is used only by the bart metric/)
    expect(imhi(['score', bartDir, '--metric', 'bertscore']).stderr).toMatch(/bertscore metric needs --bertscore-model/)
    expect(imhi(['score', bartDir, '--metric', 'bart', '--bart-model', BART, '--layer', '3']).stderr).toMatch(/--layer applies to BERTScore/)
  })

  it('evaluate --save stores both scores with their per-row values; a broken export stores nothing and names the file', () => {
    const db = join(dir, 'eval.db')
    const r = imhi(['evaluate', bartDir, '--db', db, '--save', '--bart-model', BART, '--bertscore-model', ROBERTA, '--json'])
    expect(r.stderr).toBe('')
    expect(r.status).toBe(0)
    const id = JSON.parse(r.stdout).evaluation_id
    const broken = join(dir, 'bart-no-decoder')
    cpSync(BART, broken, { recursive: true })
    unlinkSync(join(broken, 'decoder_model.onnx'))
    const bad = imhi(['evaluate', bartDir, '--db', db, '--save', '--bart-model', broken])
    expect(bad.status).not.toBe(0)
    expect(bad.stderr).toContain(`${join(broken, 'encoder_model.onnx')} is there but no decoder_model.onnx`)
    const conn = openDatabase(db)
    try {
      const rows = conn.prepare('SELECT id, report FROM evaluations').all() as { id: number; report: string }[]
      expect(rows.map((x) => x.id)).toEqual([id])
      const dr = JSON.parse(rows[0].report).datasets.DR
      expect(Math.abs(dr.quality.bart.mean - mean(bartRef.script_scores))).toBeLessThan(1e-4)
      expect(dr.perRow.bart).toHaveLength(13)
      dr.perRow.bart.forEach((x: number, i: number) => expect(Math.abs(x - bartRef.script_scores[i])).toBeLessThan(1e-4))
      expect(dr.quality.bertscore).toMatchObject({ layer: 3, n: 13 })
      expect(dr.perRow.bertscore.every((x: number) => x >= 0 && x <= 1 + 1e-6)).toBe(true)
    } finally {
      conn.close()
    }
  })
})
