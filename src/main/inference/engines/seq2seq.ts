import { createHash } from 'node:crypto'
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs'
import { basename, join, resolve } from 'node:path'
import { AppError } from '../../../shared/api/errors'
import type { EngineCheck, EngineInfo, GenerationParams, PromptFormat, Provenance, Seq2seqAddInput } from '../../../shared/api/inference'
import { sha256File } from '../gguf'
import type { PromptSpec } from '../worker/protocol'
import type { OnnxEngine, OnnxModelInfo } from './onnx'
import type { GeneratedItem, Seq2seqPlan } from './onnx/generate'
import type { Seq2seqEvent } from './onnx/protocol'
import { generationProvenance, type BatchListeners, type BatchOutcome, type EngineItem, type EngineSession, type EngineStats } from './types'
import type { EngineRegistry } from './registry'

// The ONNX seq2seq engine: a converted MentalBART / MentalT5 folder (Optimum's layout) run in the
// ONNX worker thread, greedy as IMHI.py decodes non-LLaMA models (onnx/generate.ts). A folder is
// registered once (engines table, kind 'onnx-seq2seq': url = the folder, model = its fingerprint);
// runs and single-post generation choose it like any engine.

/** Files whose bytes make the model: what the fingerprint covers. */
function modelFiles(dir: string): string[] {
  return readdirSync(dir)
    .filter((f) => /\.(onnx|onnx_data|onnx\.data)$/.test(f) || ['config.json', 'generation_config.json', 'tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json', 'vocab.json', 'merges.txt', 'vocab.txt', 'spiece.model'].includes(f))
    .filter((f) => statSync(join(dir, f)).isFile())
    .sort()
}

/** SHA-256 over the folder's model files (name, size and SHA-256 of each): what a run's rows record and resume checks. */
export async function folderFingerprint(dir: string): Promise<string> {
  const h = createHash('sha256')
  for (const f of modelFiles(dir)) h.update(`${f}\0${statSync(join(dir, f)).size}\0${await sha256File(join(dir, f))}\n`)
  return h.digest('hex')
}

/** The files' names, sizes and modification times: while it is unchanged, so is the fingerprint. */
function folderStamp(dir: string): string {
  return JSON.stringify(modelFiles(dir).map((f) => {
    const st = statSync(join(dir, f))
    return [f, st.size, st.mtimeMs]
  }))
}

/** The graphs a generation session loads: the encoder, the first-step decoder, the decoder with past when there is one (never a merged decoder beside them). */
export function generationSessions(dir: string): string[] {
  return ['encoder_model', 'decoder_model', ...(existsSync(join(dir, 'decoder_with_past_model.onnx')) ? ['decoder_with_past_model'] : [])]
}

export interface Seq2seqEnginesDeps {
  onnx: OnnxEngine
  engines: EngineRegistry
  /** ONNX Runtime intra-op threads (IMHI_THREADS); default ONNX Runtime's. */
  threads?: number | null
}

