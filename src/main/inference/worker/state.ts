import os from 'node:os'
import { stat } from 'node:fs/promises'
import { checkRegularFileSync } from '../../files/regular'
import { basename } from 'node:path'
import * as nodeLlamaCpp from 'node-llama-cpp'
import {
  getLlama,
  getLlamaGpuTypes,
  readGgufFileInfo,
  GgufInsights,
  GgufFileType,
  GgmlType,
  LlamaLogLevel,
  type Llama,
  type LlamaModel,
  type LlamaContext,
  type LlamaEmbeddingContext
} from 'node-llama-cpp'
import { AppError } from '../../../shared/api/errors'
import type { BackendInfo, ModelMetadata, StageState } from '../../../shared/api/inference'
import type { FitEstimate } from '../../../shared/api/modelSettings'
import type { ModelRef, WorkerState } from './protocol'
import { estimateModelFit, hasSettings } from './estimate'

/**
 * The one place that owns llama.cpp's native handles in this thread: the backend (llama), the
 * loaded model (with its LoRA adapter) and the context whose sequences generations use. Each
 * stage has an explicit status and error, which the service forwards to the UI as is.
 */
export class NativeState {
  llama: Llama | null = null
  model: LlamaModel | null = null
  modelRef: ModelRef | null = null
  context: LlamaContext | null = null
  contextSpec: { sequences: number; contextSize: number; adapterPath: string | null; threads: number; batchSize: number | null } | null = null
  /** llama.cpp started for a backend other than the host's (a model's settings chose it), by kind. */
  private otherLlamas = new Map<string, Llama>()
  /** Backends that could not start here, with why (asked once: each try loads a native binary). */
  private failedLlamas = new Map<string, AppError>()
  /** The llama the loaded model runs on (the host's, or one from otherLlamas). */
  modelLlama: Llama | null = null
  /** The embedding context of the loaded model (separate from the generation context), and its size. */
  embeddingContext: LlamaEmbeddingContext | null = null
  embeddingContextSize = 0
  /** Sequences handed out and not yet returned (jobs in flight). */
  busySequences = 0
  backend: BackendInfo | null = null
  threads = 1
  stages: { llama: StageState; model: StageState; context: StageState } = {
    llama: { status: 'idle', error: null },
    model: { status: 'idle', error: null },
    context: { status: 'idle', error: null }
  }

  constructor(private readonly onChange: (s: WorkerState) => void, private readonly log: (level: 'info' | 'warn' | 'error', message: string) => void) {}

  snapshot(): WorkerState {
    return {
      backend: this.backend,
      llama: { ...this.stages.llama },
      model: {
        ...this.stages.model,
        path: this.modelRef?.path ?? null,
        adapterPath: this.modelRef?.adapterPath ?? null,
        gpuLayers: this.model?.gpuLayers ?? null
      },
      context: {
        ...this.stages.context,
        sequences: this.contextSpec?.sequences ?? 0,
        contextSize: this.context?.contextSize ?? 0
      }
    }
  }

  private set(stage: keyof NativeState['stages'], status: StageState['status'], error: string | null = null): void {
    this.stages[stage] = { status, error }
    this.onChange(this.snapshot())
  }

  /** Picks the backend: GPU (CUDA, Vulkan, Metal) when one works, else the CPU; says why. */
  async init(opts: { threads: number | null; gpu: 'auto' | false }): Promise<BackendInfo> {
    if (this.llama && this.backend) return this.backend
    this.set('llama', 'loading')
    const common = this.llamaOptions()
    let reason: string
    try {
      if (opts.gpu === false) {
        this.llama = await getLlama({ ...common, gpu: false })
        reason = 'CPU: GPU offload turned off (IMHI_GPU=off)'
      } else {
        try {
          this.llama = await getLlama({ ...common, gpu: 'auto' })
          reason = ''
        } catch (err) {
          this.llama = await getLlama({ ...common, gpu: false })
          reason = `CPU: the GPU backend failed to load (${err instanceof Error ? err.message : String(err)})`
        }
      }
      const llama = this.llama
      const gpu = llama.gpu
      const devices = gpu === false ? [] : await llama.getGpuDeviceNames().catch(() => [] as string[])
      const vram = gpu === false ? { total: 0, free: 0 } : await llama.getVramState()
      if (!reason) {
        reason =
          gpu === false
            ? 'CPU: no CUDA, Vulkan or Metal device found (or no prebuilt binary for it)'
            : `${gpu.toUpperCase()}: ${devices.join(', ') || 'GPU device'} with ${(vram.total / 2 ** 30).toFixed(1)} GiB`
      }
      // On the CPU leave one core to the app (UI, database); llama.cpp spin-waits, and
      // oversubscribed cores make it many times slower, not faster.
      this.threads = opts.threads ?? (gpu === false ? Math.max(1, llama.cpuMathCores - 1) : llama.cpuMathCores)
      this.backend = {
        kind: gpu === false ? 'cpu' : gpu,
        reason,
        deviceNames: devices,
        vramTotalBytes: vram.total,
        vramFreeBytes: vram.free,
        ramTotalBytes: os.totalmem(),
        ramFreeBytes: os.freemem(),
        threads: this.threads
      }
      this.set('llama', 'loaded')
      return this.backend
    } catch (err) {
      const message = `llama.cpp could not start: ${err instanceof Error ? err.message : String(err)}`
      this.set('llama', 'error', message)
      throw new AppError('internal', message)
    }
  }

