import { z } from 'zod'
import { method } from './define'

// Per-model inference settings: how llama.cpp loads one model from the library (backend, GPU
// layers, threads, context size, batch size). Saved per model; applied whenever that model is
// loaded (runs, single-post generation, LM score, `imhi serve --engine`). What is left unset
// (auto / null) falls back to the host's defaults (IMHI_GPU, IMHI_THREADS, the built-in defaults).

/** llama.cpp compute backends as node-llama-cpp offers them; auto = the best one this machine has. */
export const BACKEND_CHOICES = ['auto', 'cuda', 'vulkan', 'metal', 'cpu'] as const
export type BackendChoice = (typeof BACKEND_CHOICES)[number]

export const gpuLayersSchema = z.union([z.literal('auto'), z.number().int().min(0).max(1000)])

export const modelSettingsSchema = z
  .object({
    backend: z.enum(BACKEND_CHOICES).default('auto'),
    /** Layers offloaded to the GPU: auto = as many as fit (node-llama-cpp's resolution), 0 = CPU only. */
    gpuLayers: gpuLayersSchema.default('auto'),
    /** CPU threads for decoding; null = the host default (IMHI_THREADS, else cores - 1 on the CPU). */
    threads: z.number().int().min(1).max(512).nullable().default(null),
    /**
     * Tokens per sequence; null = the default (max(2048, max tokens + 512), at most the training
     * context). A run's or a request's own context size, when given, wins over this.
     */
    contextSize: z.number().int().min(64).max(131072).nullable().default(null),
    /** Tokens evaluated per decode call (prompt processing); null = llama.cpp's default. */
    batchSize: z.number().int().min(16).max(65536).nullable().default(null)
  })
  .strict()
export type ModelSettings = z.output<typeof modelSettingsSchema>
export type ModelSettingsInput = z.input<typeof modelSettingsSchema>

export interface BackendOption {
  value: BackendChoice
  label: string
  /** Whether this machine is known to run it: auto and CPU always; a GPU kind when llama.cpp found it. */
  available: boolean
  note: string
}

/** What a model would need under some settings, against what this machine has free. */
export interface FitEstimate {
  fits: boolean
  /** Where the weights would live: the GPU layers resolved (auto resolved), of the model's total. */
  gpuLayers: number
  totalLayers: number
  contextSize: number
  /** Estimated bytes needed in RAM and in VRAM (weights + context). */
  ramBytes: number
  vramBytes: number
  /** What the machine has free for it (RAM: free, or the memory limit when set). */
  ramFreeBytes: number
  vramFreeBytes: number
  /** One line for the user: what it needs, what is free, and what to try instead when it does not fit. */
  message: string
  /** Settings that would fit (fewer GPU layers, a smaller context, the CPU), best first. */
  alternatives: { gpuLayers: number; contextSize: number; label: string }[]
}

export interface ModelSettingsView {
  modelId: number
  settings: ModelSettings
  /** null: never saved (the defaults apply). */
  updatedAt: string | null
  backends: BackendOption[]
  /** What the unset fields fall back to on this host. */
  hostDefaults: { backend: string; threads: number; contextSize: string; batchSize: string; gpuLayers: string }
}

const idSchema = z.number().int().positive()

export const modelSettingsMethods = {
  /** The model's saved settings (or the defaults), the backends this machine offers, the host defaults. */
  'inference.settings.get': method<ModelSettingsView>()(z.object({ modelId: idSchema }).strict()),
  /** Saves the model's settings (all fields; unset = host default). Takes effect at the next load of the model. */
  'inference.settings.set': method<ModelSettingsView>()(z.object({ modelId: idSchema, settings: modelSettingsSchema }).strict()),
  /** Forgets the model's settings: the host defaults apply again. */
  'inference.settings.reset': method<ModelSettingsView>()(z.object({ modelId: idSchema }).strict()),
  /** Whether the model fits under these settings (unsaved ones too), and alternatives that would. */
  'inference.settings.estimate': method<FitEstimate>()(z.object({ modelId: idSchema, settings: modelSettingsSchema }).strict())
}
