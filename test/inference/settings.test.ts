import { beforeAll, describe, expect, it } from 'vitest'
import { join } from 'node:path'
import { testServices } from '../support/services'
import { createServices } from '../../src/main/services'
import { openDatabase } from '../../src/main/db/open'
import { tempDir } from '../support/tmp'
import { writeTinyGguf } from '../support/tiny-gguf'
import { SHARED_TINY_MODEL, hasSharedModel, sharedSkipReason } from '../support/shared'
import { writeManyItems } from './helpers'
import { estimateFit, type Requirement } from '../../src/main/inference/settings/fit'
import { applyModelSettings } from '../../src/main/inference/settings/apply'
import { modelSettingsSchema } from '../../src/shared/api/modelSettings'
import { contract } from '../../src/shared/api/contract'
import type { ModelInfo } from '../../src/shared/api/inference'

const MiB = 2 ** 20
const GiB = 2 ** 30

describe('fit estimate (pure): what fits and what to try instead', () => {
  // A 32-layer model: 200 MiB per layer (offloaded to VRAM or kept in RAM), 1 MiB of context per
  // 1,024 tokens... hand-sized so each answer can be worked out on paper.
  const need: Requirement = (gl, ctx) => ({
    ram: (32 - gl) * 200 * MiB + 300 * MiB + (gl === 0 ? ctx * 100 * 1024 : 0),
    vram: gl * 200 * MiB + (gl > 0 ? ctx * 100 * 1024 : 0)
  })
  const base = { name: 'm.gguf', totalLayers: 32, gpu: true, need }

  it('fits: says so with the sizes', () => {
    const f = estimateFit({ ...base, gpuLayers: 10, contextSize: 2048, ramAvailableBytes: 16 * GiB, vramFreeBytes: 8 * GiB })
    expect(f.fits).toBe(true)
    expect(f.alternatives).toEqual([])
    // RAM: 22 x 200 + 300 = 4,700 MiB = 4.6 GiB; VRAM: 2,000 MiB + 200 MiB of context = 2.1 GiB
    expect(f.message).toBe('m.gguf with 10 of 32 layers on the GPU and a 2048-token context needs about 4.6 GiB of RAM and 2.1 GiB of VRAM; 16.0 GiB RAM and 8.0 GiB VRAM free: it fits.')
  })

  it('VRAM short: the most GPU layers that fit, a smaller context, the CPU', () => {
    // All 32 layers: 6,400 MiB + 200 MiB context > 6 GiB free.
    const f = estimateFit({ ...base, gpuLayers: 32, contextSize: 2048, ramAvailableBytes: 16 * GiB, vramFreeBytes: 6 * GiB })
    expect(f.fits).toBe(false)
    // 29 layers: 5,800 + 200 = 6,000 MiB <= 6,144 MiB; 30 layers: 6,200 > 6,144.
    expect(f.alternatives[0]).toEqual({ gpuLayers: 29, contextSize: 2048, label: '29 GPU layers' })
    // No power-of-two context brings 32 layers (6,400 MiB of weights alone) under 6 GiB.
    expect(f.alternatives.map((a) => a.label)).toEqual(['29 GPU layers', '0 GPU layers (CPU only)'])
    expect(f.message).toMatch(/needs about 300\.0 MiB of RAM and 6\.4 GiB of VRAM, 16\.0 GiB RAM and 6\.0 GiB VRAM free: try 29 GPU layers or 0 GPU layers \(CPU only\)\.$/)
  })

  it('a context too large for the RAM: the largest power-of-two context that fits', () => {
    const f = estimateFit({ ...base, gpu: false, gpuLayers: 0, contextSize: 65536, ramAvailableBytes: 8 * GiB, vramFreeBytes: 0 })
    // 6,700 MiB of weights + 65,536 x 100 KiB = 6,400 MiB: 12.8 GiB > 8 GiB. At 8,192: 800 MiB: 7.3 GiB fits; 16,384 (1.6 GiB): 8.1 GiB does not.
    expect(f.fits).toBe(false)
    expect(f.alternatives).toEqual([{ gpuLayers: 0, contextSize: 8192, label: 'context 8192' }])
    expect(f.message).toBe('m.gguf with 0 of 32 layers on the GPU and a 65536-token context needs about 12.8 GiB, 8.0 GiB available: try context 8192.')
  })

  it('nothing fits: says what would help instead of a setting', () => {
    const f = estimateFit({ ...base, gpu: false, gpuLayers: 0, contextSize: 2048, ramAvailableBytes: 1 * GiB, vramFreeBytes: 0 })
    expect(f.fits).toBe(false)
    expect(f.alternatives).toEqual([])
    expect(f.message).toMatch(/no smaller setting fits either; choose a smaller quantization/)
  })

  it('the CPU backend never offloads, whatever the layers asked', () => {
    const f = estimateFit({ ...base, gpu: false, gpuLayers: 20, contextSize: 1024, ramAvailableBytes: 16 * GiB, vramFreeBytes: 0 })
    expect(f.gpuLayers).toBe(0)
    expect(f.vramBytes).toBe(0)
  })
})

