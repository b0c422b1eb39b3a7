import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { AppError } from '../../../../shared/api/errors'
import { readJson } from './folder'
import type { OnnxModel } from './model'
import type { GraphSession, TensorValue } from './session'
import { argmax, processScores, type GreedyRules } from './logits'
import { selectRows } from './tensors'
import { beamSearch } from './beam'
import { decoderSteps, encodeBatch } from './encode'

/**
 * Greedy generation with an encoder-decoder export in Optimum's layout (MentalBART, MentalT5), as
 * IMHI.py runs a non-LLaMA model on the IMHI-completion queries (MentalLLaMA src/IMHI.py,
 * generate_response):
 *
 *     tokenizer = AutoTokenizer.from_pretrained(model_path); tokenizer.pad_token = tokenizer.unk_token
 *     inputs = tokenizer(batch_data, return_tensors="pt", padding=True)      # no truncation
 *     generate_ids = model.generate(input_ids, attention_mask=attention_mask, max_length=2048)
 *     response = tokenizer.decode(ids, skip_special_tokens=True, spaces_between_special_tokens=False)
 *
 * Here: each query is tokenized with the model's special tokens (BART: <s> X </s>; T5: X </s>),
 * a batch is right-padded with the unk token's id under an attention mask, the encoder runs once,
 * and the decoder runs from decoder_start_token_id one token a step, greedily, with the logits
 * processors transformers builds from the generation config (logits.ts). A row ends at an EOS
 * token or at max_length decoder tokens; finished rows leave the batch (their results cannot
 * depend on the rows beside them). The decoder runs:
 *   - 'with-past': decoder_model.onnx for the first step (its present.* outputs are the cache),
 *     then decoder_with_past_model.onnx one new token a step (Optimum's two-graph export);
 *   - 'recompute': decoder_model.onnx alone (an export without past key values) over the whole
 *     decoder sequence each step (the same numbers, more work: O(n^2) in the output length).
 */

export type DecoderMode = 'with-past' | 'recompute'

/** What generation uses of a folder: resolved once when the model is loaded, recorded in provenance. */
export interface Seq2seqPlan {
  mode: DecoderMode
  modelType: string | null
  /** Where the decoding settings came from: generation_config.json, else config.json (GenerationConfig.from_model_config). */
  configFile: string
  decoderStart: number
  /** pad_token_id: what finished rows are padded with in transformers' output (eos when unset). */
  pad: number
  /** The id the inputs are padded with: the unk token's (IMHI.py sets pad_token = unk_token). */
  inputPad: number
  rules: GreedyRules
  /** Positions the model's learned position embeddings allow (BART: max_position_embeddings); null for relative positions (T5). */
  maxPositions: number | null
  /** Decoder layers (past_key_values.{i}.* per layer); 0 for 'recompute'. */
  layers: number
  /**
   * num_beams of the generation config: 1 is greedy search; more is transformers' beam search
   * (beamSearch below) with length_penalty and early_stopping, as generate applies the config.
   */
  numBeams: number
  lengthPenalty: number
  earlyStopping: boolean
  /** do_sample in the config: sampling is not reproduced (decoding stays deterministic); recorded. */
  configDoSample: boolean
}

export interface GenerateItem {
  key: number
  text: string
}

export interface GeneratedItem {
  key: number
  /** The decoder sequence: decoder_start_token_id, the generated ids, the EOS when there was one. */
  ids: number[]
  text: string
  /** Encoder tokens fed (special tokens included), and before cutting at the position limit. */
  promptTokens: number
  promptTokensFull: number
  /** Tokens generated (ids after the start token). */
  generatedTokens: number
  finish: 'eog' | 'maxTokens' | 'stopped'
  /** From the batch's start to this row's first generated token, and to its last. */
  timeToFirstTokenMs: number
  seconds: number
  /** The decoder length limit this row ran under (transformers' max_length). */
  maxLength: number
  batchSize: number
}

export interface GenerateOptions {
  /** Rows decoded together (IMHI.py's --batch_size, 24 by default). */
  batchSize: number
  /** New tokens at most: transformers' max_length is this + 1 (the start token). IMHI.py: max_length 2048, i.e. 2047. */
  maxNewTokens: number
}

export interface GenerateHooks {
  /** A row finished (EOS or max_length), in the order rows finish. */
  item(result: GeneratedItem): void
  /** Tokens generated so far by the call (all rows). */
  tokens?(total: number): void
  /** The text so far of a row, after every step (single-post streaming). */
  text?(key: number, text: string, tokens: number): void
  /** Checked between steps: true stops the call; unfinished rows are reported with finish 'stopped' only when `reportStopped`. */
  aborted?(): boolean
  reportStopped?: boolean
}

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isInteger(v) ? v : null)
const ids = (v: unknown): number[] | null => (Array.isArray(v) && v.every((x) => Number.isInteger(x)) ? (v as number[]) : num(v) !== null ? [v as number] : null)

