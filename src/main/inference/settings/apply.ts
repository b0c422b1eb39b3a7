import type { ModelSettings } from '../../../shared/api/modelSettings'
import type { ModelRef } from '../worker/protocol'

/**
 * A model reference with the model's saved settings applied. The host's defaults (IMHI_GPU,
 * IMHI_THREADS, the built-in context size) apply where a setting is auto/unset; a GPU-layer count
 * given explicitly for this load (a number, not 'auto') wins over the saved one.
 */
export function applyModelSettings(ref: ModelRef, settings: ModelSettings | null): ModelRef {
  if (!settings) return ref
  return {
    ...ref,
    gpuLayers: typeof ref.gpuLayers === 'number' ? ref.gpuLayers : settings.gpuLayers,
    backend: settings.backend,
    threads: settings.threads,
    contextSize: settings.contextSize,
    batchSize: settings.batchSize
  }
}