  private llamaOptions() {
    return {
      build: 'never' as const,
      logLevel: LlamaLogLevel.warn,
      logger: (level: LlamaLogLevel, message: string) => {
        const text = message.trim()
        if (!text) return
        this.log(level === LlamaLogLevel.error || level === LlamaLogLevel.fatal ? 'error' : level === LlamaLogLevel.warn ? 'warn' : 'info', `llama.cpp: ${text}`)
      }
    }
  }

  /**
   * The llama for a model's backend setting: the host's for auto (or when it is that kind), else
   * llama.cpp started for that kind (kept for the next model); a kind this machine cannot run gets
   * a clear error naming what works.
   */
  async llamaFor(choice: ModelRef['backend']): Promise<Llama> {
    const base = this.requireLlama()
    if (!choice || choice === 'auto' || (base.gpu === false ? 'cpu' : base.gpu) === choice) return base
    const cached = this.otherLlamas.get(choice)
    if (cached) return cached
    const failed = this.failedLlamas.get(choice)
    if (failed) throw failed
    try {
      const llama = await getLlama({ ...this.llamaOptions(), gpu: choice === 'cpu' ? false : choice })
      this.otherLlamas.set(choice, llama)
      return llama
    } catch (err) {
      const label = choice === 'cpu' ? 'CPU' : choice === 'cuda' ? 'CUDA' : choice === 'vulkan' ? 'Vulkan' : 'Metal'
      const e = new AppError(
        'unsupported',
        `The ${label} backend is not available on this machine (${err instanceof Error ? err.message.split('\n')[0] : String(err)}). Choose Auto (${this.backend?.kind ?? 'the host default'}) or CPU in the model's settings.`,
        { field: 'backend' }
      )
      this.failedLlamas.set(choice, e)
      throw e
    }
  }

  /** The GPU kinds this platform has llama.cpp binaries for, and what auto picked. */
  async backends(): Promise<{ supported: string[]; auto: string; threads: number }> {
    const llama = this.requireLlama()
    const supported = (await getLlamaGpuTypes('supported')).map((g) => (g === false ? 'cpu' : g))
    return { supported, auto: llama.gpu === false ? 'cpu' : llama.gpu, threads: this.threads }
  }

  /** Whether a model fits under its settings, from llama.cpp's estimates (no weights loaded). */
  async estimate(ref: ModelRef, memoryLimitBytes: number | null): Promise<FitEstimate> {
    const llama = await this.llamaFor(ref.backend)
    return await estimateModelFit(llama, ref, memoryLimitBytes)
  }

  requireLlama(): Llama {
    if (!this.llama) throw new AppError('internal', 'llama.cpp is not initialised')
    return this.llama
  }

