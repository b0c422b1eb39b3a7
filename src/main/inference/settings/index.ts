import { AppError } from '../../../shared/api/errors'
import { modelSettingsSchema, type BackendOption, type FitEstimate, type ModelSettings, type ModelSettingsView } from '../../../shared/api/modelSettings'
import type { BackendInfo } from '../../../shared/api/inference'
import type { Db } from '../../db/open'
import type { InferenceWorker } from '../client'
import type { ModelLibrary } from '../library'
import type { ModelRef } from '../worker/protocol'
import { applyModelSettings } from './apply'
import { createModelSettingsStore } from './store'

const LABELS: Record<string, string> = { auto: 'Auto', cuda: 'CUDA', vulkan: 'Vulkan', metal: 'Metal', cpu: 'CPU' }

export interface ModelSettingsDeps {
  db: Db
  library: ModelLibrary
  worker: InferenceWorker
  ensureInit: () => Promise<BackendInfo>
  memoryLimitBytes: number | null
}

/**
 * Per-model inference settings: stored in model_settings, applied to every load of the model
 * (applyTo), checked against this machine's memory (estimate) with alternatives that fit.
 */
export function createModelSettings(deps: ModelSettingsDeps) {
  const store = createModelSettingsStore(deps.db)

  function requireModel(modelId: number) {
    const model = deps.library.get(modelId)
    if (model.kind !== 'model') throw new AppError('invalid_input', `${model.fileName} is a LoRA adapter: its base model's settings apply.`, { field: 'modelId' })
    return model
  }

  function validate(settings: ModelSettings): ModelSettings {
    const s = modelSettingsSchema.parse(settings)
    if (s.batchSize !== null && s.contextSize !== null && s.batchSize > s.contextSize) {
      throw new AppError('invalid_input', `The batch size (${s.batchSize}) cannot exceed the context size (${s.contextSize}).`, { field: 'batchSize' })
    }
    return s
  }

  async function view(modelId: number): Promise<ModelSettingsView> {
    requireModel(modelId)
    const saved = store.get(modelId)
    const backend = await deps.ensureInit()
    const { supported, auto, threads } = await deps.worker.request({ op: 'backends' })
    const backends: BackendOption[] = [
      { value: 'auto', label: `Auto (${LABELS[auto] ?? auto} here)`, available: true, note: backend.reason },
      ...(['cuda', 'vulkan', 'metal'] as const)
        .filter((k) => supported.includes(k))
        .map((k) => ({
          value: k,
          label: LABELS[k],
          available: k === auto,
          note:
            k === auto
              ? `in use: ${backend.deviceNames.join(', ') || 'GPU device'}`
              : `not what this machine picked (${LABELS[auto] ?? auto}); tried when the model loads, refused with the reason if it cannot run here`
        })),
      { value: 'cpu', label: 'CPU', available: true, note: 'always available; the weights are memory-mapped from the file' }
    ]
    return {
      modelId,
      settings: saved?.settings ?? modelSettingsSchema.parse({}),
      updatedAt: saved?.updatedAt ?? null,
      backends,
      hostDefaults: {
        backend: LABELS[auto] ?? auto,
        threads,
        contextSize: '2048, more for long max tokens',
        batchSize: 'min(context size, 512)',
        gpuLayers: auto === 'cpu' ? 'none, no GPU here' : 'as many as fit'
      }
    }
  }

  return {
    store,
    /** A reference to a library model with its saved settings applied. */
    applyTo(modelId: number | null, ref: ModelRef): ModelRef {
      return applyModelSettings(ref, modelId === null ? null : (store.get(modelId)?.settings ?? null))
    },
    view,
    async set(modelId: number, settings: ModelSettings): Promise<ModelSettingsView> {
      requireModel(modelId)
      store.set(modelId, validate(settings))
      return await view(modelId)
    },
    async reset(modelId: number): Promise<ModelSettingsView> {
      requireModel(modelId)
      store.remove(modelId)
      return await view(modelId)
    },
    /** Whether the model fits under these settings (saved or not), from llama.cpp's estimate. */
    async estimate(modelId: number, settings: ModelSettings): Promise<FitEstimate> {
      const model = requireModel(modelId)
      if (model.missing) throw new AppError('not_found', `${model.fileName} is no longer at ${model.path}.`, { field: 'modelId' })
      const s = validate(settings)
      await deps.ensureInit()
      const ref = applyModelSettings({ path: model.path, adapterPath: null, gpuLayers: 'auto' }, s)
      return await deps.worker.request({ op: 'estimate', model: ref, memoryLimitBytes: deps.memoryLimitBytes })
    }
  }
}
export type ModelSettingsModule = ReturnType<typeof createModelSettings>