/** Generation-config keys whose non-default values change what greedy generate does in ways not reproduced here. */
const UNSUPPORTED: Record<string, (v: unknown) => boolean> = {
  bad_words_ids: (v) => v !== null && v !== undefined,
  suppress_tokens: (v) => v !== null && v !== undefined,
  begin_suppress_tokens: (v) => v !== null && v !== undefined,
  forced_decoder_ids: (v) => v !== null && v !== undefined,
  encoder_no_repeat_ngram_size: (v) => typeof v === 'number' && v > 0,
  exponential_decay_length_penalty: (v) => v !== null && v !== undefined,
  min_new_tokens: (v) => v !== null && v !== undefined,
  renormalize_logits: (v) => v === true
}

/**
 * Checks a loaded folder for generation and resolves its decoding settings as transformers'
 * generate does with greedy defaults. Every problem names the file and what is missing.
 */
export function seq2seqPlan(model: OnnxModel): Seq2seqPlan {
  const dir = model.folder.dir
  const config = model.folder.config
  const configFile = join(dir, 'config.json')
  if (config.is_encoder_decoder === false) throw new AppError('bad_file', `${configFile}: is_encoder_decoder is false; generation here needs an encoder-decoder model (BART, T5)`, { file: configFile })
  const enc = model.sessions.get('encoder_model')
  const dec = model.sessions.get('decoder_model')
  if (!enc) throw new AppError('bad_file', `${join(dir, 'encoder_model.onnx')}: missing; a seq2seq export holds encoder_model.onnx and decoder_model.onnx (scripts/convert_checkpoints.py seq2seq)`, { file: join(dir, 'encoder_model.onnx') })
  if (!dec) {
    const merged = model.folder.graphs.decoder_model_merged ? ' It has decoder_model_merged.onnx only: export without merging the decoders (optimum-cli export onnx --no-post-process; scripts/convert_checkpoints.py seq2seq does).' : ''
    throw new AppError('bad_file', `${join(dir, 'decoder_model.onnx')}: missing; a seq2seq export holds encoder_model.onnx and decoder_model.onnx.${merged}`, { file: join(dir, 'decoder_model.onnx') })
  }
  const need = (g: GraphSession, names: string[], kind: 'inputs' | 'outputs') => {
    const have = g[kind].map((x) => x.name)
    const missing = names.filter((n) => !have.includes(n))
    if (missing.length > 0) throw new AppError('bad_file', `${g.file}: no ${kind === 'inputs' ? 'input' : 'output'} ${missing.join(', ')} (it has ${have.join(', ')}); not an encoder-decoder export in Optimum's layout`, { file: g.file })
  }
  need(enc, ['input_ids', 'attention_mask'], 'inputs')
  need(enc, ['last_hidden_state'], 'outputs')
  need(dec, ['input_ids', 'encoder_hidden_states', 'encoder_attention_mask'], 'inputs')
  need(dec, ['logits'], 'outputs')
  const extra = dec.inputs.map((i) => i.name).filter((n) => !['input_ids', 'encoder_hidden_states', 'encoder_attention_mask'].includes(n))
  if (extra.length > 0) throw new AppError('bad_file', `${dec.file}: takes ${extra.join(', ')} as well; expected decoder_model.onnx without past inputs (Optimum's first-step decoder)`, { file: dec.file })

  const past = model.sessions.get('decoder_with_past_model')
  let mode: DecoderMode = 'recompute'
  let layers = 0
  if (past) {
    layers = past.inputs.filter((i) => /^past_key_values\.\d+\.decoder\.key$/.test(i.name)).length
    const want = Array.from({ length: layers }, (_, i) => [`past_key_values.${i}.decoder.key`, `past_key_values.${i}.decoder.value`, `past_key_values.${i}.encoder.key`, `past_key_values.${i}.encoder.value`]).flat()
    if (layers === 0) throw new AppError('bad_file', `${past.file}: no past_key_values.0.decoder.key input; not a decoder with past key values in Optimum's layout`, { file: past.file })
    need(past, ['input_ids', 'encoder_attention_mask', ...want], 'inputs')
    need(past, ['logits', ...Array.from({ length: layers }, (_, i) => [`present.${i}.decoder.key`, `present.${i}.decoder.value`]).flat()], 'outputs')
    const presents = Array.from({ length: layers }, (_, i) => [`present.${i}.decoder.key`, `present.${i}.decoder.value`, `present.${i}.encoder.key`, `present.${i}.encoder.value`]).flat()
    const missing = presents.filter((n) => !dec.outputs.some((o) => o.name === n))
    if (missing.length > 0) {
      throw new AppError('bad_file', `${dec.file}: no output ${missing.slice(0, 4).join(', ')}${missing.length > 4 ? ', ...' : ''}; beside ${past.file} the first-step decoder must return the cache (export both with the -with-past task)`, { file: dec.file })
    }
    mode = 'with-past'
  }

  const genFile = join(dir, 'generation_config.json')
  const gen = existsSync(genFile) ? readJson(genFile, 'generation configuration') : null
  const src = gen ?? config
  const srcFile = gen ? genFile : configFile
  for (const [k, bad] of Object.entries(UNSUPPORTED)) {
    if (bad(src[k])) throw new AppError('unsupported', `${srcFile}: ${k} ${JSON.stringify(src[k])} is not supported by the seq2seq engine (greedy decoding with min_length, no_repeat_ngram_size, repetition_penalty, forced BOS/EOS)`, { file: srcFile, field: k })
  }
  const pick = (k: string): unknown => (src[k] !== undefined && src[k] !== null ? src[k] : gen ? config[k] : undefined)
  const decoderStart = num(pick('decoder_start_token_id')) ?? num(pick('bos_token_id'))
  if (decoderStart === null) throw new AppError('bad_file', `${srcFile}: no decoder_start_token_id (nor bos_token_id); the decoder's first input is unknown`, { file: srcFile, field: 'decoder_start_token_id' })
  const eos = ids(pick('eos_token_id')) ?? []
  const pad = num(pick('pad_token_id')) ?? eos[0] ?? 0
  const unkToken = model.folder.tokenizerConfig.unk_token
  const unkName = typeof unkToken === 'string' ? unkToken : typeof (unkToken as { content?: unknown })?.content === 'string' ? (unkToken as { content: string }).content : '<unk>'
  const inputPad = model.tokenizer.tokenId(unkName) ?? model.tokenizer.padId
  const positive = (k: string, d: number) => {
    const v = src[k]
    if (v === undefined || v === null) return d
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new AppError('bad_file', `${srcFile}: ${k} ${JSON.stringify(v)} is not a non-negative number`, { file: srcFile, field: k })
    return v
  }
  const rules: GreedyRules = {
    eos,
    minLength: positive('min_length', 0),
    noRepeatNgram: positive('no_repeat_ngram_size', 0),
    repetitionPenalty: positive('repetition_penalty', 1),
    forcedBos: num(src.forced_bos_token_id),
    forcedEos: ids(src.forced_eos_token_id)
  }
  const numBeams = num(src.num_beams) ?? 1
  if (numBeams < 1 || numBeams > 16) throw new AppError('bad_file', `${srcFile}: num_beams ${numBeams} must be from 1 to 16`, { file: srcFile, field: 'num_beams' })
  if (src.early_stopping !== undefined && src.early_stopping !== null && typeof src.early_stopping !== 'boolean') {
    throw new AppError('unsupported', `${srcFile}: early_stopping ${JSON.stringify(src.early_stopping)} is not supported (true or false)`, { file: srcFile, field: 'early_stopping' })
  }
  if ((num(src.num_return_sequences) ?? 1) !== 1) throw new AppError('unsupported', `${srcFile}: num_return_sequences ${JSON.stringify(src.num_return_sequences)} is not supported (one text per query)`, { file: srcFile, field: 'num_return_sequences' })
  if ((num(src.num_beam_groups) ?? 1) !== 1) throw new AppError('unsupported', `${srcFile}: num_beam_groups ${JSON.stringify(src.num_beam_groups)} (group beam search) is not supported`, { file: srcFile, field: 'num_beam_groups' })
  if (rules.repetitionPenalty === 0) throw new AppError('bad_file', `${srcFile}: repetition_penalty must be above 0`, { file: srcFile, field: 'repetition_penalty' })
  const mp = config.max_position_embeddings
  return {
    mode,
    modelType: typeof config.model_type === 'string' ? config.model_type : null,
    configFile: srcFile,
    decoderStart,
    pad,
    inputPad,
    rules,
    maxPositions: typeof mp === 'number' && Number.isInteger(mp) && mp > 0 ? mp : null,
    layers,
    numBeams,
    lengthPenalty: typeof src.length_penalty === 'number' && Number.isFinite(src.length_penalty) ? src.length_penalty : 1,
    earlyStopping: src.early_stopping === true,
    configDoSample: src.do_sample === true
  }
}