describe('settings validation and application (pure)', () => {
  it('the contract validates every field, naming it', () => {
    const input = contract['inference.settings.set'].input
    expect(input.safeParse({ modelId: 1, settings: {} }).success).toBe(true)
    for (const [settings, field] of [
      [{ backend: 'opencl' }, 'backend'],
      [{ gpuLayers: -1 }, 'gpuLayers'],
      [{ gpuLayers: 'max' }, 'gpuLayers'],
      [{ threads: 0 }, 'threads'],
      [{ contextSize: 10 }, 'contextSize'],
      [{ batchSize: 1.5 }, 'batchSize'],
      [{ flashAttention: true }, '']
    ] as const) {
      const r = input.safeParse({ modelId: 1, settings })
      expect(r.success, JSON.stringify(settings)).toBe(false)
      if (field) expect(r.error!.issues[0].path).toEqual(['settings', field])
    }
  })

  it('saved settings apply to a load; an explicit GPU-layer count for this load wins; none saved = the host defaults', () => {
    const ref = { path: '/m.gguf', adapterPath: null, gpuLayers: 'auto' as const }
    const saved = modelSettingsSchema.parse({ backend: 'cpu', gpuLayers: 12, threads: 3, contextSize: 1024, batchSize: 128 })
    expect(applyModelSettings(ref, null)).toEqual(ref)
    expect(applyModelSettings(ref, saved)).toEqual({ ...ref, backend: 'cpu', gpuLayers: 12, threads: 3, contextSize: 1024, batchSize: 128 })
    expect(applyModelSettings({ ...ref, gpuLayers: 0 }, saved).gpuLayers).toBe(0)
  })
})