/** Loaded folders (one ONNX Runtime model each, shared by the sessions that use it) and registration. */
export function createSeq2seqEngines(deps: Seq2seqEnginesDeps) {
  const loaded = new Map<string, Promise<{ info: OnnxModelInfo; plan: Seq2seqPlan }>>()
  // Hashing bart-large's 3 GB takes seconds: hashed again only when a file's size or time changed.
  const hashed = new Map<string, { stamp: string; fingerprint: string }>()
  async function fingerprint(dir: string): Promise<string> {
    const stamp = folderStamp(dir)
    const known = hashed.get(dir)
    if (known && known.stamp === stamp) return known.fingerprint
    const fp = await folderFingerprint(dir)
    hashed.set(dir, { stamp, fingerprint: fp })
    return fp
  }

  async function load(dir: string): Promise<{ info: OnnxModelInfo; plan: Seq2seqPlan }> {
    let p = loaded.get(dir)
    if (!p) {
      p = (async () => {
        const { readModelFolder } = await import('./onnx/folder')
        const folder = readModelFolder(dir)
        if (folder.kind !== 'seq2seq') {
          throw new AppError('bad_file', `${dir}: not a seq2seq export: it holds model.onnx (an encoder or classifier); MentalBART / MentalT5 need encoder_model.onnx and decoder_model.onnx (scripts/convert_checkpoints.py seq2seq)`, { file: dir })
        }
        const info = await deps.onnx.load(dir, { sessions: generationSessions(dir), ...(deps.threads ? { threads: deps.threads } : {}) })
        try {
          return { info, plan: await deps.onnx.seq2seqPlan(info.id) }
        } catch (err) {
          await deps.onnx.unload(info.id).catch(() => undefined)
          throw err
        }
      })()
      loaded.set(dir, p)
      p.catch(() => loaded.delete(dir))
    }
    return await p
  }

  return {
    load,

    /** Checks the folder (loads it, resolves its decoding), hashes it and registers it. */
    async add(input: Seq2seqAddInput): Promise<EngineInfo> {
      const dir = resolve(input.path)
      if (deps.engines.byName(input.name)) throw new AppError('conflict', `An engine named "${input.name}" is already registered.`, { field: 'name' })
      await load(dir)
      return deps.engines.addFolder({ name: input.name, folder: dir, fingerprint: await fingerprint(dir) })
    },

    async check(info: EngineInfo): Promise<EngineCheck> {
      try {
        const { plan, info: m } = await load(info.url)
        const reference = await referenceCheck(deps.onnx, info.url, m, plan)
        return {
          engineId: info.id,
          ok: true,
          models: [basename(info.url)],
          model: basename(info.url),
          promptLogprobs: null,
          message: `${info.url}: ${m.modelType ?? 'seq2seq'} export, decoder ${plan.mode === 'with-past' ? 'with past key values' : 'recomputed each step (no decoder_with_past_model.onnx)'}, on ${m.provider}; ${plan.numBeams > 1 ? `beam search, ${plan.numBeams} beams (length_penalty ${plan.lengthPenalty}, early_stopping ${plan.earlyStopping}) as its ${basename(plan.configFile)} asks` : 'greedy decoding'}${plan.configDoSample ? ' (do_sample in its config is not applied)' : ''}${reference ? `; ${reference}` : ''}`
        }
      } catch (err) {
        return { engineId: info.id, ok: false, models: [], model: null, promptLogprobs: null, message: AppError.from(err).message }
      }
    },

    session(info: EngineInfo): EngineSession {
      return seq2seqSession(deps.onnx, load, fingerprint, info)
    },

    /** Unloads a folder no engine uses any more (after its engine was removed). */
    async forget(dir: string): Promise<void> {
      if (deps.engines.list().some((e) => e.kind === 'onnx-seq2seq' && e.url === dir)) return
      const p = loaded.get(dir)
      loaded.delete(dir)
      hashed.delete(dir)
      const m = await p?.catch(() => null)
      if (m) await deps.onnx.unload(m.info.id).catch(() => undefined)
    },

    /** Unloads the folders from the ONNX worker. */
    async close(): Promise<void> {
      for (const p of loaded.values()) {
        const m = await p.catch(() => null)
        if (m) await deps.onnx.unload(m.info.id).catch(() => undefined)
      }
      loaded.clear()
    }
  }
}
export type Seq2seqEngines = ReturnType<typeof createSeq2seqEngines>

interface ImhiReference {
  transformers: string
  queries: string[]
  input_ids: number[][]
  max_length: number
  batch_size: number
  ids: number[][]
  texts: string[]
}

/**
 * transformers' own outputs for a few check queries, written into the folder by
 * scripts/convert_checkpoints.py seq2seq (imhi_reference.json): the workbench tokenizes and
 * generates the same queries and says whether every token id and text is identical. Null when the
 * folder has no such file.
 */
