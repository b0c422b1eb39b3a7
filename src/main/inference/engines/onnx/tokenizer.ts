import { Tokenizer } from '@huggingface/tokenizers'
import { AppError } from '../../../../shared/api/errors'
import type { ModelFolder } from './folder'

/**
 * A model folder's tokenizer (tokenizer.json through @huggingface/tokenizers, the tokenizers of
 * transformers.js) with what transformers' `tokenizer(texts, padding=True, truncation=True,
 * max_length=N)` adds around it: truncation of a single sequence to N tokens counting the special
 * tokens (the text's tokens are cut from the right, then [CLS] ... [SEP] or <s> ... </s> go
 * around them), and right padding of a batch to its longest row.
 */
export interface EncodedText {
  ids: number[]
  /** Tokens of the text with its special tokens before truncation (ids.length where not cut). */
  fullLength: number
}

/** A padded batch, row-major [batch, length], int64 as ONNX models take them. */
export interface EncodedBatch {
  batch: number
  length: number
  inputIds: BigInt64Array
  attentionMask: BigInt64Array
  /** Tokens per row (before padding). */
  lengths: number[]
  /** Rows whose text was cut to fit maxLength. */
  truncated: number[]
}

interface SpecialTemplate {
  prefix: number[]
  suffix: number[]
}

function tokenId(entry: unknown, file: string): number {
  if (Array.isArray(entry) && typeof entry[1] === 'number') return entry[1]
  throw new AppError('bad_file', `${file}: post_processor special token ${JSON.stringify(entry)} has no id`, { file })
}

/** The special tokens the post-processor puts around one sequence. */
function singleTemplate(post: unknown, file: string): SpecialTemplate {
  if (post === null || post === undefined) return { prefix: [], suffix: [] }
  const p = post as Record<string, unknown>
  switch (p.type) {
    case 'BertProcessing':
    case 'RobertaProcessing':
      return { prefix: [tokenId(p.cls, file)], suffix: [tokenId(p.sep, file)] }
    case 'TemplateProcessing': {
      const single = p.single as unknown[]
      const specials = (p.special_tokens ?? {}) as Record<string, { ids: number[] }>
      const prefix: number[] = []
      const suffix: number[] = []
      let seen = false
      for (const piece of single ?? []) {
        const o = piece as { Sequence?: unknown; SpecialToken?: { id: string } }
        if (o.Sequence) seen = true
        else if (o.SpecialToken) {
          const ids = specials[o.SpecialToken.id]?.ids
          if (!ids) throw new AppError('bad_file', `${file}: template token ${o.SpecialToken.id} not among special_tokens`, { file })
          ;(seen ? suffix : prefix).push(...ids)
        }
      }
      return { prefix, suffix }
    }
    case 'Sequence': {
      const parts = ((p.processors as unknown[]) ?? []).map((x) => singleTemplate(x, file))
      return { prefix: parts.flatMap((x) => x.prefix), suffix: parts.flatMap((x) => x.suffix) }
    }
    case 'ByteLevel':
      return { prefix: [], suffix: [] }
    default:
      throw new AppError('unsupported', `${file}: post_processor type ${String(p.type)} is not supported`, { file })
  }
}

export class TextTokenizer {
  private readonly tokenizer: Tokenizer
  private readonly template: SpecialTemplate
  /** Largest token id the tokenizer can produce, plus one. */
  readonly vocabSize: number
  readonly padId: number
  /** tokenizer_config.json's model_max_length where it is a real limit, else null. */
  readonly modelMaxLength: number | null
  readonly file: string

