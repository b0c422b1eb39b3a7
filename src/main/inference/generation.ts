import { randomUUID } from 'node:crypto'
import { AppError } from '../../shared/api/errors'
import { generationParamsSchema, type ExplanationInfo, type GenerationParamsInput, type PromptFormat, type Provenance } from '../../shared/api/inference'
import type { EngineSession } from './engines/types'
import { completeTwinOf, promptFor, type InferenceItems } from './prompt'
import type { LocalRuntime } from './runtime'
import type { ExplanationRow, InferenceStore } from './store'

export function toExplanation(r: ExplanationRow): ExplanationInfo {
  return {
    id: r.id,
    itemId: r.item_id,
    runId: r.run_id,
    modelId: r.model_id,
    modelFile: r.model_file,
    text: r.text,
    promptFormat: r.prompt_format,
    provenance: JSON.parse(r.provenance) as Provenance,
    createdAt: r.created_at
  }
}

/**
 * Single-post generation (the Browse page's "explain" and `imhi generate`): one explanation for
 * one item, streamed, stored with its provenance; and the explanations stored for an item.
 */
export function createGeneration(deps: { store: InferenceStore; items: InferenceItems; runtime: LocalRuntime }) {
  const { store: q, items, runtime } = deps
  const generations = new Map<string, { jobId: string; session: EngineSession }>() // by requestId

  /** One explanation for one item, streamed to `onText`, stored with its provenance (also when stopped). */
  async function generate(
    input: { requestId: string; itemId: number; modelId?: number; adapterId?: number; engineId?: number; format: PromptFormat; params: GenerationParamsInput },
    onText?: (text: string, tokens: number) => void
  ): Promise<ExplanationInfo> {
    const params = generationParamsSchema.parse(input.params ?? {})
    const item = items.itemsByIds([input.itemId])[0]
    if (!item) throw new AppError('not_found', `Item ${input.itemId} does not exist.`, { field: 'itemId' })
    const session = runtime.sessionFor(input)
    if (generations.has(input.requestId)) throw new AppError('conflict', `Request ${input.requestId} is already generating.`)
    const prompt = promptFor(item, input.format, completeTwinOf(items))
    await session.prepare()
    const jobId = randomUUID()
    generations.set(input.requestId, { jobId, session })
    try {
      const stats = await session.generate(jobId, prompt, params, onText)
      const id = Number(
        q.insertExplanation.run({
          itemId: item.id,
          runId: null,
          modelId: session.modelId,
          modelFile: session.modelFile,
          text: stats.text,
          format: input.format,
          params: JSON.stringify(params),
          provenance: JSON.stringify(session.provenance(stats, input.format, params))
        }).lastInsertRowid
      )
      return toExplanation(q.explanation.get(id)!)
    } finally {
      generations.delete(input.requestId)
    }
  }

  async function stop(requestId: string): Promise<{ stopped: boolean }> {
    const g = generations.get(requestId)
    if (!g) return { stopped: false }
    return { stopped: await g.session.abort(g.jobId) }
  }

  function explanations(itemId: number): ExplanationInfo[] {
    return q.explanationsOf.all(itemId).map(toExplanation)
  }

  function deleteExplanation(id: number): { removed: number } {
    const r = q.explanation.get(id)
    if (!r) throw new AppError('not_found', `Explanation ${id} does not exist.`, { field: 'id' })
    if (r.run_id !== null) throw new AppError('conflict', `Explanation ${id} belongs to run ${r.run_id}; runs keep every item (delete is for single-post explanations).`)
    return { removed: q.deleteExplanation.run(id).changes }
  }

  return { generate, stop, explanations, deleteExplanation }
}
