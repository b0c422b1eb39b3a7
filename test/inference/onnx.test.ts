import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { OnnxEngine, type OnnxModelInfo } from '../../src/main/inference/engines/onnx'
import { AppError } from '../../src/shared/api/errors'
import { copyModel, materialize, ONNX_MODELS, onnxReference } from '../support/onnx-fixture'

const ref = onnxReference()
const texts = ref.texts.map(materialize)

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length)
  let m = 0
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]))
  return m
}

describe('ONNX engine (worker thread, onnxruntime-node) on the tiny fixtures', () => {
  const engine = new OnnxEngine()
  let tmp: string
  const loaded: Record<string, OnnxModelInfo> = {}
  beforeAll(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'imhi-onnx-'))
    for (const name of ['DR', 'SAD']) loaded[name] = await engine.load(join(ONNX_MODELS, name))
  })
  afterAll(async () => {
    await engine.close()
    rmSync(tmp, { recursive: true, force: true })
  })

  it('reads the folder: sessions with their inputs and outputs, tokenizer, labels, provider (cpu here, saying why not cuda)', () => {
    const dr = loaded.DR
    expect(dr.kind).toBe('encoder')
    expect(dr.modelType).toBe('bert')
    expect(Object.keys(dr.sessions)).toEqual(['model'])
    expect(dr.sessions.model.inputs.map((i) => i.name)).toEqual(['input_ids', 'attention_mask', 'token_type_ids'])
    expect(dr.sessions.model.outputs[0]).toMatchObject({ name: 'logits', type: 'float32' })
    expect(dr.configLabels).toBe(2)
    expect(loaded.SAD.configLabels).toBe(9)
    expect(dr.tokenizer.specialTokens).toBe(2)
    expect(dr.tokenizer.padId).toBe(0)
    expect(dr.maxPositions).toBe(512)
    expect(['cuda', 'cpu']).toContain(dr.provider)
    if (dr.provider === 'cpu') expect(dr.fallbacks.join(' ')).toMatch(/^cuda: /)
  })

  it('tokenizes as BertTokenizer does (accents, CJK, control characters, 101-character words, special tokens in the text) and truncates to 512 with [CLS] ... [SEP]', async () => {
    const b = await engine.tokenize(loaded.DR.id, texts, 512)
    for (let i = 0; i < texts.length; i++) {
      const expected = ref.tokenizer.ids[i]
      const row = Array.from(b.inputIds.slice(i * b.length, i * b.length + b.lengths[i]), Number)
      expect(row, `text ${i}: ${texts[i].slice(0, 60)}`).toEqual(expected)
      // Padding: pad id 0 and mask 0 after the row.
      expect(Array.from(b.attentionMask.slice(i * b.length, (i + 1) * b.length), Number).reduce((a, x) => a + x, 0)).toBe(expected.length)
    }
    const cut = ref.tokenizer.full_lengths.flatMap((n, i) => (n > 512 ? [i] : []))
    expect(b.truncated).toEqual(cut)
    expect(cut.length).toBe(3) // 513 tokens, 1,202 tokens, the 100,000-character text
  })

  for (const name of ['DR', 'SAD']) {
    it(`${name}: logits equal torch's to 1e-4 at batch sizes 1, 3 and 8 (padding), labels equal`, async () => {
      const model = ref.models[name]
      for (const run of model.runs) {
        const r = await engine.classify(loaded[name].id, texts, { maxLength: 512, batchSize: run.batch_size })
        expect(r.labels).toBe(model.labels.length)
        const d = maxDiff(r.logits, run.logits.flat())
        expect(d, `batch ${run.batch_size}: max |logit difference| ${d}`).toBeLessThan(1e-4)
        const labels = texts.map((_, i) => {
          const row = Array.from(r.logits.subarray(i * r.labels, (i + 1) * r.labels))
          return model.labels[row.indexOf(Math.max(...row))]
        })
        expect(labels).toEqual(run.labels)
        expect(r.tokens).toEqual(ref.tokenizer.ids.map((x) => x.length))
      }
    })
  }

  it('runs a named session on named int64 tensors', async () => {
    const ids = BigInt64Array.from([2n, 10n, 3n])
    const out = await engine.run(loaded.DR.id, 'model', {
      input_ids: { type: 'int64', data: ids, dims: [1, 3] },
      attention_mask: { type: 'int64', data: BigInt64Array.from([1n, 1n, 1n]), dims: [1, 3] },
      token_type_ids: { type: 'int64', data: new BigInt64Array(3), dims: [1, 3] }
    })
    expect(out.logits.dims).toEqual([1, 2])
    await expect(engine.run(loaded.DR.id, 'model', { input_ids: { type: 'int64', data: ids, dims: [1, 3] } })).rejects.toThrow(/missing input attention_mask, token_type_ids/)
    await expect(engine.run(loaded.DR.id, 'decoder_model', {})).rejects.toThrow(/no session decoder_model loaded/)
  })

  it('a BERT folder with only vocab.txt (no tokenizer.json) tokenizes and labels the same', async () => {
    const dir = copyModel('DR', join(tmp, 'vocab-only'))
    unlinkSync(join(dir, 'tokenizer.json'))
    const m = await engine.load(dir)
    expect(m.tokenizer.file).toBe(join(dir, 'vocab.txt'))
    const r = await engine.classify(m.id, texts, { maxLength: 512, batchSize: 8 })
    expect(maxDiff(r.logits, ref.models.DR.runs[2].logits.flat())).toBeLessThan(1e-4)
    await engine.unload(m.id)
  })

  describe('bad model folders: an error naming the file, and the engine keeps working', () => {
    const fails = async (dir: string, pattern: RegExp) => {
      const err = await engine.load(dir).then(
        () => null,
        (e: unknown) => e
      )
      expect(err).toBeInstanceOf(AppError)
      expect((err as AppError).message).toMatch(pattern)
      return err as AppError
    }
    it('no such folder; a file instead of a folder', async () => {
      await fails(join(tmp, 'nope'), /nope: no such folder/)
      await fails(join(ONNX_MODELS, 'DR', 'config.json'), /config\.json: not a folder/)
    })
    it('not an ONNX export (no .onnx), a seq2seq export without its decoder', async () => {
      const dir = copyModel('DR', join(tmp, 'no-onnx'))
      unlinkSync(join(dir, 'model.onnx'))
      await fails(dir, /no-onnx: not an ONNX export: no model\.onnx .*holds no \.onnx file/)
      writeFileSync(join(dir, 'encoder_model.onnx'), readFileSync(join(ONNX_MODELS, 'DR', 'model.onnx')))
      await fails(dir, /encoder_model\.onnx is there but no decoder_model\.onnx/)
    })
    it('a corrupt model.onnx, a broken config.json, no tokenizer', async () => {
      const dir = copyModel('DR', join(tmp, 'corrupt'))
      writeFileSync(join(dir, 'model.onnx'), 'not a protobuf')
      await fails(dir, /corrupt\/model\.onnx: ONNX Runtime cannot load this graph/)
      const dir2 = copyModel('DR', join(tmp, 'badconfig'))
      writeFileSync(join(dir2, 'config.json'), '{"model_type": "bert",')
      await fails(dir2, /badconfig\/config\.json: not valid JSON/)
      const dir3 = copyModel('DR', join(tmp, 'notok'))
      unlinkSync(join(dir3, 'tokenizer.json'))
      unlinkSync(join(dir3, 'vocab.txt'))
      await fails(dir3, /notok: no tokenizer\.json/)
    })
    it('a tokenizer of another model: more token ids than the config has embedding rows, or than the graph has', async () => {
      const dir = copyModel('DR', join(tmp, 'bigvocab'))
      const tj = JSON.parse(readFileSync(join(dir, 'tokenizer.json'), 'utf8'))
      const n = Math.max(...(Object.values(tj.model.vocab) as number[])) + 1
      for (let i = 0; i < 50; i++) tj.model.vocab[`extra${i}`] = n + i
      writeFileSync(join(dir, 'tokenizer.json'), JSON.stringify(tj))
      await fails(dir, new RegExp(`bigvocab/tokenizer\\.json does not match the model: its token ids go up to ${n + 49} but .*config\\.json gives vocab_size ${n}`))
      // A config that claims the larger vocabulary: the probe through model.onnx finds it.
      const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'))
      writeFileSync(join(dir, 'config.json'), JSON.stringify({ ...config, vocab_size: n + 50 }))
      await fails(dir, /bigvocab\/tokenizer\.json does not match .*model\.onnx: the tokenizer's largest token id \d+ does not fit the model's embedding/)
      // Still working afterwards.
      const r = await engine.classify(loaded.DR.id, ['still here'], { maxLength: 512, batchSize: 1 })
      expect(r.logits.length).toBe(2)
    })
  })
})