  /** Reads a GGUF's metadata and estimates memory, without loading its weights. */
  async inspect(path: string, memoryLimitBytes: number | null): Promise<{ metadata: ModelMetadata; tensorBytes: number; dataOffset: number }> {
    const llama = this.requireLlama()
    const name = basename(path)
    let info: Awaited<ReturnType<typeof readGgufFileInfo>>
    try {
      info = await readGgufFileInfo(path, { readTensorInfo: true, ignoreKeys: [] })
    } catch (err) {
      throw new AppError('bad_file', `${name}: cannot read the GGUF header (${err instanceof Error ? err.message : String(err)}); the file is damaged or truncated.`, { file: path })
    }
    const md = info.metadata as unknown as Record<string, Record<string, unknown> | undefined>
    const general = (md.general ?? {}) as Record<string, unknown>
    const architecture = String(general.architecture ?? '')
    if (!architecture) throw new AppError('bad_file', `${name}: the GGUF has no general.architecture; it is not a model file.`, { file: path })
    // The architectures this llama.cpp build knows (GgufArchitectureType is a const enum in the
    // typings but a real object at run time).
    const archEnum = (nodeLlamaCpp as unknown as { GgufArchitectureType: Record<string, string> }).GgufArchitectureType
    const known = new Set<string>(Object.values(archEnum))
    if (!known.has(architecture)) {
      throw new AppError('unsupported', `${name}: architecture "${architecture}" is not supported by this llama.cpp build (known: llama, qwen2, mistral, gemma, phi3, ...).`, {
        file: path,
        architecture
      })
    }
    const archMd = (md[architecture] ?? {}) as Record<string, unknown>
    const tokenizer = ((md.tokenizer ?? {}) as Record<string, unknown>)
    const chatTemplate = typeof tokenizer.chat_template === 'string' ? tokenizer.chat_template : null
    const ggml = (tokenizer.ggml ?? {}) as Record<string, unknown>
    const vocabSize = Array.isArray(ggml.tokens) ? ggml.tokens.length : null
    const tensorInfo = info.fullTensorInfo ?? info.tensorInfo ?? []
    const typeCounts: Record<string, number> = {}
    let parameters = 0
    for (const t of tensorInfo) {
      const n = t.dimensions.reduce<number>((a, d) => a * Number(d), 1)
      parameters += n
      const typeName = GgmlType[t.ggmlType] ?? String(t.ggmlType)
      typeCounts[typeName] = (typeCounts[typeName] ?? 0) + n
    }
    const tensorTypes: Record<string, number> = {}
    for (const [k, v] of Object.entries(typeCounts)) tensorTypes[k] = parameters > 0 ? Math.round((v / parameters) * 1000) / 1000 : 0
    const fileTypeNum = typeof general.file_type === 'number' ? general.file_type : null
    const adapterType = general.type === 'adapter' ? String(((md.adapter ?? {}) as Record<string, unknown>).type ?? 'adapter') : null

    let insights: GgufInsights | null = null
    let memory: ModelMetadata['memory'] = null
    let tensorBytes = 0
    try {
      insights = await GgufInsights.from(info, llama)
      tensorBytes = insights.modelSize
      if (!adapterType) {
        const cpu = insights.estimateModelResourceRequirements({ gpuLayers: 0 })
        const full = insights.estimateModelResourceRequirements({ gpuLayers: insights.totalLayers })
        const ctxSize = Math.min(2048, insights.trainContextSize ?? 2048)
        const ctxCpu = insights.estimateContextResourceRequirements({ contextSize: ctxSize, modelGpuLayers: 0, sequences: 1 })
        const ctxGpu = insights.estimateContextResourceRequirements({ contextSize: ctxSize, modelGpuLayers: insights.totalLayers, sequences: 1 })
        const vram = llama.gpu === false ? null : await llama.getVramState()
        const ramLimit = memoryLimitBytes ?? os.totalmem()
        memory = {
          cpuRamBytes: cpu.cpuRam,
          gpuVramBytes: full.gpuVram,
          contextBytes: ctxCpu.cpuRam + ctxCpu.gpuVram,
          fitsInGpu: vram ? full.gpuVram + ctxGpu.gpuVram <= vram.free : null,
          fitsInRam: cpu.cpuRam + ctxCpu.cpuRam + ctxCpu.gpuVram <= ramLimit
        }
      }
    } catch (err) {
      if (!adapterType) this.log('warn', `${name}: no memory estimate (${err instanceof Error ? err.message : String(err)})`)
    }
    // The tensor data starts at the header's end rounded up to general.alignment; a complete file
    // holds at least every tensor's bytes after that (the service compares with the file size).
    const alignment = Number(general.alignment ?? 32) || 32
    const dataOffset = Math.ceil((info.infoEndOffset ?? 0) / alignment) * alignment
    let lastOffset = 0
    for (const t of tensorInfo) lastOffset = Math.max(lastOffset, Number(t.offset) + 1)
    tensorBytes = Math.max(tensorBytes, lastOffset)
    const metadata: ModelMetadata = {
      ggufVersion: info.version,
      name: typeof general.name === 'string' ? general.name : null,
      architecture,
      parameters: insights?.totalParameters ?? parameters,
      fileType: fileTypeNum === null ? null : (GgufFileType[fileTypeNum] ?? String(fileTypeNum)),
      tensorTypes,
      contextLength: numberOrNull(archMd.context_length),
      layers: numberOrNull(archMd.block_count),
      embeddingLength: numberOrNull(archMd.embedding_length),
      vocabSize,
      chatTemplate,
      adapterType,
      memory
    }
    return { metadata, tensorBytes, dataOffset }
  }

