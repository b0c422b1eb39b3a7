import { beforeAll, describe, expect, it } from 'vitest'
import { join } from 'node:path'
import { testServices } from '../support/services'
import { tempDir } from '../support/tmp'
import { writeTinyGguf } from '../support/tiny-gguf'
import { writeManyItems } from '../inference/helpers'
import { runCreateSchema, type ModelInfo } from '../../src/shared/api/inference'

// Defect 9: two identical greedy runs at the default parallel 4 agreed on 93 of 200 texts
// (llama.cpp's batched kernels round differently with the batch's make-up). Benchmark runs are now
// deterministic by default (one sequence at a time), and the mode is in the run's provenance.

const dir = tempDir('imhi-det-')
const s = testServices()
const greedy = { temperature: 0, topP: 1, topK: 0, seed: 0, maxTokens: 16, truncation: 'middle' as const }
let model: ModelInfo

beforeAll(async () => {
  await s.imhi.importPath(writeManyItems(dir, 6))
  model = await s.inference.addModel({ path: writeTinyGguf(join(dir, 'tiny.gguf')) })
})

describe('deterministic benchmark runs', () => {
  it('a run created with the defaults of the API contract decodes one sequence at a time and says so in its provenance', async () => {
    // What the API and the UI send when the user leaves parallel alone: the contract's defaults.
    const input = runCreateSchema.parse({ modelId: model.id, datasets: ['DR'], split: 'test_instruction', params: greedy })
    const run = s.inference.createRun(input, { start: false })
    expect(run.params.parallel).toBe(1)
    expect(run.params.deterministic).toBe(true)
  })

  it('two default runs give the same text for every item; a batched run records deterministic: false', async () => {
    const texts = async () => {
      const r = s.inference.createRun({ modelId: model.id, datasets: ['DR'], split: 'test_instruction', parallel: 1, format: 'raw', params: greedy }, { start: false })
      await s.inference.runToEnd(r.id)
      return (s.db.prepare('SELECT item_id, text FROM explanations WHERE run_id = ? ORDER BY item_id').all(r.id) as { item_id: number; text: string }[]).map((x) => x.text)
    }
    const a = await texts()
    const b = await texts()
    expect(a).toHaveLength(6)
    expect(b).toEqual(a)
    const batched = s.inference.createRun({ modelId: model.id, datasets: ['DR'], split: 'test_instruction', parallel: 3, format: 'raw', params: greedy }, { start: false })
    expect(batched.params).toMatchObject({ parallel: 3, deterministic: false })
    expect(() => s.inference.createRun({ modelId: model.id, datasets: ['DR'], split: 'test_instruction', parallel: 3, deterministic: true, format: 'raw', params: greedy }, { start: false })).toThrow(
      /A deterministic run decodes one sequence at a time/
    )
    const det = s.inference.createRun({ modelId: model.id, datasets: ['DR'], split: 'test_instruction', parallel: 1, format: 'raw', params: greedy }, { start: false })
    expect(() => s.inference.resumeRun(det.id, 4)).toThrow(/is deterministic .* Resume it with parallel 1/)
  }, 120_000)
})
