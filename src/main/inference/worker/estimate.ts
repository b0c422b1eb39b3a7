import os from 'node:os'
import { basename } from 'node:path'
import { GgufInsights, readGgufFileInfo, type Llama } from 'node-llama-cpp'
import { AppError } from '../../../shared/api/errors'
import type { FitEstimate } from '../../../shared/api/modelSettings'
import { estimateFit } from '../settings/fit'
import type { ModelRef } from './protocol'

/** The context a model gets when neither the request nor its settings name one (as defaultContextSize does for 256 max tokens). */
export function settingsContextSize(ref: ModelRef, trainContextSize: number | undefined): number {
  return ref.contextSize ?? Math.min(trainContextSize || 2048, 2048)
}

/** Whether a model reference carries choices of the user's (then its fit is checked before loading). */
export function hasSettings(ref: ModelRef): boolean {
  return typeof ref.gpuLayers === 'number' || (ref.backend !== undefined && ref.backend !== 'auto') || ref.contextSize != null || ref.batchSize != null
}

/**
 * llama.cpp's memory estimate (node-llama-cpp's GgufInsights, from the GGUF header only) for a
 * model under its settings, against this machine's free VRAM and the RAM it may use: whether it
 * fits, and what would (settings/fit.ts).
 */
export async function estimateModelFit(llama: Llama, ref: ModelRef, memoryLimitBytes: number | null): Promise<FitEstimate> {
  const name = basename(ref.path)
  let insights: GgufInsights
  try {
    const info = await readGgufFileInfo(ref.path, { readTensorInfo: true })
    insights = await GgufInsights.from(info, llama)
  } catch (err) {
    throw new AppError('bad_file', `${name}: cannot read the GGUF header for a memory estimate (${err instanceof Error ? err.message : String(err)}).`, { file: ref.path })
  }
  const gpu = llama.gpu !== false && llama.supportsGpuOffloading
  const contextSize = settingsContextSize(ref, insights.trainContextSize)
  const vram = gpu ? await llama.getVramState() : { total: 0, free: 0 }
  let gpuLayers: number
  if (!gpu) gpuLayers = 0
  else if (typeof ref.gpuLayers === 'number') gpuLayers = ref.gpuLayers
  else {
    // What node-llama-cpp's 'auto' would offload for this context on this machine.
    const resolved = await insights.configurationResolver.resolveAndScoreConfig({ targetContextSize: contextSize }).catch(() => null)
    gpuLayers = resolved?.resolvedValues.gpuLayers ?? 0
  }
  const batchSize = ref.batchSize ?? undefined
  return estimateFit({
    name,
    gpuLayers,
    contextSize,
    totalLayers: insights.totalLayers,
    gpu,
    ramAvailableBytes: memoryLimitBytes ?? os.totalmem(),
    vramFreeBytes: vram.free,
    need: (gl, ctx) => {
      const model = insights.estimateModelResourceRequirements({ gpuLayers: gl })
      const context = insights.estimateContextResourceRequirements({ contextSize: ctx, modelGpuLayers: gl, sequences: 1, ...(batchSize ? { batchSize } : {}) })
      // Nothing offloaded: whatever the estimate puts on the GPU lives in RAM instead.
      if (gl === 0 || !gpu) return { ram: model.cpuRam + model.gpuVram + context.cpuRam + context.gpuVram, vram: 0 }
      return { ram: model.cpuRam + context.cpuRam, vram: model.gpuVram + context.gpuVram }
    }
  })
}