interface Row {
  key: number
  ids: number[]
  promptTokens: number
  promptTokensFull: number
  firstTokenMs: number
  /** Text streamed so far, and the last decode of the row. */
  text: string
  lastDecode: string
}

/**
 * Generates for `items` in batches of opts.batchSize, in order; each row is reported as it ends.
 * Returns whether the call was stopped (hooks.aborted) before every item ended.
 */
export async function generateSeq2seq(model: OnnxModel, plan: Seq2seqPlan, items: readonly GenerateItem[], opts: GenerateOptions, hooks: GenerateHooks): Promise<{ aborted: boolean }> {
  if (!(Number.isInteger(opts.batchSize) && opts.batchSize > 0)) throw new AppError('invalid_input', `batch size ${opts.batchSize} is not a positive integer`)
  if (!(Number.isInteger(opts.maxNewTokens) && opts.maxNewTokens > 0)) throw new AppError('invalid_input', `maximum new tokens ${opts.maxNewTokens} is not a positive integer`)
  // transformers' max_length counts the decoder start token; learned positions cap it (BART's
  // decoder has max_position_embeddings positions: transformers would fail past them).
  const maxLength = Math.min(opts.maxNewTokens + 1, plan.maxPositions ?? Infinity)
  const state = { tokens: 0 }
  for (let start = 0; start < items.length; start += opts.batchSize) {
    const run = plan.numBeams > 1 ? beamSearch : generateBatch
    const { aborted } = await run(model, plan, items.slice(start, start + opts.batchSize), maxLength, hooks, state)
    if (aborted) return { aborted: true }
  }
  return { aborted: false }
}

