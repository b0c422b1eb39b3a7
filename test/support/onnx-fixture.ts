import { cpSync, readFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

/** test/fixtures/onnx: tiny random-weight classifiers and torch's outputs on them (scripts/fixtures/make_onnx_fixtures.py). */
export const ONNX_FIXTURES = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'onnx')
export const ONNX_MODELS = join(ONNX_FIXTURES, 'models')
export const ONNX_OUTPUTS = join(ONNX_FIXTURES, 'outputs')

export type FixtureText = string | { repeat: string; length: number }

export interface MetricsResult {
  printed?: string
  accuracy?: number | null
  weighted_f1?: number | null
  micro_f1?: number | null
  macro_f1?: number | null
  error?: string
  message?: string
}

export interface OnnxReference {
  texts: FixtureText[]
  tokenizer: { max_length: number; ids: number[][]; full_lengths: number[] }
  models: Record<string, { labels: string[]; runs: { batch_size: number; logits: number[][]; labels: string[] }[] }>
  outputs: Record<string, { logits: number[][]; labels: string[]; calculate: MetricsResult }>
  metrics: { case: string; dataset: string; file?: string; goldens?: string[]; labels?: string[]; result: MetricsResult }[]
}

export function onnxReference(): OnnxReference {
  return JSON.parse(readFileSync(join(ONNX_FIXTURES, 'reference.json'), 'utf8')) as OnnxReference
}

/** The generator's recipe texts as strings (the 100,000-character explanation is a repeated sentence). */
export function materialize(t: FixtureText): string {
  if (typeof t === 'string') return t
  return t.repeat.repeat(Math.floor(t.length / t.repeat.length) + 1).slice(0, t.length)
}

/** A writable copy of a fixture model folder, to break on purpose. */
export function copyModel(name: string, to: string): string {
  cpSync(join(ONNX_MODELS, name), to, { recursive: true })
  return to
}