  constructor(folder: Pick<ModelFolder, 'tokenizerJson' | 'tokenizerConfig' | 'tokenizerFile' | 'config'>) {
    this.file = folder.tokenizerFile
    try {
      this.tokenizer = new Tokenizer(folder.tokenizerJson, folder.tokenizerConfig)
    } catch (err) {
      throw new AppError('bad_file', `${this.file}: the tokenizer cannot be built (${err instanceof Error ? err.message : String(err)})`, { file: this.file })
    }
    this.template = singleTemplate(folder.tokenizerJson.post_processor, this.file)
    let max = -1
    for (const id of this.tokenizer.get_vocab(true).values()) if (id > max) max = id
    this.vocabSize = max + 1
    const padToken = typeof folder.tokenizerConfig.pad_token === 'string' ? folder.tokenizerConfig.pad_token : (folder.tokenizerConfig.pad_token as { content?: string } | undefined)?.content
    const padding = folder.tokenizerJson.padding as { pad_id?: number } | null | undefined
    const pad = (padToken !== undefined ? this.tokenizer.token_to_id(padToken) : undefined) ?? padding?.pad_id ?? (typeof folder.config.pad_token_id === 'number' ? folder.config.pad_token_id : undefined) ?? this.tokenizer.token_to_id('[PAD]') ?? this.tokenizer.token_to_id('<pad>')
    this.padId = pad ?? 0
    const mml = folder.tokenizerConfig.model_max_length
    this.modelMaxLength = typeof mml === 'number' && mml > 0 && mml < 1e9 ? mml : null
  }

  /** The special tokens added around one text (2 for BERT and BART). */
  get specialTokens(): number {
    return this.template.prefix.length + this.template.suffix.length
  }

  /** One text: its tokens with the special tokens, cut to maxLength as transformers cuts (right side). */
  encode(text: string, maxLength: number | null): EncodedText {
    if (typeof text !== 'string') throw new AppError('invalid_input', 'the text to tokenize must be a string')
    const content = this.tokenizer.encode(text, { add_special_tokens: false }).ids
    const fullLength = content.length + this.specialTokens
    const room = maxLength === null ? content.length : Math.max(0, maxLength - this.specialTokens)
    const ids = [...this.template.prefix, ...(content.length > room ? content.slice(0, room) : content), ...this.template.suffix]
    return { ids, fullLength }
  }

  /**
   * Token ids back to text as transformers' `tokenizer.decode(ids, skip_special_tokens=True)` does
   * on a fast tokenizer: special tokens dropped, the decoder's pieces joined, then
   * clean_up_tokenization where tokenizer_config.json's clean_up_tokenization_spaces is true or absent.
   */
  decode(ids: readonly number[], opts: { skipSpecialTokens: boolean }): string {
    return this.tokenizer.decode([...ids], { skip_special_tokens: opts.skipSpecialTokens })
  }

  /** The id of a token (e.g. "<unk>"), or undefined when the vocabulary lacks it. */
  tokenId(token: string): number | undefined {
    return this.tokenizer.token_to_id(token)
  }

  /** Tokens of a text without special tokens (for tests and messages). */
  tokens(text: string): string[] {
    return this.tokenizer.tokenize(text)
  }

  /** A batch padded on the right to its longest row (transformers' padding=True). */
  encodeBatch(texts: readonly string[], maxLength: number | null): EncodedBatch {
    const rows = texts.map((t) => this.encode(t, maxLength))
    return padBatch(rows.map((r) => r.ids), this.padId, rows.flatMap((r, i) => (r.fullLength > r.ids.length ? [i] : [])))
  }
}

/** Right-pads rows of token ids to the longest, with the attention mask. */
export function padBatch(rows: readonly number[][], padId: number, truncated: number[] = []): EncodedBatch {
  const length = rows.reduce((m, r) => Math.max(m, r.length), 0)
  const inputIds = new BigInt64Array(rows.length * length).fill(BigInt(padId))
  const attentionMask = new BigInt64Array(rows.length * length)
  rows.forEach((r, i) => {
    for (let j = 0; j < r.length; j++) {
      inputIds[i * length + j] = BigInt(r[j])
      attentionMask[i * length + j] = 1n
    }
  })
  return { batch: rows.length, length, inputIds, attentionMask, lengths: rows.map((r) => r.length), truncated }
}
