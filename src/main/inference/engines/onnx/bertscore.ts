import { join } from 'node:path'
import { AppError } from '../../../../shared/api/errors'
import type { OnnxModel } from './model'
import { runSession } from './session'
import { checkSpecialTokens } from './seq2seq'
import { greedyMatching, normalizeRows, type MatchScores, type TokenEmbeddings } from './greedy-matching'

/**
 * BERTScore with an encoder export (model.onnx with a last_hidden_state output), as bert_score
 * computes it for HF evaluate's `bertscore` with idf=False and no baseline rescaling:
 *  - each text is stripped; an empty one is just the two special tokens
 *    (tokenizer.build_inputs_with_special_tokens([])); RoBERTa and GPT-2 tokenizers get a leading
 *    space (bert_score passes add_prefix_space=True, see isByteLevel); the text is cut to the
 *    tokenizer's model_max_length;
 *  - the embedding of each token is the hidden state after layer N (bert_score cuts the model
 *    after N layers; an export is made from the cut model, so its config.json says N layers);
 *  - greedy matching in batches of `batchSize` pairs (see greedy-matching.ts).
 */
export interface BertScoreOptions {
  /** Pairs per greedy-matching batch (bert_score's batch_size; score.py passes 16). */
  batchSize: number
  /** Texts per encoder pass. */
  embedBatchSize?: number
}

export interface BertScorePairs {
  scores: MatchScores[]
  /** Tokens of each candidate and reference as embedded (special tokens included). */
  candidateTokens: number[]
  referenceTokens: number[]
  /** Pairs whose candidate or reference was cut to the tokenizer's model_max_length. */
  truncated: number[]
}

/**
 * Whether bert_score encodes with add_prefix_space=True: it does for instances of the slow
 * RobertaTokenizer or GPT2Tokenizer (its sent_encode). In current transformers BART's, Longformer's
 * and DeBERTa's tokenizers are classes of their own, not subclasses, so they get no prefix space.
 * Known from tokenizer_config.json's tokenizer_class, else from config.json's model_type.
 */
export function isByteLevel(model: OnnxModel): boolean {
  const cls = model.folder.tokenizerConfig.tokenizer_class
  if (typeof cls === 'string' && cls !== '') return /^(Roberta|GPT2)Tokenizer(Fast)?$/.test(cls)
  return ['roberta', 'gpt2'].includes(String(model.folder.config.model_type ?? ''))
}

/** The text bert_score's sent_encode tokenizes. */
export function bertScoreText(text: string, byteLevel: boolean): string {
  const s = text.trim()
  return s !== '' && byteLevel ? ' ' + s : s
}

/** The layer of the export: config.json's num_hidden_layers (the export is cut after that layer). */
export function exportLayer(model: OnnxModel): number | null {
  const n = model.folder.config.num_hidden_layers ?? model.folder.config.n_layers ?? model.folder.config.num_layers
  return typeof n === 'number' && Number.isInteger(n) && n >= 0 ? n : null
}

export function checkBertScoreModel(model: OnnxModel, layer: number | null): { layer: number | null; clsSep: number[] } {
  const g = model.encoderSession
  const dir = model.folder.dir
  if (!g || !model.sessions.has('model')) throw new AppError('bad_file', `${join(dir, 'model.onnx')}: missing; BERTScore needs an encoder export (model.onnx with last_hidden_state)`, { file: join(dir, 'model.onnx') })
  if (!g.outputs.some((o) => o.name === 'last_hidden_state')) throw new AppError('bad_file', `${g.file}: no last_hidden_state output (it has ${g.outputs.map((o) => o.name).join(', ')}); export the encoder with the feature-extraction task`, { file: g.file })
  const have = exportLayer(model)
  if (layer !== null && have !== null && layer !== have) {
    throw new AppError('invalid_input', `${join(dir, 'config.json')}: this export ends after layer ${have}, so its last_hidden_state is layer ${have}'s output, not layer ${layer}'s; export the encoder cut after layer ${layer} (scripts/convert_bertscore_encoder.py --layer ${layer}) or score at layer ${have}`, { file: join(dir, 'config.json'), field: 'num_hidden_layers' })
  }
  checkSpecialTokens(model)
  const empty = model.tokenizer.encode('', null).ids
  if (empty.length !== 2) throw new AppError('bad_file', `${model.tokenizer.file}: puts ${empty.length} special tokens around a text; BERTScore expects two (CLS ... SEP or <s> ... </s>)`, { file: model.tokenizer.file })
  return { layer: layer ?? have, clsSep: empty }
}

/** BERTScore P/R/F1 of each candidate against its reference. */
export async function bertScorePairs(model: OnnxModel, candidates: readonly string[], references: readonly string[], opts: BertScoreOptions): Promise<BertScorePairs> {
  if (candidates.length !== references.length) throw new AppError('invalid_input', `${candidates.length} candidates but ${references.length} references`)
  if (!(Number.isInteger(opts.batchSize) && opts.batchSize > 0)) throw new AppError('invalid_input', `batch size ${opts.batchSize} is not a positive integer`)
  const { clsSep } = checkBertScoreModel(model, null)
  const byteLevel = isByteLevel(model)
  const maxLength = model.tokenizer.modelMaxLength
  const unique = [...new Set([...candidates, ...references])]
  const embedded = new Map<string, { e: TokenEmbeddings; truncated: boolean }>()
  const texts = unique.map((t) => bertScoreText(t, byteLevel))
  const g = model.session('model')
  const step = opts.embedBatchSize ?? 16
  for (let start = 0; start < texts.length; start += step) {
    const batch = model.tokenizer.encodeBatch(texts.slice(start, start + step), maxLength)
    const h = (await runSession(g, model.feeds(g, batch), ['last_hidden_state'])).last_hidden_state
    if (h.type !== 'float32' || h.dims.length !== 3 || h.dims[0] !== batch.batch || h.dims[1] !== batch.length) {
      throw new AppError('bad_file', `${g.file}: last_hidden_state is ${h.type} [${h.dims.join(', ')}], expected float32 [batch, tokens, hidden]`, { file: g.file })
    }
    const dim = h.dims[2]
    const cut = new Set(batch.truncated)
    for (let i = 0; i < batch.batch; i++) {
      const tokens = batch.lengths[i]
      const data = h.data.slice(i * batch.length * dim, (i * batch.length + tokens) * dim)
      // bert_score without idf: idf_dict[cls_token_id] = idf_dict[sep_token_id] = 0, wherever those ids occur
      const weights = new Float32Array(tokens)
      for (let k = 0; k < tokens; k++) weights[k] = clsSep.includes(Number(batch.inputIds[i * batch.length + k])) ? 0 : 1
      embedded.set(unique[start + i], { e: normalizeRows({ data, tokens, dim, weights }), truncated: cut.has(i) })
    }
  }
  const hyps = candidates.map((c) => embedded.get(c)!)
  const refs = references.map((r) => embedded.get(r)!)
  return {
    scores: greedyMatching(hyps.map((h) => h.e), refs.map((r) => r.e), opts.batchSize),
    candidateTokens: hyps.map((h) => h.e.tokens),
    referenceTokens: refs.map((r) => r.e.tokens),
    truncated: candidates.flatMap((_, k) => (hyps[k].truncated || refs[k].truncated ? [k] : []))
  }
}