async function generateBatch(model: OnnxModel, plan: Seq2seqPlan, items: readonly GenerateItem[], maxLength: number, hooks: GenerateHooks, state: { tokens: number }): Promise<{ aborted: boolean }> {
  const started = performance.now()
  const batchSize = items.length
  const first = await encodeBatch(model, plan, items)
  const { encoded, dec, withPast } = first
  let encMask: TensorValue = first.mask
  let hidden: TensorValue = first.hidden
  const tok = model.tokenizer
  let rows: Row[] = items.map((it, i) => ({ key: it.key, ids: [plan.decoderStart], promptTokens: encoded[i].ids.length, promptTokensFull: encoded[i].fullLength, firstTokenMs: 0, text: '', lastDecode: '' }))
  let past: Record<string, TensorValue> | null = null
  const step = decoderSteps(plan, dec, withPast)

  const finish = (r: Row, how: GeneratedItem['finish']) => {
    const now = performance.now()
    hooks.item({
      key: r.key,
      ids: r.ids,
      text: tok.decode(r.ids, { skipSpecialTokens: true }),
      promptTokens: r.promptTokens,
      promptTokensFull: r.promptTokensFull,
      generatedTokens: r.ids.length - 1,
      finish: how,
      timeToFirstTokenMs: Math.round(r.firstTokenMs),
      seconds: (now - started) / 1000,
      maxLength,
      batchSize
    })
  }

  while (rows.length > 0) {
    if (hooks.aborted?.()) {
      if (hooks.reportStopped) for (const r of rows) finish(r, 'stopped')
      return { aborted: true }
    }
    const b = rows.length
    const stepped = await step(rows.map((r) => r.ids), hidden, encMask, past)
    past = stepped.past
    const logits = stepped.logits
    const steps = logits.dims[1]
    const vocab = logits.dims[2]
    const now = performance.now()
    const keep: number[] = []
    const next: Row[] = []
    rows.forEach((r, i) => {
      const base = (i * steps + steps - 1) * vocab
      const scores = logits.data.slice(base, base + vocab)
      processScores(scores, r.ids, plan.rules, maxLength)
      const id = argmax(scores)
      r.ids.push(id)
      state.tokens++
      if (r.ids.length === 2) r.firstTokenMs = now - started
      if (hooks.text) {
        // Streamed: only what two successive decodes agree on (a half-decoded UTF-8 character, or
        // a space that clean-up removes before punctuation, waits for the next token).
        const text = tok.decode(r.ids, { skipSpecialTokens: true })
        let common = 0
        while (common < text.length && common < r.lastDecode.length && text[common] === r.lastDecode[common]) common++
        const stable = text.slice(0, common)
        if (stable.length > r.text.length && stable.startsWith(r.text)) {
          hooks.text(r.key, stable.slice(r.text.length), r.ids.length - 1)
          r.text = stable
        }
        r.lastDecode = text
      }
      if (plan.rules.eos.includes(id)) finish(r, 'eog')
      else if (r.ids.length >= maxLength) finish(r, 'maxTokens')
      else {
        keep.push(i)
        next.push(r)
      }
    })
    hooks.tokens?.(state.tokens)
    if (next.length > 0 && next.length < b) {
      // Finished rows leave the batch: every tensor with a batch dimension keeps the others' rows.
      encMask = selectRows(encMask, keep)
      hidden = selectRows(hidden, keep)
      if (past) for (const k of Object.keys(past)) past[k] = selectRows(past[k], keep)
    }
    rows = next
  }
  return { aborted: false }
}