describe('per-model settings on the real llama.cpp (tiny GGUF written by the project)', () => {
  const dir = tempDir('imhi-settings-')
  const s = testServices()
  const TINY = writeTinyGguf(join(dir, 'imhi-tiny.gguf'))
  const greedy = { temperature: 0, topP: 1, topK: 0, seed: 0, maxTokens: 8, truncation: 'middle' as const }
  let model: ModelInfo
  let item: number

  beforeAll(async () => {
    await s.imhi.importPath(writeManyItems(dir, 3))
    item = (s.db.prepare("SELECT id FROM items WHERE split = 'test_instruction' ORDER BY source_row LIMIT 1").get() as { id: number }).id
    model = await s.inference.addModel({ path: TINY })
  })

  it('a model without saved settings shows the defaults, the backends of this machine and the host defaults', async () => {
    const v = await s.inference.settings.view(model.id)
    expect(v.updatedAt).toBeNull()
    expect(v.settings).toEqual({ backend: 'auto', gpuLayers: 'auto', threads: null, contextSize: null, batchSize: null })
    expect(v.backends[0].value).toBe('auto')
    expect(v.backends.at(-1)).toMatchObject({ value: 'cpu', available: true })
    expect(v.hostDefaults.threads).toBeGreaterThanOrEqual(1)
  })

  it('saves, keeps across a new service on the same file, applies at the next generation, and resets', async () => {
    const saved = await s.inference.settings.set(model.id, modelSettingsSchema.parse({ backend: 'cpu', threads: 1, contextSize: 256, batchSize: 64 }))
    expect(saved.updatedAt).not.toBeNull()
    expect(saved.settings).toEqual({ backend: 'cpu', gpuLayers: 'auto', threads: 1, contextSize: 256, batchSize: 64 })
    const row = s.db.prepare('SELECT backend, gpu_layers, threads, context_size, batch_size FROM model_settings WHERE model_id = ?').get(model.id)
    expect(row).toEqual({ backend: 'cpu', gpu_layers: null, threads: 1, context_size: 256, batch_size: 64 })
    // Another process on the same database file (the CLI, serve) sees them.
    const again = createServices({ db: openDatabase(s.platform.dbFile), dataDir: s.dataDir, platform: s.platform })
    try {
      expect((await again.inference.settings.view(model.id)).settings).toEqual(saved.settings)
    } finally {
      await again.close()
    }

    const e = await s.inference.generate({ requestId: 'g1', itemId: item, modelId: model.id, format: 'raw', params: greedy })
    expect(e.provenance.contextSize).toBe(256)
    expect(e.provenance.backend).toBe('cpu')
    // What llama.cpp ran it with, as the settings asked (recorded in the provenance).
    expect(e.provenance.load).toEqual({ gpuLayers: 0, threads: 1, batchSize: 64 })
    expect(s.inference.status().context.contextSize).toBe(256)
    // A request's own context size wins over the model's.
    const e2 = await s.inference.generate({ requestId: 'g2', itemId: item, modelId: model.id, format: 'raw', params: { ...greedy, contextSize: 384 } })
    expect(e2.provenance.contextSize).toBe(384)
    // A run uses them too.
    const run = await s.inference.runToEnd(s.inference.createRun({ modelId: model.id, datasets: ['DR'], split: 'test_instruction', limit: 1, parallel: 1, format: 'raw', params: greedy }, { start: false }).id)
    expect(run.status).toBe('completed')
    const runRow = s.inference.explanations(item).find((x) => x.runId === run.id)!
    expect(runRow.provenance.contextSize).toBe(256)

    await s.inference.settings.set(model.id, modelSettingsSchema.parse({ contextSize: 512 }))
    const e3 = await s.inference.generate({ requestId: 'g3', itemId: item, modelId: model.id, format: 'raw', params: greedy })
    expect(e3.provenance.contextSize).toBe(512)
    // Unset threads and batch: the host default threads, llama.cpp's default batch min(context, 512).
    expect(e3.provenance.load).toEqual({ gpuLayers: 0, threads: (await s.inference.settings.view(model.id)).hostDefaults.threads, batchSize: 512 })
    // Greedy text does not depend on the context size when nothing is truncated.
    expect(e3.text).toBe(e.text)

    const reset = await s.inference.settings.reset(model.id)
    expect(reset.updatedAt).toBeNull()
    expect(s.db.prepare('SELECT COUNT(*) AS n FROM model_settings').get()).toEqual({ n: 0 })
  })

  it('serve --engine: the local engine session of a model loads it with its settings', async () => {
    await s.inference.settings.set(model.id, modelSettingsSchema.parse({ backend: 'cpu', contextSize: 320, threads: 1 }))
    try {
      const session = s.inference.localSession(model.id, { lanes: 2 })
      expect(await session.prepare()).toBe('cpu')
      const { generationParamsSchema } = await import('../../src/shared/api/inference')
      const stats = await session.generate('serve-job', { text: 'Hello there', template: 'none' }, generationParamsSchema.parse({ maxTokens: 4 }))
      expect(stats.contextSize).toBe(320)
    } finally {
      await s.inference.settings.reset(model.id)
    }
  })

  it('refuses a batch larger than the context, and a LoRA adapter or unknown model, by field', async () => {
    await expect(s.inference.settings.set(model.id, modelSettingsSchema.parse({ contextSize: 256, batchSize: 512 }))).rejects.toMatchObject({ code: 'invalid_input', details: { field: 'batchSize' } })
    await expect(s.inference.settings.view(9999)).rejects.toMatchObject({ code: 'not_found' })
    const lora = await s.inference.addModel({ path: writeTinyGguf(join(dir, 'lora.gguf'), { lora: { rank: 4, alpha: 8 } }), baseModelId: model.id })
    await expect(s.inference.settings.set(lora.id, modelSettingsSchema.parse({}))).rejects.toThrow(/is a LoRA adapter: its base model's settings apply/)
  })

  it('the settings go with their model when it is removed', async () => {
    const other = await s.inference.addModel({ path: writeTinyGguf(join(dir, 'other.gguf'), { seed: 7 }) })
    await s.inference.settings.set(other.id, modelSettingsSchema.parse({ threads: 2 }))
    await s.inference.removeModel({ id: other.id, deleteFile: false })
    expect(s.db.prepare('SELECT COUNT(*) AS n FROM model_settings WHERE model_id = ?').get(other.id)).toEqual({ n: 0 })
  })

  it('estimates the fit from the GGUF header with llama.cpp numbers', async () => {
    const small = await s.inference.settings.estimate(model.id, modelSettingsSchema.parse({ contextSize: 256 }))
    const big = await s.inference.settings.estimate(model.id, modelSettingsSchema.parse({ contextSize: 65536 }))
    expect(small.fits).toBe(true)
    expect(small.totalLayers).toBe(3) // 2 blocks + the output layer
    expect(small.contextSize).toBe(256)
    expect(big.ramBytes + big.vramBytes).toBeGreaterThan(small.ramBytes + small.vramBytes)
    expect(small.message).toMatch(/imhi-tiny\.gguf with \d of 3 layers on the GPU and a 256-token context needs about [\d.]+ [KMG]i?B.*: it fits\./)
  })

  it('a setting that does not fit: a clear message with a working alternative, and the alternative works', async () => {
    const probe = await s.inference.settings.estimate(model.id, modelSettingsSchema.parse({ backend: 'cpu', contextSize: 1024 }))
    const huge = await s.inference.settings.estimate(model.id, modelSettingsSchema.parse({ backend: 'cpu', contextSize: 131072 }))
    // Allow enough for a 1,024-token context but far less than 131,072 tokens need.
    const limit = Math.round((probe.ramBytes + huge.ramBytes) / 2)
    process.env.IMHI_MEMORY_LIMIT = String(limit)
    try {
      const t = testServices('limited.db')
      await t.imhi.importPath(writeManyItems(tempDir(), 1))
      const m = await t.inference.addModel({ path: TINY })
      const it1 = (t.db.prepare("SELECT id FROM items WHERE split = 'test_instruction' LIMIT 1").get() as { id: number }).id
      await t.inference.settings.set(m.id, modelSettingsSchema.parse({ backend: 'cpu', contextSize: 131072 }))
      const fit = await t.inference.settings.estimate(m.id, (await t.inference.settings.view(m.id)).settings)
      expect(fit.fits).toBe(false)
      expect(fit.alternatives.length).toBeGreaterThan(0)
      const alt = fit.alternatives[0]
      expect(alt.label).toMatch(/^context \d+$/)
      const err = await t.inference.generate({ requestId: 'nofit', itemId: it1, modelId: m.id, format: 'raw', params: greedy }).then(() => new Error('expected a refusal') as Error & { code: string }, (e: unknown) => e as Error & { code: string })
      expect(err).toMatchObject({ code: 'unsupported' })
      expect(err.message).toMatch(new RegExp(`needs about [\\d.]+ [KMG]iB, [\\d.]+ [KMG]iB available: try ${alt.label}`))
      expect(err.message).not.toMatch(/\n\s+at /) // no stack trace in the message
      // The suggested alternative loads and generates.
      await t.inference.settings.set(m.id, modelSettingsSchema.parse({ backend: 'cpu', contextSize: alt.contextSize }))
      const ok = await t.inference.generate({ requestId: 'fits', itemId: it1, modelId: m.id, format: 'raw', params: greedy })
      expect(ok.provenance.contextSize).toBe(alt.contextSize)
    } finally {
      delete process.env.IMHI_MEMORY_LIMIT
    }
  })

  it('a GPU backend this machine cannot run: a clear error naming what works, and the app goes on', async () => {
    const v = await s.inference.settings.view(model.id)
    const missing = (['cuda', 'vulkan', 'metal'] as const).find((k) => !v.backends.some((b) => b.value === k && b.available))
    if (!missing) {
      console.warn('skipped: every GPU backend works on this machine')
      return
    }
    await s.inference.settings.set(model.id, modelSettingsSchema.parse({ backend: missing }))
    const err = await s.inference.generate({ requestId: 'gpu', itemId: item, modelId: model.id, format: 'raw', params: greedy }).then(() => new Error('expected a refusal') as Error & { code: string }, (e: unknown) => e as Error & { code: string })
    expect(err).toMatchObject({ code: 'unsupported' })
    expect(err.message).toMatch(/backend is not available on this machine .*Choose Auto \(\w+\) or CPU in the model's settings\./)
    await s.inference.settings.reset(model.id)
    const ok = await s.inference.generate({ requestId: 'after', itemId: item, modelId: model.id, format: 'raw', params: greedy })
    expect(ok.text.length).toBeGreaterThan(0)
  })
})

describe('the shared tiny model (../shared/models/llama-2-tiny-random.gguf)', () => {
  const skip = sharedSkipReason('model')
  it.skipIf(!hasSharedModel)(`estimates and applies settings on it${skip ? ` (${skip})` : ''}`, async () => {
    const s = testServices('shared.db')
    await s.imhi.importPath(writeManyItems(tempDir(), 1))
    const m = await s.inference.addModel({ path: SHARED_TINY_MODEL })
    const fit = await s.inference.settings.estimate(m.id, modelSettingsSchema.parse({ contextSize: 512, threads: 1 }))
    expect(fit.fits).toBe(true)
    await s.inference.settings.set(m.id, modelSettingsSchema.parse({ contextSize: 512, threads: 1, batchSize: 128 }))
    const item = (s.db.prepare("SELECT id FROM items WHERE split = 'test_instruction' LIMIT 1").get() as { id: number }).id
    const e = await s.inference.generate({ requestId: 'shared', itemId: item, modelId: m.id, format: 'raw', params: { maxTokens: 4 } })
    expect(e.provenance.contextSize).toBe(512)
  })
})

describe('repeat penalty (run option, also for single posts)', () => {
  const dir = tempDir('imhi-repeat-')
  const s = testServices('repeat.db')
  const TINY = writeTinyGguf(join(dir, 'imhi-tiny.gguf'))
  it('changes the greedy text of a model that repeats itself, is recorded, and is repeatable', async () => {
    await s.imhi.importPath(writeManyItems(dir, 1))
    const m = await s.inference.addModel({ path: TINY })
    const item = (s.db.prepare("SELECT id FROM items WHERE split = 'test_instruction' LIMIT 1").get() as { id: number }).id
    const base = { maxTokens: 48 }
    const plain = await s.inference.generate({ requestId: 'r0', itemId: item, modelId: m.id, format: 'raw', params: base })
    const pen1 = await s.inference.generate({ requestId: 'r1', itemId: item, modelId: m.id, format: 'raw', params: { ...base, repeatPenalty: 1.8 } })
    const pen2 = await s.inference.generate({ requestId: 'r2', itemId: item, modelId: m.id, format: 'raw', params: { ...base, repeatPenalty: 1.8 } })
    expect(plain.provenance.params).not.toHaveProperty('repeatPenalty')
    expect(pen1.provenance.params.repeatPenalty).toBe(1.8)
    expect(pen2.text).toBe(pen1.text)
    // The tiny random model loops over a few tokens greedily; the penalty breaks the loop.
    const distinct = (t: string) => new Set(t.split('')).size
    expect(pen1.text).not.toBe(plain.text)
    expect(distinct(pen1.text)).toBeGreaterThanOrEqual(distinct(plain.text))
  })
})

describe('imhi models settings (the CLI)', () => {
  it('shows, changes field by field, estimates and resets a model’s settings; a bad value names its flag', async () => {
    const { spawnSync } = await import('node:child_process')
    const dir = tempDir('imhi-settings-cli-')
    const db = join(dir, 'cli.db')
    const root = join(__dirname, '..', '..')
    const cli = (...args: string[]) => spawnSync(process.execPath, [join(root, 'bin', 'imhi.js'), ...args, '--db', db], { encoding: 'utf8', cwd: root })
    expect(cli('models', 'add', writeTinyGguf(join(dir, 'cli-tiny.gguf'))).status).toBe(0)
    const first = cli('models', 'settings', '1')
    expect(first.status).toBe(0)
    expect(first.stdout).toContain('backend auto, GPU layers auto, threads default, context default, batch default (defaults: nothing saved)')
    const set = cli('models', 'settings', '1', '--backend', 'cpu', '--threads', '1', '--context-size', '1024', '--json')
    expect(set.status).toBe(0)
    const out = JSON.parse(set.stdout) as { settings: Record<string, unknown>; fit: { fits: boolean; contextSize: number } }
    expect(out.settings).toEqual({ backend: 'cpu', gpuLayers: 'auto', threads: 1, contextSize: 1024, batchSize: null })
    expect(out.fit).toMatchObject({ fits: true, contextSize: 1024 })
    // Only the flags given change.
    const batch = cli('models', 'settings', '1', '--batch-size', '128', '--json')
    expect((JSON.parse(batch.stdout) as { settings: Record<string, unknown> }).settings).toEqual({ backend: 'cpu', gpuLayers: 'auto', threads: 1, contextSize: 1024, batchSize: 128 })
    const bad = cli('models', 'settings', '1', '--threads', '0')
    expect(bad.status).toBe(2)
    expect(bad.stderr).toContain('--threads must be default or an integer >= 1, got "0"')
    expect(cli('models', 'settings', '1', '--reset').stdout).toContain('(defaults: nothing saved)')
  }, 60_000)
})
