import { afterAll, describe, expect, it } from 'vitest'
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { OnnxEngine } from '../../src/main/inference/engines/onnx'
import type { GeneratedItem } from '../../src/main/inference/engines/onnx/generate'
import { bannedNgramTokens, processScores } from '../../src/main/inference/engines/onnx/logits'
import { ONNX_FIXTURES } from '../support/onnx-fixture'

// Reference outputs: scripts/fixtures/make_seq2seq_fixtures.py runs transformers' greedy generate
// (scripts/fixtures/seq2seq_generation.py, torch) on the same random weights the committed ONNX
// exports hold, batching the queries as IMHI.py does (padding with the unk token).
interface ModelRef {
  max_length: number
  batch_size: number
  generation: Record<string, unknown>
  input_ids: number[][]
  ids: number[][]
  texts: string[]
  ids_alone: number[][]
}
const ref = JSON.parse(readFileSync(join(ONNX_FIXTURES, 'generation-reference.json'), 'utf8')) as { queries: string[] } & Record<'bart-tiny' | 'bart-gen-tiny' | 't5-tiny', ModelRef> &
  Record<'bart-gen-tiny-beams' | 't5-tiny-beams', Omit<ModelRef, 'input_ids'> & { overrides: Record<string, unknown> }>

/** A row of generate's output up to its first EOS after the start token (transformers pads the rest). */
function untilEos(ids: number[], eos: number): number[] {
  const at = ids.indexOf(eos, 1)
  return at < 0 ? ids : ids.slice(0, at + 1)
}

const CASES = [
  { folder: 'bart-tiny', eos: 2, mode: 'recompute', sessions: ['encoder_model', 'decoder_model'] },
  { folder: 'bart-gen-tiny', eos: 2, mode: 'with-past', sessions: undefined },
  { folder: 'bart-gen-tiny', eos: 2, mode: 'recompute', sessions: ['encoder_model', 'decoder_model'] },
  { folder: 't5-tiny', eos: 1, mode: 'with-past', sessions: undefined },
  { folder: 't5-tiny', eos: 1, mode: 'recompute', sessions: ['encoder_model', 'decoder_model'] }
] as const

