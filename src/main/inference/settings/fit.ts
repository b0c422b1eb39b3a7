import type { FitEstimate } from '../../../shared/api/modelSettings'

/** Bytes a configuration needs in RAM and in VRAM (weights + context), from llama.cpp's estimates. */
export type Requirement = (gpuLayers: number, contextSize: number) => { ram: number; vram: number }

export interface FitQuestion {
  /** The model's file name, for the message. */
  name: string
  gpuLayers: number
  contextSize: number
  /** llama.cpp's layer count for offloading (the blocks plus the output layer). */
  totalLayers: number
  /** Whether the backend can offload at all (false: the CPU backend; everything is in RAM). */
  gpu: boolean
  ramAvailableBytes: number
  vramFreeBytes: number
  need: Requirement
  /** The smallest context worth suggesting. */
  minContextSize?: number
}

export function formatBytes(n: number): string {
  if (n >= 2 ** 30) return `${(n / 2 ** 30).toFixed(1)} GiB`
  if (n >= 2 ** 20) return `${(n / 2 ** 20).toFixed(1)} MiB`
  return `${Math.max(0, Math.round(n / 2 ** 10))} KiB`
}

function fitsWith(q: FitQuestion, gpuLayers: number, contextSize: number): boolean {
  const n = q.need(gpuLayers, contextSize)
  return n.ram <= q.ramAvailableBytes && (gpuLayers === 0 || n.vram <= q.vramFreeBytes)
}

/**
 * Whether a model fits under the asked GPU layers and context size, and if not, the nearest
 * configurations that do: the most GPU layers that fit at the same context (VRAM short), the
 * largest power-of-two context that fits with the same layers, and the CPU alone. Pure: the
 * caller supplies llama.cpp's estimator as `need`.
 */
export function estimateFit(q: FitQuestion): FitEstimate {
  const gpuLayers = q.gpu ? Math.min(Math.max(0, q.gpuLayers), q.totalLayers) : 0
  const { ram, vram } = q.need(gpuLayers, q.contextSize)
  const fits = fitsWith(q, gpuLayers, q.contextSize)
  const alternatives: FitEstimate['alternatives'] = []
  if (!fits) {
    const minCtx = q.minContextSize ?? 256
    // Fewer (or, when RAM is short and VRAM is not, more) layers at the asked context.
    if (q.gpu) {
      let best: number | null = null
      for (let gl = q.totalLayers; gl >= 0; gl--) {
        if (gl !== gpuLayers && fitsWith(q, gl, q.contextSize)) {
          if (best === null || Math.abs(gl - gpuLayers) < Math.abs(best - gpuLayers)) best = gl
        }
      }
      if (best !== null && best > 0) alternatives.push({ gpuLayers: best, contextSize: q.contextSize, label: `${best} GPU layers` })
    }
    // A smaller context with the same layers.
    for (let ctx = 2 ** Math.floor(Math.log2(q.contextSize - 1)); ctx >= minCtx; ctx /= 2) {
      if (fitsWith(q, gpuLayers, ctx)) {
        alternatives.push({ gpuLayers, contextSize: ctx, label: `context ${ctx}` })
        break
      }
    }
    // The CPU alone (weights memory-mapped from the file).
    if (q.gpu && gpuLayers > 0 && fitsWith(q, 0, q.contextSize) && !alternatives.some((a) => a.gpuLayers === 0)) {
      alternatives.push({ gpuLayers: 0, contextSize: q.contextSize, label: '0 GPU layers (CPU only)' })
    }
  }
  const needs = q.gpu && gpuLayers > 0 ? `${formatBytes(ram)} of RAM and ${formatBytes(vram)} of VRAM` : formatBytes(ram + vram)
  const has = q.gpu && gpuLayers > 0 ? `${formatBytes(q.ramAvailableBytes)} RAM and ${formatBytes(q.vramFreeBytes)} VRAM free` : `${formatBytes(q.ramAvailableBytes)} available`
  const config = `${q.name} with ${gpuLayers} of ${q.totalLayers} layers on the GPU and a ${q.contextSize}-token context`
  const message = fits
    ? `${config} needs about ${needs}; ${has}: it fits.`
    : `${config} needs about ${needs}, ${has}: ${
        alternatives.length > 0 ? `try ${alternatives.map((a) => a.label).join(' or ')}.` : 'no smaller setting fits either; choose a smaller quantization of the model or a machine with more memory.'
      }`
  return {
    fits,
    gpuLayers,
    totalLayers: q.totalLayers,
    contextSize: q.contextSize,
    ramBytes: ram,
    vramBytes: vram,
    ramFreeBytes: q.ramAvailableBytes,
    vramFreeBytes: q.vramFreeBytes,
    message,
    alternatives
  }
}
