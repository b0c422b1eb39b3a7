import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { AppError } from '../../../../shared/api/errors'

/**
 * A model folder in the layout `optimum-cli export onnx` writes (and scripts/convert_checkpoints.py,
 * scripts/fixtures/make_onnx_fixtures.py): config.json, the tokenizer files, and one or more ONNX
 * graphs: model.onnx for an encoder or a classifier; encoder_model.onnx + decoder_model.onnx
 * (optionally decoder_with_past_model.onnx / decoder_model_merged.onnx) for a seq2seq model.
 * Session names are the graph file names without ".onnx" ("model", "encoder_model", ...).
 */
export interface ModelFolder {
  /** Absolute path of the folder. */
  dir: string
  /** config.json as parsed (model_type, vocab_size, id2label, ...). */
  config: ModelConfig
  /** tokenizer.json (built from vocab.txt for a BERT folder without one, see tokenizerJsonFromVocab). */
  tokenizerJson: Record<string, unknown>
  /** Where the tokenizer came from, for messages: tokenizer.json or vocab.txt. */
  tokenizerFile: string
  /** tokenizer_config.json, or {} when absent. */
  tokenizerConfig: Record<string, unknown>
  /** Session name -> absolute .onnx path. */
  graphs: Record<string, string>
  /** 'encoder' (model.onnx) or 'seq2seq' (encoder_model.onnx + decoder_model.onnx). */
  kind: 'encoder' | 'seq2seq'
}

export interface ModelConfig {
  model_type?: string
  vocab_size?: number
  num_labels?: number
  id2label?: Record<string, string>
  max_position_embeddings?: number
  pad_token_id?: number
  [key: string]: unknown
}

const MAX_JSON_BYTES = 64 * 1024 * 1024

export function readJson(file: string, what: string): Record<string, unknown> {
  const size = statSync(file).size
  if (size > MAX_JSON_BYTES) throw new AppError('bad_file', `${file}: ${size} bytes, too large for a ${what}`, { file })
  let value: unknown
  try {
    value = JSON.parse(readFileSync(file, 'utf8').replace(/^\ufeff/, ''))
  } catch (err) {
    throw new AppError('bad_file', `${file}: not valid JSON (${err instanceof Error ? err.message : String(err)}); expected the ${what}`, { file })
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) throw new AppError('bad_file', `${file}: expected a JSON object (the ${what})`, { file })
  return value as Record<string, unknown>
}

/** The number of labels a classifier's config declares (id2label, else num_labels), or null. */
export function configLabelCount(config: ModelConfig): number | null {
  if (config.id2label && typeof config.id2label === 'object') return Object.keys(config.id2label).length
  if (typeof config.num_labels === 'number') return config.num_labels
  return null
}

/**
 * A tokenizer.json equivalent to transformers' BertTokenizer over a vocab.txt (what a checkpoint
 * saved without its fast tokenizer has): BERT normalizer (lower-casing and accent stripping as
 * do_lower_case says), BERT pre-tokenizer, WordPiece (max 100 characters a word), [CLS] X [SEP].
 */
export function tokenizerJsonFromVocab(vocabText: string, tokenizerConfig: Record<string, unknown>, file: string): Record<string, unknown> {
  const vocab: Record<string, number> = {}
  const lines = vocabText.split(/\r?\n/)
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop()
  // transformers' load_vocab: a token listed twice keeps its last line number.
  lines.forEach((token, i) => {
    vocab[token] = i
  })
  const str = (k: string, d: string) => (typeof tokenizerConfig[k] === 'string' ? (tokenizerConfig[k] as string) : d)
  const unk = str('unk_token', '[UNK]')
  const cls = str('cls_token', '[CLS]')
  const sep = str('sep_token', '[SEP]')
  const pad = str('pad_token', '[PAD]')
  for (const t of [unk, cls, sep]) if (!(t in vocab)) throw new AppError('bad_file', `${file}: the special token ${t} is not in the vocabulary`, { file })
  const lower = tokenizerConfig.do_lower_case !== false
  const special = [pad, unk, cls, sep, str('mask_token', '[MASK]')].filter((t) => t in vocab)
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: special.map((t) => ({ id: vocab[t], content: t, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true })),
    normalizer: { type: 'BertNormalizer', clean_text: true, handle_chinese_chars: tokenizerConfig.tokenize_chinese_chars !== false, strip_accents: tokenizerConfig.strip_accents ?? null, lowercase: lower },
    pre_tokenizer: { type: 'BertPreTokenizer' },
    post_processor: { type: 'BertProcessing', sep: [sep, vocab[sep]], cls: [cls, vocab[cls]] },
    decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
    model: { type: 'WordPiece', unk_token: unk, continuing_subword_prefix: '##', max_input_chars_per_word: 100, vocab }
  }
}