describe('seq2seq generation (greedy and beam search) in the ONNX worker, against torch', () => {
  const engine = new OnnxEngine()
  afterAll(() => engine.close())

  for (const c of CASES) {
    const r = ref[c.folder]
    it(`${c.folder} (${c.mode}): ids and text identical to torch's generate, batched as IMHI.py and alone`, async () => {
      const m = await engine.load(join(ONNX_FIXTURES, c.folder), c.sessions ? { sessions: [...c.sessions] } : {})
      const plan = await engine.seq2seqPlan(m.id)
      expect(plan.mode).toBe(c.mode)
      for (const batchSize of [r.batch_size, 1, ref.queries.length]) {
        const got = new Map<number, GeneratedItem>()
        const out = await engine.seq2seqGenerate(m.id, `t-${c.folder}-${c.mode}-${batchSize}`, ref.queries.map((text, key) => ({ key, text })), { batchSize, maxNewTokens: r.max_length - 1 }, (e) => {
          if (e.kind === 'item') got.set(e.result.key, e.result)
        })
        expect(out.aborted).toBe(false)
        expect(got.size).toBe(ref.queries.length)
        ref.queries.forEach((_, i) => {
          const g = got.get(i)!
          expect(g.ids, `query ${i}, batch ${batchSize}`).toEqual(untilEos(r.ids[i], c.eos))
          expect(g.ids).toEqual(untilEos(r.ids_alone[i], c.eos))
          expect(g.text, `query ${i}`).toBe(r.texts[i])
          expect(g.promptTokens).toBe(r.input_ids[i].length)
          expect(g.finish).toBe(g.ids[g.ids.length - 1] === c.eos && g.ids.length > 1 ? 'eog' : 'maxTokens')
          expect(g.generatedTokens).toBe(g.ids.length - 1)
        })
      }
      await engine.unload(m.id)
    })
  }

  const BEAMS = [
    { folder: 'bart-gen-tiny', refName: 'bart-gen-tiny-beams', eos: 2, sessions: undefined },
    { folder: 'bart-gen-tiny', refName: 'bart-gen-tiny-beams', eos: 2, sessions: ['encoder_model', 'decoder_model'] },
    { folder: 't5-tiny', refName: 't5-tiny-beams', eos: 1, sessions: undefined }
  ] as const
  for (const c of BEAMS) {
    const r = ref[c.refName]
    it(`${c.folder} with num_beams ${r.overrides.num_beams} in its generation config (${c.sessions ? 'recompute' : 'with-past'}): transformers' beam search, identical ids and text`, async () => {
      const tmp = mkdtempSync(join(tmpdir(), 'imhi-s2s-beams-'))
      try {
        const dir = join(tmp, c.folder)
        cpSync(join(ONNX_FIXTURES, c.folder), dir, { recursive: true })
        const genFile = join(dir, 'generation_config.json')
        const gen = existsSync(genFile) ? JSON.parse(readFileSync(genFile, 'utf8')) : JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'))
        writeFileSync(genFile, JSON.stringify({ ...gen, ...r.overrides }))
        const m = await engine.load(dir, c.sessions ? { sessions: [...c.sessions] } : {})
        const plan = await engine.seq2seqPlan(m.id)
        expect(plan).toMatchObject({ numBeams: r.overrides.num_beams, earlyStopping: r.overrides.early_stopping, lengthPenalty: r.overrides.length_penalty ?? 1 })
        for (const batchSize of [r.batch_size, 1]) {
          const got = new Map<number, GeneratedItem>()
          await engine.seq2seqGenerate(m.id, `beams-${c.folder}-${batchSize}`, ref.queries.map((text, key) => ({ key, text })), { batchSize, maxNewTokens: r.max_length - 1 }, (e) => {
            if (e.kind === 'item') got.set(e.result.key, e.result)
          })
          ref.queries.forEach((_, i) => {
            expect(got.get(i)!.ids, `query ${i}, batch ${batchSize}`).toEqual(r.ids[i])
            expect(got.get(i)!.ids).toEqual(r.ids_alone[i])
            expect(got.get(i)!.text).toBe(r.texts[i])
          })
        }
        await engine.unload(m.id)
      } finally {
        rmSync(tmp, { recursive: true, force: true })
      }
    })
  }

  it('beam search differs from greedy on these weights (the beam fixtures are not greedy in disguise)', () => {
    expect(ref['bart-gen-tiny-beams'].ids).not.toEqual(ref['bart-gen-tiny'].ids.map((ids) => untilEos(ids, 2)))
    expect(ref['t5-tiny-beams'].ids).not.toEqual(ref['t5-tiny'].ids.map((ids) => untilEos(ids, 1)))
    expect(ref['bart-gen-tiny-beams'].ids.some((ids) => ids.length < ref['bart-gen-tiny-beams'].max_length)).toBe(true)
  })

  it('the fixtures exercise what they claim: early EOS, rows running to max_length, forced BOS/EOS, min_length', () => {
    const gen = ref['bart-gen-tiny']
    expect(gen.generation).toMatchObject({ forced_bos_token_id: 0, forced_eos_token_id: 2, min_length: 5, no_repeat_ngram_size: 3 })
    const ends = gen.ids.map((ids) => ids.indexOf(2, 1))
    expect(ends.some((e) => e > 0 && e < gen.max_length - 1)).toBe(true) // natural EOS
    expect(ends.some((e) => e === gen.max_length - 1)).toBe(true) // forced EOS at max_length - 1
    expect(gen.ids.every((ids) => ids[1] === 0)).toBe(true) // forced BOS
    const t5 = ref['t5-tiny']
    expect(t5.ids.every((ids) => ids[0] === 0)).toBe(true) // T5 starts from pad
    expect(t5.ids.some((ids) => !ids.includes(1))).toBe(true) // a row that never ends
    expect(t5.ids.some((ids) => ids.indexOf(1) > 0 && ids.indexOf(1) < 6)).toBe(true)
  })

  it('streams each row\'s text as it grows and stops between steps when aborted', async () => {
    const m = await engine.load(join(ONNX_FIXTURES, 't5-tiny'))
    const pieces = new Map<number, string>()
    const done = new Map<number, GeneratedItem>()
    await engine.seq2seqGenerate(m.id, 'stream', ref.queries.map((text, key) => ({ key, text })), { batchSize: 5, maxNewTokens: ref['t5-tiny'].max_length - 1, stream: true }, (e) => {
      if (e.kind === 'text') pieces.set(e.key, (pieces.get(e.key) ?? '') + e.text)
      if (e.kind === 'item') done.set(e.result.key, e.result)
    })
    for (const [k, g] of done) if (g.text !== '') expect(g.text.startsWith(pieces.get(k) ?? '')).toBe(true)
    // abort: the long row (it never emits EOS) is stopped and reported as stopped
    const longest = ref['t5-tiny'].ids.findIndex((ids) => !ids.includes(1))
    let stoppedAt: GeneratedItem | null = null
    const job = engine.seq2seqGenerate(m.id, 'abort-me', [{ key: 7, text: ref.queries[longest] }], { batchSize: 1, maxNewTokens: 5000, reportStopped: true }, (e) => {
      if (e.kind === 'tokens' && e.total === 3) void engine.abortJob('abort-me')
      if (e.kind === 'item') stoppedAt = e.result
    })
    expect((await job).aborted).toBe(true)
    expect(stoppedAt!.finish).toBe('stopped')
    expect(stoppedAt!.generatedTokens).toBeGreaterThanOrEqual(3)
    expect(stoppedAt!.generatedTokens).toBeLessThan(100)
    expect((await engine.abortJob('abort-me')).aborted).toBe(false)
    await engine.unload(m.id)
  })

  it('cuts the input at the learned positions (BART), keeps T5 inputs whole, and caps the decoder at its positions', async () => {
    const tmp = mkdtempSync(join(tmpdir(), 'imhi-s2s-'))
    try {
      const dir = join(tmp, 'bart-short')
      cpSync(join(ONNX_FIXTURES, 'bart-gen-tiny'), dir, { recursive: true })
      const cfg = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'))
      writeFileSync(join(dir, 'config.json'), JSON.stringify({ ...cfg, max_position_embeddings: 12 }))
      const m = await engine.load(dir)
      const got: GeneratedItem[] = []
      await engine.seq2seqGenerate(m.id, 'cut', [{ key: 1, text: ref.queries[0] }], { batchSize: 1, maxNewTokens: 100 }, (e) => e.kind === 'item' && got.push(e.result))
      expect(got[0].promptTokens).toBe(12)
      expect(got[0].promptTokensFull).toBe(ref['bart-gen-tiny'].input_ids[0].length)
      expect(got[0].maxLength).toBe(12)
      expect(got[0].ids.length).toBeLessThanOrEqual(12)
      const t5 = await engine.load(join(ONNX_FIXTURES, 't5-tiny'))
      const long = ref.queries[0].repeat(30)
      const t5got: GeneratedItem[] = []
      await engine.seq2seqGenerate(t5.id, 'long', [{ key: 1, text: long }], { batchSize: 1, maxNewTokens: 4 }, (e) => e.kind === 'item' && t5got.push(e.result))
      expect(t5got[0].promptTokens).toBe(t5got[0].promptTokensFull)
      expect(t5got[0].promptTokens).toBeGreaterThan(512)
    } finally {
      rmSync(tmp, { recursive: true, force: true })
    }
  })

  it('a folder that is not a seq2seq export: a clear error naming what is missing', async () => {
    const tmp = mkdtempSync(join(tmpdir(), 'imhi-s2s-bad-'))
    try {
      const dir = join(tmp, 'half')
      cpSync(join(ONNX_FIXTURES, 't5-tiny'), dir, { recursive: true })
      unlinkSync(join(dir, 'decoder_model.onnx'))
      unlinkSync(join(dir, 'decoder_with_past_model.onnx'))
      await expect(engine.load(dir)).rejects.toThrow(/encoder_model\.onnx is there but no decoder_model\.onnx/)
      const enc = join(ONNX_FIXTURES, 'roberta-tiny-l3')
      const m = await engine.load(enc)
      await expect(engine.seq2seqPlan(m.id)).rejects.toThrow(/encoder_model\.onnx: missing; a seq2seq export holds encoder_model\.onnx and decoder_model\.onnx/)
      const dir2 = join(tmp, 'beams')
      cpSync(join(ONNX_FIXTURES, 'bart-gen-tiny'), dir2, { recursive: true })
      writeFileSync(join(dir2, 'generation_config.json'), JSON.stringify({ decoder_start_token_id: 2, eos_token_id: 2, bad_words_ids: [[5]] }))
      const b = await engine.load(dir2)
      await expect(engine.seq2seqPlan(b.id)).rejects.toThrow(/generation_config\.json: bad_words_ids \[\[5\]\] is not supported/)
    } finally {
      rmSync(tmp, { recursive: true, force: true })
    }
  })
})

