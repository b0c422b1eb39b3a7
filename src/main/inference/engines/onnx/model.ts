import { basename, join } from 'node:path'
import { AppError } from '../../../../shared/api/errors'
import { configLabelCount, readModelFolder, type ModelConfig, type ModelFolder } from './folder'
import { DEFAULT_PROVIDERS, openSession, runSession, type GraphSession, type IoInfo, type Provider, type TensorValue } from './session'
import { TextTokenizer, type EncodedBatch } from './tokenizer'

export interface LoadOptions {
  /** Execution providers to try in order (default cuda, then cpu). */
  providers?: readonly Provider[]
  /** Only these graphs (session names, e.g. ["model"]); default every .onnx in the folder. */
  sessions?: readonly string[]
  /** ONNX Runtime intra-op threads (default: ONNX Runtime's choice, the physical cores). */
  threads?: number
}

/** What the main thread learns about a loaded model folder. */
export interface OnnxModelInfo {
  id: number
  dir: string
  kind: ModelFolder['kind']
  modelType: string | null
  config: ModelConfig
  /** The provider every session of the model runs on. */
  provider: Provider
  /** Why a provider earlier in the list was not used (empty when the first one loaded). */
  fallbacks: string[]
  sessions: Record<string, { file: string; inputs: IoInfo[]; outputs: IoInfo[] }>
  tokenizer: { file: string; vocabSize: number; padId: number; specialTokens: number; modelMaxLength: number | null }
  /** Labels declared by config.json (id2label or num_labels), for classifiers; else null. */
  configLabels: number | null
  /** Tokens a position embedding allows (config max_position_embeddings), or null. */
  maxPositions: number | null
}

/** Output of an encoder graph on a batch of texts: the tensors asked for, and the batch's tokens. */
export interface ForwardBatch {
  /** Index in the input of the batch's first text. */
  start: number
  encoded: Omit<EncodedBatch, 'inputIds' | 'attentionMask'>
  outputs: Record<string, TensorValue>
}

/**
 * A model folder loaded into ONNX Runtime (lives in the ONNX worker thread): its tokenizer and
 * one session per graph. Loading checks what would otherwise fail later or silently: the
 * tokenizer's ids must fit the model's vocabulary (config.json vocab_size, and the graph's own
 * embedding: a probe with the largest token id runs through model.onnx).
 */
export class OnnxModel {
  private constructor(
    readonly folder: ModelFolder,
    readonly tokenizer: TextTokenizer,
    readonly sessions: Map<string, GraphSession>,
    readonly provider: Provider,
    readonly fallbacks: string[]
  ) {}

  static async load(dir: string, opts: LoadOptions = {}): Promise<OnnxModel> {
    const folder = readModelFolder(dir)
    const tokenizer = new TextTokenizer(folder)
    const configFile = join(folder.dir, 'config.json')
    const vocab = folder.config.vocab_size
    if (typeof vocab === 'number' && tokenizer.vocabSize > vocab) {
      throw new AppError('bad_file', `${tokenizer.file} does not match the model: its token ids go up to ${tokenizer.vocabSize - 1} but ${configFile} gives vocab_size ${vocab} (embedding rows); this tokenizer belongs to another model`, { file: tokenizer.file })
    }
    const names = opts.sessions ?? Object.keys(folder.graphs)
    for (const n of names) if (!folder.graphs[n]) throw new AppError('bad_file', `${join(folder.dir, n + '.onnx')}: missing (the folder has ${Object.keys(folder.graphs).map((g) => g + '.onnx').join(', ')})`, { file: join(folder.dir, n + '.onnx') })
    const fallbacks: string[] = []
    const sessions = new Map<string, GraphSession>()
    let provider: Provider | null = null
    try {
      for (const n of names) {
        // Every graph of a model on one provider: the first loads where it can, the rest follow it.
        const s = await openSession(n, folder.graphs[n], provider ? [provider] : (opts.providers ?? DEFAULT_PROVIDERS), fallbacks, opts.threads)
        provider = s.provider
        sessions.set(n, s)
      }
    } catch (err) {
      for (const s of sessions.values()) await s.session.release().catch(() => undefined)
      throw err
    }
    const model = new OnnxModel(folder, tokenizer, sessions, provider ?? 'cpu', fallbacks)
    try {
      await model.probe()
    } catch (err) {
      await model.release()
      throw err
    }
    return model
  }

  /** The encoder-style graph that takes input_ids (model or encoder_model), if any. */
  get encoderSession(): GraphSession | null {
    return this.sessions.get('model') ?? this.sessions.get('encoder_model') ?? null
  }