  private activeJobs(): number {
    return this.busySequences
  }

  /** Loads (or keeps) the model; refuses a model larger than the memory it would run in. */
  async load(ref: ModelRef, memoryLimitBytes: number | null): Promise<LlamaModel> {
    const llama = this.requireLlama()
    if (this.model && this.modelRef && this.modelRef.path === ref.path && this.modelRef.gpuLayers === ref.gpuLayers && (this.modelRef.backend ?? 'auto') === (ref.backend ?? 'auto')) {
      if (this.modelRef.adapterPath !== ref.adapterPath) {
        if (this.activeJobs() > 0) throw busy()
        await this.disposeContext()
      }
      // Threads, batch and context size take effect at the next context (ensureContext compares them).
      if (this.activeJobs() === 0) this.modelRef = { ...ref }
      return this.model
    }
    if (this.activeJobs() > 0) throw busy()
    await this.unload()
    const name = basename(ref.path)
    this.set('model', 'loading')
    try {
      // A FIFO or device passed as a model would block llama.cpp's read forever.
      checkRegularFileSync(ref.path, { maxBytes: Infinity })
      if (ref.adapterPath) checkRegularFileSync(ref.adapterPath, { maxBytes: Infinity })
      const { metadata } = await this.inspect(ref.path, memoryLimitBytes)
      if (metadata.adapterType) throw new AppError('invalid_input', `${name} is a LoRA adapter, not a model: load its base model and pick it as the adapter.`)
      const limit = memoryLimitBytes ?? os.totalmem()
      const needs = metadata.memory ? metadata.memory.cpuRamBytes + metadata.memory.contextBytes : (await stat(ref.path)).size
      const offloadsAll = llama.gpu !== false && metadata.memory?.fitsInGpu === true && ref.gpuLayers !== 0
      if (!offloadsAll && needs > limit) {
        throw new AppError(
          'unsupported',
          `${name} needs about ${gib(needs)} of memory (weights and a 2,048-token context) but this machine has ${gib(limit)}${memoryLimitBytes ? ' allowed (IMHI_MEMORY_LIMIT)' : ''}; choose a smaller quantization (e.g. Q4_K_M) or a machine with more memory.`,
          { file: ref.path, needsBytes: needs, limitBytes: limit }
        )
      }
      // The model's own settings (backend, GPU layers, context size): refused with what would fit.
      const modelLlama = await this.llamaFor(ref.backend)
      if (hasSettings(ref)) {
        // An estimate that cannot be made does not stop the load (llama.cpp still refuses what it cannot hold).
        const fit = await estimateModelFit(modelLlama, ref, memoryLimitBytes).catch((err: unknown) => {
          this.log('warn', `${name}: no memory estimate for its settings (${err instanceof Error ? err.message : String(err)})`)
          return null
        })
        if (fit && !fit.fits) throw new AppError('unsupported', fit.message, { file: ref.path, field: 'settings', alternatives: fit.alternatives })
      }
      this.model = await modelLlama.loadModel({ modelPath: ref.path, gpuLayers: ref.gpuLayers })
      this.modelLlama = modelLlama
      this.modelRef = { ...ref }
      this.set('model', 'loaded')
      return this.model
    } catch (err) {
      const e = err instanceof AppError ? err : new AppError('bad_file', `${name} could not be loaded by llama.cpp: ${err instanceof Error ? err.message : String(err)}`, { file: ref.path })
      this.model = null
      this.modelRef = null
      this.set('model', 'error', e.message)
      throw e
    }
  }