export async function referenceCheck(onnx: OnnxEngine, dir: string, m: OnnxModelInfo, plan: Seq2seqPlan): Promise<string | null> {
  const file = join(dir, 'imhi_reference.json')
  if (!existsSync(file)) return null
  let ref: ImhiReference
  try {
    ref = JSON.parse(readFileSync(file, 'utf8')) as ImhiReference
  } catch (err) {
    return `${file}: not valid JSON (${err instanceof Error ? err.message : String(err)})`
  }
  const n = Array.isArray(ref.queries) ? ref.queries.length : -1
  const ok = n > 0 && n <= 64 && ref.queries.every((q) => typeof q === 'string') && [ref.input_ids, ref.ids, ref.texts].every((a) => Array.isArray(a) && a.length === n) && Number.isInteger(ref.max_length) && ref.max_length > 1 && Number.isInteger(ref.batch_size) && ref.batch_size > 0
  if (!ok) return `${file}: not a reference file as scripts/convert_checkpoints.py writes it (queries, input_ids, ids, texts, max_length, batch_size)`
  const tokens = await onnx.tokenize(m.id, ref.queries, plan.maxPositions)
  const badIds: number[] = []
  for (let i = 0; i < n; i++) {
    const row = Array.from(tokens.inputIds.slice(i * tokens.length, i * tokens.length + tokens.lengths[i]), Number)
    if (JSON.stringify(row) !== JSON.stringify(ref.input_ids[i])) badIds.push(i + 1)
  }
  const got = new Map<number, GeneratedItem>()
  await onnx.seq2seqGenerate(m.id, `reference-${Date.now()}-${Math.random()}`, ref.queries.map((text, key) => ({ key, text })), { batchSize: ref.batch_size, maxNewTokens: ref.max_length - 1 }, (e) => {
    if (e.kind === 'item') got.set(e.result.key, e.result)
  })
  const eos = plan.rules.eos
  const untilEos = (ids: number[]) => {
    const at = ids.findIndex((t, j) => j > 0 && eos.includes(t))
    return at < 0 ? ids : ids.slice(0, at + 1)
  }
  const badGen: number[] = []
  for (let i = 0; i < n; i++) {
    const g = got.get(i)
    if (!g || JSON.stringify(g.ids) !== JSON.stringify(untilEos(ref.ids[i])) || g.text !== ref.texts[i]) badGen.push(i + 1)
  }
  const against = `transformers ${typeof ref.transformers === 'string' ? ref.transformers : '?'} (imhi_reference.json)`
  if (badIds.length === 0 && badGen.length === 0) return `against ${against}: ${n}/${n} check queries give identical token ids and texts`
  return `DIFFERS from ${against}: ${badIds.length ? `input token ids of query ${badIds.join(', ')}` : 'input token ids identical'}; ${badGen.length ? `generated ids or text of query ${badGen.join(', ')}` : 'generated ids and texts identical'}`
}

/** What a generated row records. */
export function seq2seqProvenance(info: EngineInfo, m: OnnxModelInfo, plan: Seq2seqPlan, fingerprint: string, stats: EngineStats, format: PromptFormat, params: GenerationParams): Provenance {
  return {
    modelFile: basename(info.url),
    sha256: fingerprint,
    adapterFile: null,
    adapterSha256: null,
    ...generationProvenance(stats, format, params),
    backend: `onnxruntime-${m.provider}`,
    truncation: null,
    contextSize: plan.maxPositions ?? 0,
    ...(stats.seq2seq ? { seq2seq: stats.seq2seq } : {})
  }
}

function toStats(g: GeneratedItem, info: EngineInfo, m: OnnxModelInfo, plan: Seq2seqPlan, fingerprint: string): EngineStats {
  return {
    text: g.text,
    promptTokens: g.promptTokens,
    generatedTokens: g.generatedTokens,
    finish: g.finish,
    timeToFirstTokenMs: g.timeToFirstTokenMs,
    tokensPerSecond: g.seconds > 0 ? g.generatedTokens / g.seconds : 0,
    seconds: g.seconds,
    truncation: null,
    contextSize: plan.maxPositions ?? 0,
    chatWrapper: null,
    seq2seq: {
      engine: 'onnx-seq2seq',
      name: info.name,
      folder: info.url,
      fingerprint,
      modelType: plan.modelType,
      decoder: plan.mode,
      decoding: {
        strategy: plan.numBeams > 1 ? 'beam' : 'greedy',
        configFile: basename(plan.configFile),
        decoderStartTokenId: plan.decoderStart,
        eosTokenIds: plan.rules.eos,
        minLength: plan.rules.minLength,
        noRepeatNgramSize: plan.rules.noRepeatNgram,
        repetitionPenalty: plan.rules.repetitionPenalty,
        forcedBosTokenId: plan.rules.forcedBos,
        forcedEosTokenIds: plan.rules.forcedEos,
        maxLength: g.maxLength,
        numBeams: plan.numBeams,
        lengthPenalty: plan.lengthPenalty,
        earlyStopping: plan.earlyStopping,
        configDoSample: plan.configDoSample
      },
      batchSize: g.batchSize,
      promptTokensFull: g.promptTokensFull,
      provider: m.provider
    }
  }
}

/**
 * One registered folder as an engine session. The prompt is the query as is (IMHI.py feeds the
 * test_complete query to a non-LLaMA model with no template); `parallel` is the batch size (IMHI.py's
 * --batch_size); params.maxTokens bounds the new tokens (IMHI.py's max_length 2048 = 2047 new).
 * Sampling parameters do not apply: decoding is greedy.
 */