describe('logits processors (transformers semantics)', () => {
  it('no_repeat_ngram_size bans the token that would repeat an n-gram', () => {
    expect(bannedNgramTokens([5, 1, 2, 3, 1, 2], 3)).toEqual([3])
    expect(bannedNgramTokens([1, 2], 3)).toEqual([])
    expect(bannedNgramTokens([7, 7, 7], 2)).toEqual([7, 7])
  })
  it('min_length, forced BOS and forced EOS', () => {
    const rules = { eos: [2], minLength: 4, noRepeatNgram: 0, repetitionPenalty: 1, forcedBos: 0, forcedEos: [2] }
    const s = new Float32Array([1, 1, 9, 1])
    processScores(s, [2, 0], rules, 10)
    expect(s[2]).toBe(-Infinity)
    const b = new Float32Array([1, 5, 1, 1])
    processScores(b, [2], rules, 10)
    expect(Array.from(b)).toEqual([0, -Infinity, -Infinity, -Infinity])
    const e = new Float32Array([1, 5, 1, 1])
    processScores(e, [2, 0, 1, 1, 3, 3, 3, 3, 3], rules, 10)
    expect(Array.from(e)).toEqual([-Infinity, -Infinity, 0, -Infinity])
    const r = new Float32Array([2, -2, 1, 1])
    processScores(r, [2, 0, 1], { ...rules, forcedBos: null, minLength: 0, repetitionPenalty: 2 }, 10)
    expect(Array.from(r)).toEqual([1, -4, 0.5, 1])
  })
})