  /**
   * A context with at least `sequences` free sequences of `contextSize` tokens each. Reused when
   * it fits (a single-post generation can take a spare sequence beside a running benchmark run);
   * recreated only when nothing is in flight.
   */
  async ensureContext(sequences: number, contextSize: number, createWith = sequences): Promise<LlamaContext> {
    // One at a time: generations arriving together must not each create a context.
    const previous = this.contextLock
    let unlock = () => {}
    this.contextLock = new Promise<void>((r) => (unlock = r))
    await previous
    try {
      return await this.ensureContextNow(sequences, contextSize, createWith)
    } finally {
      unlock()
    }
  }

  private contextLock: Promise<void> = Promise.resolve()

  private async ensureContextNow(sequences: number, contextSize: number, createWith: number): Promise<LlamaContext> {
    const model = this.model
    if (!model || !this.modelRef) throw new AppError('internal', 'no model loaded')
    const adapterPath = this.modelRef.adapterPath
    const spec = this.contextSpec
    const threads = this.modelRef.threads ?? this.threads
    const batchSize = this.modelRef.batchSize ?? null
    if (
      this.context &&
      spec &&
      spec.contextSize === contextSize &&
      spec.adapterPath === adapterPath &&
      spec.threads === threads &&
      spec.batchSize === batchSize &&
      this.context.sequencesLeft >= sequences
    ) {
      return this.context
    }
    if (this.activeJobs() > 0) throw busy()
    await this.disposeContext()
    this.set('context', 'loading')
    try {
      sequences = Math.max(sequences, createWith)
      this.context = await model.createContext({
        sequences,
        contextSize,
        threads,
        ...(batchSize ? { batchSize } : {}),
        ...(adapterPath ? { lora: { adapters: [{ filePath: adapterPath }] } } : {})
      })
      this.contextSpec = { sequences, contextSize, adapterPath, threads, batchSize }
      this.set('context', 'loaded')
      return this.context
    } catch (err) {
      const message = `Cannot create a ${contextSize}-token context with ${sequences} sequence(s): ${err instanceof Error ? err.message : String(err)}. Lower the context size or the parallel sequences.`
      this.context = null
      this.contextSpec = null
      this.set('context', 'error', message)
      throw new AppError('unsupported', message)
    }
  }

  /**
   * The loaded model's embedding context of `contextSize` tokens (one sequence), kept between
   * calls; recreated for another size only when nothing is in flight.
   */
  async ensureEmbeddingContext(contextSize: number): Promise<LlamaEmbeddingContext> {
    const model = this.model
    if (!model || !this.modelRef) throw new AppError('internal', 'no model loaded')
    if (this.embeddingContext && this.embeddingContextSize === contextSize) return this.embeddingContext
    // A new one beside a running generation is fine; replacing one another call may be using is not.
    if (this.embeddingContext && this.activeJobs() > 0) throw busy()
    await this.disposeEmbeddingContext()
    try {
      this.embeddingContext = await model.createEmbeddingContext({ contextSize, threads: this.modelRef.threads ?? this.threads })
      this.embeddingContextSize = contextSize
      return this.embeddingContext
    } catch (err) {
      this.embeddingContext = null
      this.embeddingContextSize = 0
      throw new AppError('unsupported', `${basename(this.modelRef.path)}: cannot create a ${contextSize}-token embedding context: ${err instanceof Error ? err.message : String(err)}`, {
        file: this.modelRef.path
      })
    }
  }

  async disposeEmbeddingContext(): Promise<void> {
    if (this.embeddingContext) {
      const ctx = this.embeddingContext
      this.embeddingContext = null
      this.embeddingContextSize = 0
      await ctx.dispose()
    }
  }

  async disposeContext(): Promise<void> {
    if (this.context) {
      const ctx = this.context
      this.context = null
      this.contextSpec = null
      await ctx.dispose()
      this.set('context', 'idle')
    }
  }

  async unload(): Promise<void> {
    if (this.activeJobs() > 0) throw busy()
    await this.disposeContext()
    await this.disposeEmbeddingContext()
    if (this.model) {
      const m = this.model
      this.model = null
      this.modelRef = null
      await m.dispose()
    }
    this.modelRef = null
    this.set('model', 'idle')
  }
}

function busy(): AppError {
  return new AppError('conflict', 'The model is busy with a generation or a run in progress: pause or cancel it first, or use the same model and settings.')
}

function numberOrNull(v: unknown): number | null {
  return typeof v === 'number' && Number.isFinite(v) ? v : null
}

function gib(n: number): string {
  return n >= 2 ** 30 ? `${(n / 2 ** 30).toFixed(1)} GiB` : `${(n / 2 ** 20).toFixed(1)} MiB`
}