export function seq2seqSession(
  onnx: OnnxEngine,
  load: (dir: string) => Promise<{ info: OnnxModelInfo; plan: Seq2seqPlan }>,
  fingerprintOf: (dir: string) => Promise<string>,
  info: EngineInfo
): EngineSession {
  let model: { info: OnnxModelInfo; plan: Seq2seqPlan } | null = null
  let fingerprint = info.model ?? ''
  // Jobs the user stopped: also between the one-by-one retries of a failed batch.
  const stopped = new Set<string>()
  const ready = () => {
    if (!model) throw new AppError('internal', 'the seq2seq session was not prepared')
    return model
  }
  const prompt = (p: PromptSpec): string => {
    if (p.template !== 'none' || p.messages) throw new AppError('invalid_input', `${info.name} is an encoder-decoder model: it takes the query as is (format raw or completion), not a chat template.`, { field: 'format' })
    return p.text
  }
  return {
    engine: 'onnx-seq2seq',
    modelId: null,
    modelFile: basename(info.url),

    async prepare(): Promise<string> {
      if (!existsSync(info.url)) throw new AppError('not_found', `${info.url}: the folder of engine "${info.name}" is gone; put it back or register the model again.`, { file: info.url })
      const now = await fingerprintOf(info.url)
      if (info.model && now !== info.model) {
        throw new AppError('conflict', `${info.url}: the files of engine "${info.name}" changed since it was registered (SHA-256 ${info.model.slice(0, 12)}… now ${now.slice(0, 12)}…); its runs cannot continue with other weights. Register the folder again under a new name.`, { file: info.url })
      }
      fingerprint = now
      model = await load(info.url)
      return `onnxruntime-${model.info.provider}`
    },

    provenance: (stats, format, params) => seq2seqProvenance(info, ready().info, ready().plan, fingerprint, stats, format, params),

    async generate(jobId: string, p: PromptSpec, params: GenerationParams, onText?: (text: string, tokens: number) => void): Promise<EngineStats> {
      const m = ready()
      let result: GeneratedItem | null = null
      await onnx.seq2seqGenerate(m.info.id, jobId, [{ key: 0, text: prompt(p) }], { batchSize: 1, maxNewTokens: params.maxTokens, stream: !!onText, reportStopped: true }, (e) => {
        if (e.kind === 'item') result = e.result
        else if (e.kind === 'text') onText?.(e.text, e.tokens)
      })
      if (!result) throw new AppError('internal', `${info.name}: generation ended without a result`)
      return toStats(result, info, m.info, m.plan, fingerprint)
    },

    async batch(jobId: string, items: EngineItem[], params: GenerationParams, parallel: number, listeners: BatchListeners): Promise<BatchOutcome> {
      const m = ready()
      const texts = items.map((it) => ({ key: it.key, text: prompt(it.prompt) }))
      const stored = new Set<number>()
      const onEvent = (e: Seq2seqEvent) => {
        if (e.kind === 'item') {
          stored.add(e.result.key)
          listeners.item(e.result.key, toStats(e.result, info, m.info, m.plan, fingerprint))
        } else if (e.kind === 'tokens') listeners.tokens(e.total)
      }
      stopped.delete(jobId)
      try {
        try {
          const out = await onnx.seq2seqGenerate(m.info.id, jobId, texts, { batchSize: parallel, maxNewTokens: params.maxTokens }, onEvent)
          return { aborted: out.aborted, pausedBecause: null }
        } catch {
          // The batch's own error is not reported: each item's retry says why it fails, if it does.
          if (stopped.has(jobId)) return { aborted: true, pausedBecause: null }
          // A batch that failed (one input ONNX Runtime cannot run, say): its items not stored yet
          // are tried one by one, so that only the failing ones fail (resume retries them).
          for (const t of texts) {
            if (stored.has(t.key)) continue
            if (stopped.has(jobId)) return { aborted: true, pausedBecause: null }
            try {
              const out = await onnx.seq2seqGenerate(m.info.id, jobId, [t], { batchSize: 1, maxNewTokens: params.maxTokens }, onEvent)
              if (out.aborted) return { aborted: true, pausedBecause: null }
            } catch (one) {
              listeners.itemError(t.key, AppError.from(one).message)
            }
          }
          return { aborted: false, pausedBecause: null }
        }
      } finally {
        stopped.delete(jobId)
      }
    },

    async abort(jobId: string): Promise<boolean> {
      stopped.add(jobId)
      return (await onnx.abortJob(jobId)).aborted
    }
  }
}
