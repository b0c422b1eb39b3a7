import type { Db } from '../../db/open'
import { modelSettingsSchema, type ModelSettings } from '../../../shared/api/modelSettings'

interface Row {
  model_id: number
  backend: ModelSettings['backend']
  gpu_layers: number | null
  threads: number | null
  context_size: number | null
  batch_size: number | null
  updated_at: string
}

/** The model_settings table (migration 010): one row per model with saved settings. */
export function createModelSettingsStore(db: Db) {
  const q = {
    get: db.prepare<[number], Row>('SELECT * FROM model_settings WHERE model_id = ?'),
    upsert: db.prepare(
      `INSERT INTO model_settings (model_id, backend, gpu_layers, threads, context_size, batch_size, updated_at)
       VALUES (@modelId, @backend, @gpuLayers, @threads, @contextSize, @batchSize, strftime('%Y-%m-%dT%H:%M:%fZ','now'))
       ON CONFLICT (model_id) DO UPDATE SET backend = excluded.backend, gpu_layers = excluded.gpu_layers, threads = excluded.threads,
         context_size = excluded.context_size, batch_size = excluded.batch_size, updated_at = excluded.updated_at`
    ),
    remove: db.prepare<[number]>('DELETE FROM model_settings WHERE model_id = ?')
  }
  return {
    /** The saved settings, or null when the model has none (the defaults apply). */
    get(modelId: number): { settings: ModelSettings; updatedAt: string } | null {
      const r = q.get.get(modelId)
      if (!r) return null
      return {
        settings: { backend: r.backend, gpuLayers: r.gpu_layers ?? 'auto', threads: r.threads, contextSize: r.context_size, batchSize: r.batch_size },
        updatedAt: r.updated_at
      }
    },
    set(modelId: number, input: ModelSettings): void {
      const s = modelSettingsSchema.parse(input)
      q.upsert.run({
        modelId,
        backend: s.backend,
        gpuLayers: s.gpuLayers === 'auto' ? null : s.gpuLayers,
        threads: s.threads,
        contextSize: s.contextSize,
        batchSize: s.batchSize
      })
    },
    remove(modelId: number): void {
      q.remove.run(modelId)
    }
  }
}
export type ModelSettingsStore = ReturnType<typeof createModelSettingsStore>