  /**
   * Runs the largest token id through the encoder graph: an embedding with fewer rows than the
   * tokenizer's vocabulary fails here (naming the files) rather than on some user's text.
   */
  private async probe(): Promise<void> {
    const g = this.encoderSession
    if (!g || !g.inputs.some((i) => i.name === 'input_ids')) return
    const maxId = this.tokenizer.vocabSize - 1
    const batch: EncodedBatch = { batch: 1, length: 1, inputIds: BigInt64Array.from([BigInt(maxId)]), attentionMask: BigInt64Array.from([1n]), lengths: [1], truncated: [] }
    try {
      await runSession(g, this.feeds(g, batch))
    } catch (err) {
      const why = err instanceof Error ? err.message : String(err)
      throw new AppError('bad_file', `${this.tokenizer.file} does not match ${g.file}: the tokenizer's largest token id ${maxId} does not fit the model's embedding (${why.replace(g.file + ': ', '')})`, { file: this.tokenizer.file })
    }
  }

  /** The feeds an encoder graph takes for a padded batch: input_ids, attention_mask, token_type_ids (zeros) as it asks. */
  feeds(g: GraphSession, b: EncodedBatch): Record<string, TensorValue> {
    const dims = [b.batch, b.length]
    const feeds: Record<string, TensorValue> = {}
    for (const input of g.inputs) {
      if (input.name === 'input_ids') feeds.input_ids = { type: 'int64', data: b.inputIds, dims }
      else if (input.name === 'attention_mask') feeds.attention_mask = { type: 'int64', data: b.attentionMask, dims }
      else if (input.name === 'token_type_ids') feeds.token_type_ids = { type: 'int64', data: new BigInt64Array(b.batch * b.length), dims }
      else throw new AppError('unsupported', `${g.file}: input ${input.name} is not one a text encoder takes (input_ids, attention_mask, token_type_ids)`, { file: g.file })
    }
    return feeds
  }

  session(name: string): GraphSession {
    const s = this.sessions.get(name)
    if (!s) throw new AppError('invalid_input', `${this.folder.dir}: no session ${name} loaded (loaded: ${[...this.sessions.keys()].join(', ')})`)
    return s
  }

  /**
   * Texts through an encoder graph in batches of `batchSize`, in order, each batch padded to its
   * longest row and cut to `maxLength` tokens as transformers does (padding=True, truncation=True).
   */
  async *forward(texts: readonly string[], opts: { session?: string; maxLength: number | null; batchSize: number; outputs?: readonly string[] }): AsyncGenerator<ForwardBatch> {
    const g = opts.session ? this.session(opts.session) : this.encoderSession
    if (!g) throw new AppError('invalid_input', `${this.folder.dir}: no encoder graph (model.onnx or encoder_model.onnx)`)
    if (!(Number.isInteger(opts.batchSize) && opts.batchSize > 0)) throw new AppError('invalid_input', `batch size ${opts.batchSize} is not a positive integer`)
    for (let start = 0; start < texts.length; start += opts.batchSize) {
      const encoded = this.tokenizer.encodeBatch(texts.slice(start, start + opts.batchSize), opts.maxLength)
      const outputs = await runSession(g, this.feeds(g, encoded), opts.outputs)
      const { inputIds: _ids, attentionMask: _mask, ...rest } = encoded
      yield { start, encoded: rest, outputs }
    }
  }

  info(id: number): OnnxModelInfo {
    const sessions: OnnxModelInfo['sessions'] = {}
    for (const [n, s] of this.sessions) sessions[n] = { file: s.file, inputs: s.inputs, outputs: s.outputs }
    const mp = this.folder.config.max_position_embeddings
    return {
      id,
      dir: this.folder.dir,
      kind: this.folder.kind,
      modelType: typeof this.folder.config.model_type === 'string' ? this.folder.config.model_type : null,
      config: this.folder.config,
      provider: this.provider,
      fallbacks: this.fallbacks,
      sessions,
      tokenizer: { file: this.tokenizer.file, vocabSize: this.tokenizer.vocabSize, padId: this.tokenizer.padId, specialTokens: this.tokenizer.specialTokens, modelMaxLength: this.tokenizer.modelMaxLength },
      configLabels: configLabelCount(this.folder.config),
      maxPositions: typeof mp === 'number' && mp > 0 ? mp : null
    }
  }

  get name(): string {
    return basename(this.folder.dir)
  }

  async release(): Promise<void> {
    for (const s of this.sessions.values()) await s.session.release().catch(() => undefined)
    this.sessions.clear()
  }
}
