import { join } from 'node:path'
import { AppError } from '../../../../shared/api/errors'
import type { OnnxModel } from './model'
import { runSession, type TensorValue } from './session'
import { shiftTokensRight, targetLogLikelihoods } from './teacher-forcing'

/**
 * The log-likelihood of target texts given source texts under an encoder-decoder export
 * (encoder_model.onnx + decoder_model.onnx, as optimum-cli writes them for BART), by teacher
 * forcing, in the manner of neulab's BARTScorer.score: both sides tokenized with the special
 * tokens and cut to `maxLength` tokens (truncation from the right), each batch padded to its
 * longest row; the decoder reads the target shifted right behind decoder_start_token_id, with no
 * decoder attention mask (the causal mask alone, as BartForConditionalGeneration with `labels`).
 */
export interface PairLikelihood {
  /** Mean log-probability per target token (BARTScorer's score of the pair). */
  meanLogProb: number
  sumLogProb: number
  /** Target tokens counted (with <s> and </s>). */
  targetTokens: number
  sourceTokens: number
  /** Whether the source or the target was cut to maxLength. */
  truncated: boolean
}

export interface Seq2seqOptions {
  /** Tokens per text, special tokens included (BARTScorer: 1024). */
  maxLength: number
  /** Pairs per forward pass (BARTScorer.score's default: 4). */
  batchSize: number
}

/**
 * A tokenizer of another model with the same vocabulary size passes the load-time check; its
 * special tokens give it away: the ids it puts around a text (and pads with) must be the
 * model's bos/eos/pad ids where config.json names them.
 */
export function checkSpecialTokens(model: OnnxModel): void {
  const config = model.folder.config
  const configFile = join(model.folder.dir, 'config.json')
  const ids = model.tokenizer.encode('', null).ids
  const clash = (what: string, tok: number | undefined, key: string) => {
    const want = config[key]
    if (typeof want === 'number' && tok !== undefined && tok !== want) {
      throw new AppError('bad_file', `${model.tokenizer.file} does not match the model in ${configFile}: it ${what} ${tok} where ${key} is ${want}; this tokenizer belongs to another model`, { file: model.tokenizer.file })
    }
  }
  if (ids.length === 2) {
    clash('starts a text with token id', ids[0], 'bos_token_id')
    clash('ends a text with token id', ids[1], 'eos_token_id')
  }
  clash('pads with token id', model.tokenizer.padId, 'pad_token_id')
}

/** Checks that a loaded model can be teacher-forced: both graphs with the inputs and outputs used here. */
export function checkSeq2seq(model: OnnxModel): { decoderStart: number; pad: number; vocab: number } {
  const dir = model.folder.dir
  if (!model.sessions.has('encoder_model')) throw new AppError('bad_file', `${join(dir, 'encoder_model.onnx')}: missing; a BART export for scoring needs encoder_model.onnx and decoder_model.onnx`, { file: join(dir, 'encoder_model.onnx') })
  if (!model.sessions.has('decoder_model')) {
    const merged = model.folder.graphs.decoder_model_merged ? ' (decoder_model_merged.onnx alone is not enough: re-export without --no-post-process removal, or keep decoder_model.onnx)' : ''
    throw new AppError('bad_file', `${join(dir, 'decoder_model.onnx')}: missing; the BART export has no decoder${merged}. Export the whole model (optimum-cli export onnx --task text2text-generation).`, { file: join(dir, 'decoder_model.onnx') })
  }
  const enc = model.session('encoder_model')
  const dec = model.session('decoder_model')
  const need = (g: typeof enc, names: string[], kind: 'inputs' | 'outputs') => {
    const have = g[kind].map((x) => x.name)
    const missing = names.filter((n) => !have.includes(n))
    if (missing.length > 0) throw new AppError('bad_file', `${g.file}: no ${kind === 'inputs' ? 'input' : 'output'} ${missing.join(', ')} (it has ${have.join(', ')}); not an encoder-decoder export of the expected layout`, { file: g.file })
  }
  need(enc, ['input_ids', 'attention_mask'], 'inputs')
  need(enc, ['last_hidden_state'], 'outputs')
  need(dec, ['input_ids', 'encoder_hidden_states', 'encoder_attention_mask'], 'inputs')
  need(dec, ['logits'], 'outputs')
  const extra = dec.inputs.map((i) => i.name).filter((n) => !['input_ids', 'encoder_hidden_states', 'encoder_attention_mask'].includes(n))
  if (extra.length > 0) throw new AppError('bad_file', `${dec.file}: takes ${extra.join(', ')} as well (a decoder with past key values); scoring needs the plain decoder_model.onnx`, { file: dec.file })
  checkSpecialTokens(model)
  const config = model.folder.config
  const configFile = join(dir, 'config.json')
  const decoderStart = typeof config.decoder_start_token_id === 'number' ? config.decoder_start_token_id : typeof config.eos_token_id === 'number' ? config.eos_token_id : null
  if (decoderStart === null) throw new AppError('bad_file', `${configFile}: no decoder_start_token_id (nor eos_token_id); the decoder's first input is unknown`, { file: configFile, field: 'decoder_start_token_id' })
  const pad = typeof config.pad_token_id === 'number' ? config.pad_token_id : model.tokenizer.padId
  const vocab = typeof config.vocab_size === 'number' ? config.vocab_size : null
  if (vocab === null) throw new AppError('bad_file', `${configFile}: no vocab_size`, { file: configFile, field: 'vocab_size' })
  return { decoderStart, pad, vocab }
}

