import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { greedyMatching, normalizeRows, type TokenEmbeddings } from '../../src/main/inference/engines/onnx/greedy-matching'
import { shiftTokensRight, targetLogLikelihoods } from '../../src/main/inference/engines/onnx/teacher-forcing'

// Reference: scripts/fixtures/make_seq2seq_fixtures.py ran bert_score's pad_batch_stats +
// greedy_cos_idf (torch) on random 2-dimensional token embeddings, in batches of 3 and of 1.
const ref = JSON.parse(readFileSync(new URL('../fixtures/onnx/greedy-matching-reference.json', import.meta.url), 'utf8')) as {
  batch_size: number
  references: number[][][]
  candidates: number[][][]
  prf: number[][]
  prf_batch_size_1: number[][]
}

function emb(rows: number[][]): TokenEmbeddings {
  const dim = rows[0].length
  const weights = new Float32Array(rows.length).fill(1)
  weights[0] = 0
  weights[rows.length - 1] = 0
  return normalizeRows({ data: Float32Array.from(rows.flat()), tokens: rows.length, dim, weights })
}

describe('BERTScore greedy matching (bert_score greedy_cos_idf)', () => {
  it('equals torch on batches of 3, where padded positions (similarity 0) win the max for some tokens', () => {
    const got = greedyMatching(ref.candidates.map(emb), ref.references.map(emb), ref.batch_size)
    got.forEach((g, k) => {
      expect(g.precision).toBeCloseTo(ref.prf[k][0], 5)
      expect(g.recall).toBeCloseTo(ref.prf[k][1], 5)
      expect(g.f1).toBeCloseTo(ref.prf[k][2], 5)
    })
    // the batching detail matters on this data: some pairs score differently one at a time
    const single = greedyMatching(ref.candidates.map(emb), ref.references.map(emb), 1)
    single.forEach((g, k) => expect(g.f1).toBeCloseTo(ref.prf_batch_size_1[k][2], 5))
    expect(single.some((g, k) => Math.abs(g.f1 - got[k].f1) > 1e-4)).toBe(true)
  })

  it('scores an empty sentence (only its two special tokens) 0', () => {
    const [r] = greedyMatching([emb([[1, 0], [0, 1]])], [emb([[1, 0], [0.5, 0.5], [0, 1]])], 16)
    expect(r).toEqual({ precision: 0, recall: 0, f1: 0 })
  })
})

describe('teacher forcing (BARTScorer)', () => {
  it('shifts the labels right behind decoder_start_token_id', () => {
    const ids = BigInt64Array.from([0n, 5n, 2n, 0n, 2n, 1n])
    expect([...shiftTokensRight(ids, 2, 3, 2, 1)]).toEqual([2n, 0n, 5n, 2n, 0n, 2n])
  })

  it('averages log-softmax of the target over the target length, skipping pad positions', () => {
    // batch 1, length 3, vocab 3, pad id 2; the third position is padding
    const logits = Float32Array.from([0, Math.log(3), -100, 1, 1, -100, 5, -5, 0])
    const [r] = targetLogLikelihoods(logits, BigInt64Array.from([1n, 0n, 2n]), 1, 3, 3, [2], 2)
    expect(r.tokens).toBe(2)
    expect(r.sumLogProb).toBeCloseTo(Math.log(0.75) + Math.log(0.5), 6)
    expect(r.meanLogProb).toBeCloseTo((Math.log(0.75) + Math.log(0.5)) / 2, 6)
  })
})
