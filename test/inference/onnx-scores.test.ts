import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { cpSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { OnnxEngine, type OnnxModelInfo } from '../../src/main/inference/engines/onnx'
import { ONNX_FIXTURES } from '../support/onnx-fixture'

// Reference numbers: scripts/fixtures/make_seq2seq_fixtures.py, BARTScorer.score and bert_score
// run in torch on the same random weights that the committed ONNX exports hold.
const BART = join(ONNX_FIXTURES, 'bart-tiny')
const ROBERTA = join(ONNX_FIXTURES, 'roberta-tiny-l3')
const bartRef = JSON.parse(readFileSync(join(ONNX_FIXTURES, 'bart-score-reference.json'), 'utf8')) as {
  batch_size: number
  max_length: number
  generated: string[]
  golden: string[]
  untruncated_tokens: [number, number][]
  scores: number[]
  scores_batch_size_1: number[]
  token_ids: { texts: string[]; ids: number[][] }
}
const bertRef = JSON.parse(readFileSync(join(ONNX_FIXTURES, 'bertscore-reference.json'), 'utf8')) as {
  num_layers: number
  batch_size: number
  model_max_length: number
  candidates: string[]
  references: string[]
  precision: number[]
  recall: number[]
  f1: number[]
  untruncated_tokens: [number, number][]
  token_ids: { texts: string[]; ids: number[][] }
}

function copyFolder(src: string, into: string, name: string): string {
  const dst = join(into, name)
  cpSync(src, dst, { recursive: true })
  return dst
}

describe('BART-score and BERTScore in the ONNX worker, against torch', () => {
  const engine = new OnnxEngine()
  let bart: OnnxModelInfo
  let roberta: OnnxModelInfo
  let tmp: string
  beforeAll(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'imhi-seq2seq-'))
    bart = await engine.load(BART, { sessions: ['encoder_model', 'decoder_model'] })
    roberta = await engine.load(ROBERTA, { sessions: ['model'] })
  })
  afterAll(async () => {
    await engine.close()
    rmSync(tmp, { recursive: true, force: true })
  })

  it('tokenizes as the slow BartTokenizer (byte-level BPE, <s> ... </s>)', async () => {
    const b = await engine.tokenize(bart.id, bartRef.token_ids.texts, bartRef.max_length)
    bartRef.token_ids.ids.forEach((ids, i) => expect(Array.from(b.inputIds.slice(i * b.length, i * b.length + b.lengths[i]), Number)).toEqual(ids))
  })

  it("BART-score per pair equals BARTScorer.score's to 1e-4 (batches of 4 with padding, empty and whitespace texts, both sides over 1,024 tokens)", async () => {
    expect(bartRef.untruncated_tokens.some(([s]) => s > 1024)).toBe(true)
    expect(bartRef.untruncated_tokens.some(([, t]) => t > 1024)).toBe(true)
    const r = await engine.seq2seqLikelihood(bart.id, bartRef.generated, bartRef.golden, { maxLength: 1024, batchSize: 4 })
    expect(r).toHaveLength(bartRef.scores.length)
    r.forEach((p, i) => expect(Math.abs(p.meanLogProb - bartRef.scores[i]), `pair ${i}`).toBeLessThan(1e-4))
    // truncation is reported where either side was cut; target tokens counted after the cut
    r.forEach((p, i) => {
      const [s, t] = bartRef.untruncated_tokens[i]
      expect(p.truncated).toBe(s > 1024 || t > 1024)
      expect(p.targetTokens).toBe(Math.min(t, 1024))
    })
    // one pair at a time gives the same numbers (padding does not leak)
    const single = await engine.seq2seqLikelihood(bart.id, bartRef.generated, bartRef.golden, { maxLength: 1024, batchSize: 1 })
    single.forEach((p, i) => expect(Math.abs(p.meanLogProb - bartRef.scores_batch_size_1[i])).toBeLessThan(1e-4))
  })

  it("BERTScore P/R/F1 per pair equal bert_score's to 1e-4 (layer 3 cut, batches of 16, empty sentences, truncation at model_max_length)", async () => {
    const r = await engine.bertScore(roberta.id, bertRef.candidates, bertRef.references, { batchSize: bertRef.batch_size, layer: null })
    expect(r.layer).toBe(3)
    r.scores.forEach((s, i) => {
      expect(Math.abs(s.precision - bertRef.precision[i]), `P ${i}`).toBeLessThan(1e-4)
      expect(Math.abs(s.recall - bertRef.recall[i]), `R ${i}`).toBeLessThan(1e-4)
      expect(Math.abs(s.f1 - bertRef.f1[i]), `F1 ${i}`).toBeLessThan(1e-4)
    })
    const cut = bertRef.untruncated_tokens.flatMap(([c, ref], i) => (c > bertRef.model_max_length || ref > bertRef.model_max_length ? [i] : []))
    expect(cut).toContain(18)
    expect(cut).toContain(19)
    expect(r.truncated).toEqual(cut)
    const b = await engine.tokenize(roberta.id, bertRef.token_ids.texts.map((t) => (t ? ' ' + t : t)), bertRef.model_max_length)
    bertRef.token_ids.ids.forEach((ids, i) => expect(Array.from(b.inputIds.slice(i * b.length, i * b.length + b.lengths[i]), Number)).toEqual(ids))
  })

  it('asks for the layer the export ends at, and refuses another one naming config.json', async () => {
    await expect(engine.bertScore(roberta.id, ['a'], ['b'], { batchSize: 16, layer: 3 })).resolves.toMatchObject({ layer: 3 })
    await expect(engine.bertScore(roberta.id, ['a'], ['b'], { batchSize: 16, layer: 2 })).rejects.toThrow(/config\.json: this export ends after layer 3.*not layer 2/)
  })

  it('scores a 100,000-character explanation by cutting it to 1,024 tokens', async () => {
    const long = 'I feel alone and nobody cares about me. '.repeat(2500)
    const [p] = await engine.seq2seqLikelihood(bart.id, [long], [long], { maxLength: 1024, batchSize: 4 })
    expect(p.truncated).toBe(true)
    expect(p.targetTokens).toBe(1024)
    expect(Number.isFinite(p.meanLogProb)).toBe(true)
  })

  describe('bad exports: a clear error naming the file', () => {
    it('a BART export without its decoder', async () => {
      const dir = copyFolder(BART, tmp, 'no-decoder')
      unlinkSync(join(dir, 'decoder_model.onnx'))
      await expect(engine.load(dir, { sessions: ['encoder_model', 'decoder_model'] })).rejects.toThrow(new RegExp(`${join(dir, 'encoder_model.onnx').replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} is there but no decoder_model\\.onnx`))
    })

    it('a folder that is not an ONNX export', async () => {
      const dir = join(tmp, 'not-an-export')
      cpSync(resolve(ONNX_FIXTURES, 'bart-score-reference.json'), join(dir, 'x.json'), { recursive: true })
      await expect(engine.load(dir)).rejects.toThrow(/not an ONNX export: no model\.onnx/)
    })

    it('a tokenizer of another model (ids beyond the vocabulary)', async () => {
      const dir = copyFolder(BART, tmp, 'wrong-tokenizer')
      const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'))
      writeFileSync(join(dir, 'config.json'), JSON.stringify({ ...config, vocab_size: 100 }))
      await expect(engine.load(dir, { sessions: ['encoder_model', 'decoder_model'] })).rejects.toThrow(/tokenizer\.json does not match the model/)
    })

    it("a tokenizer whose special tokens are not the model's", async () => {
      const dir = copyFolder(BART, tmp, 'wrong-specials')
      const tok = JSON.parse(readFileSync(join(dir, 'tokenizer.json'), 'utf8'))
      tok.post_processor = { type: 'RobertaProcessing', sep: ['</s>', 5], cls: ['<s>', 4], trim_offsets: true, add_prefix_space: false }
      writeFileSync(join(dir, 'tokenizer.json'), JSON.stringify(tok))
      const m = await engine.load(dir, { sessions: ['encoder_model', 'decoder_model'] })
      await expect(engine.seq2seqLikelihood(m.id, ['a'], ['b'], { maxLength: 1024, batchSize: 4 })).rejects.toThrow(/tokenizer\.json does not match .*config\.json/)
      await engine.unload(m.id)
    })

    it('an encoder export given for BART-score, a BART export given for BERTScore', async () => {
      await expect(engine.seq2seqLikelihood(roberta.id, ['a'], ['b'], { maxLength: 1024, batchSize: 4 })).rejects.toThrow(/encoder_model\.onnx: missing/)
      await expect(engine.bertScore(bart.id, ['a'], ['b'], { batchSize: 16, layer: null })).rejects.toThrow(/model\.onnx: missing; BERTScore needs an encoder export/)
    })
  })
})