/** Scores pairs batch by batch, in order; yields each batch's results. */
export async function* seq2seqLikelihoods(model: OnnxModel, sources: readonly string[], targets: readonly string[], opts: Seq2seqOptions): AsyncGenerator<{ start: number; pairs: PairLikelihood[] }> {
  if (sources.length !== targets.length) throw new AppError('invalid_input', `${sources.length} source texts but ${targets.length} targets`)
  if (!(Number.isInteger(opts.batchSize) && opts.batchSize > 0)) throw new AppError('invalid_input', `batch size ${opts.batchSize} is not a positive integer`)
  if (!(Number.isInteger(opts.maxLength) && opts.maxLength > 2)) throw new AppError('invalid_input', `maximum length ${opts.maxLength} is not an integer above 2`)
  const { decoderStart, pad, vocab } = checkSeq2seq(model)
  const enc = model.session('encoder_model')
  const dec = model.session('decoder_model')
  for (let start = 0; start < sources.length; start += opts.batchSize) {
    const src = model.tokenizer.encodeBatch(sources.slice(start, start + opts.batchSize), opts.maxLength)
    const tgt = model.tokenizer.encodeBatch(targets.slice(start, start + opts.batchSize), opts.maxLength)
    const srcDims = [src.batch, src.length]
    const srcMask: TensorValue = { type: 'int64', data: src.attentionMask, dims: srcDims }
    const hidden = (await runSession(enc, model.feeds(enc, src), ['last_hidden_state'])).last_hidden_state
    const decoderIds = shiftTokensRight(tgt.inputIds, tgt.batch, tgt.length, decoderStart, pad)
    const out = await runSession(dec, { input_ids: { type: 'int64', data: decoderIds, dims: [tgt.batch, tgt.length] }, encoder_hidden_states: hidden, encoder_attention_mask: srcMask }, ['logits'])
    const logits = out.logits
    if (logits.type !== 'float32' || logits.dims.length !== 3 || logits.dims[0] !== tgt.batch || logits.dims[1] !== tgt.length) {
      throw new AppError('bad_file', `${dec.file}: logits are ${logits.type} [${logits.dims.join(', ')}], expected float32 [${tgt.batch}, ${tgt.length}, vocabulary]`, { file: dec.file })
    }
    if (logits.dims[2] !== vocab) throw new AppError('bad_file', `${dec.file}: logits over ${logits.dims[2]} tokens but ${join(model.folder.dir, 'config.json')} gives vocab_size ${vocab}`, { file: dec.file })
    const lls = targetLogLikelihoods(logits.data, tgt.inputIds, tgt.batch, tgt.length, vocab, tgt.lengths, pad)
    const srcCut = new Set(src.truncated)
    const tgtCut = new Set(tgt.truncated)
    yield {
      start,
      pairs: lls.map((l, i) => ({ meanLogProb: l.meanLogProb, sumLogProb: l.sumLogProb, targetTokens: l.tokens, sourceTokens: src.lengths[i], truncated: srcCut.has(i) || tgtCut.has(i) }))
    }
  }
}