/**
 * Reads and checks a model folder; every problem is an AppError naming the file (or the folder,
 * when a file is missing). Nothing is loaded into ONNX Runtime here (see session.ts).
 */
export function readModelFolder(path: string): ModelFolder {
  const dir = resolve(path)
  if (!existsSync(dir)) throw new AppError('not_found', `${dir}: no such folder (expected an ONNX model folder as optimum-cli export onnx writes it)`, { file: dir })
  if (!statSync(dir).isDirectory()) throw new AppError('bad_file', `${dir}: not a folder (expected an ONNX model folder with config.json, tokenizer.json and model.onnx)`, { file: dir })
  const files = new Set(readdirSync(dir))
  const graphs: Record<string, string> = {}
  for (const f of [...files].sort()) {
    if (f.endsWith('.onnx') && statSync(join(dir, f)).isFile()) graphs[f.slice(0, -'.onnx'.length)] = join(dir, f)
  }
  let kind: ModelFolder['kind']
  if (graphs.model) kind = 'encoder'
  else if (graphs.encoder_model && (graphs.decoder_model || graphs.decoder_model_merged)) kind = 'seq2seq'
  else {
    const found = Object.keys(graphs)
    const what = graphs.encoder_model
      ? `${join(dir, 'encoder_model.onnx')} is there but no decoder_model.onnx (export the model with its decoder)`
      : found.length > 0
        ? `its graphs are ${found.map((g) => g + '.onnx').join(', ')}`
        : 'it holds no .onnx file'
    throw new AppError('bad_file', `${dir}: not an ONNX export: no model.onnx (or encoder_model.onnx + decoder_model.onnx); ${what}. Convert the checkpoint with scripts/convert_checkpoints.py.`, { file: dir })
  }
  if (!files.has('config.json')) throw new AppError('bad_file', `${join(dir, 'config.json')}: missing; an ONNX export holds the model's config.json beside its .onnx files`, { file: join(dir, 'config.json') })
  const config = readJson(join(dir, 'config.json'), 'model configuration') as ModelConfig
  if (config.vocab_size !== undefined && !(Number.isInteger(config.vocab_size) && config.vocab_size > 0)) {
    throw new AppError('bad_file', `${join(dir, 'config.json')}: vocab_size ${JSON.stringify(config.vocab_size)} is not a positive integer`, { file: join(dir, 'config.json'), field: 'vocab_size' })
  }
  if (config.id2label !== undefined) {
    const keys = typeof config.id2label === 'object' && config.id2label ? Object.keys(config.id2label) : null
    if (!keys || keys.some((k, i) => String(i) !== [...keys].sort((a, b) => Number(a) - Number(b))[i])) {
      throw new AppError('bad_file', `${join(dir, 'config.json')}: id2label must map 0..n-1 to label names`, { file: join(dir, 'config.json'), field: 'id2label' })
    }
  }
  const tokenizerConfig = files.has('tokenizer_config.json') ? readJson(join(dir, 'tokenizer_config.json'), 'tokenizer configuration') : {}
  let tokenizerJson: Record<string, unknown>
  let tokenizerFile: string
  if (files.has('tokenizer.json')) {
    tokenizerFile = join(dir, 'tokenizer.json')
    tokenizerJson = readJson(tokenizerFile, 'tokenizer (tokenizers library format)')
    if (!tokenizerJson.model || typeof tokenizerJson.model !== 'object') throw new AppError('bad_file', `${tokenizerFile}: no "model" section; not a tokenizers-library tokenizer.json`, { file: tokenizerFile })
  } else if (files.has('vocab.txt')) {
    tokenizerFile = join(dir, 'vocab.txt')
    tokenizerJson = tokenizerJsonFromVocab(readFileSync(tokenizerFile, 'utf8'), tokenizerConfig, tokenizerFile)
  } else {
    throw new AppError('bad_file', `${dir}: no tokenizer.json (nor a BERT vocab.txt); export the tokenizer with the model`, { file: join(dir, 'tokenizer.json') })
  }
  return { dir, config, tokenizerJson, tokenizerFile, tokenizerConfig, graphs, kind }
}
