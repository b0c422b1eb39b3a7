import { AppError } from '../../../../shared/api/errors'
import type { OnnxModel } from './model'
import { runSession, type GraphSession, type TensorValue } from './session'
import type { GenerateItem, Seq2seqPlan } from './generate'

/**
 * The encoder side of one batch, shared by greedy and beam decoding: the model's special tokens
 * around each query, cut (from the right, keeping the closing </s>) only where learned positions
 * end, where transformers would fail instead; padded with the plan's input pad, as IMHI.py sets
 * pad = unk; run once through encoder_model.onnx.
 */
export async function encodeBatch(model: OnnxModel, plan: Seq2seqPlan, items: readonly GenerateItem[]) {
  const enc = model.session('encoder_model')
  const rows = items.length
  const encoded = items.map((it) => model.tokenizer.encode(it.text, plan.maxPositions))
  const length = Math.max(...encoded.map((e) => e.ids.length))
  const inputIds = new BigInt64Array(rows * length).fill(BigInt(plan.inputPad))
  const data = new BigInt64Array(rows * length)
  encoded.forEach((e, i) => {
    for (let j = 0; j < e.ids.length; j++) {
      inputIds[i * length + j] = BigInt(e.ids[j])
      data[i * length + j] = 1n
    }
  })
  const mask: TensorValue = { type: 'int64', data, dims: [rows, length] }
  const hidden = (await runSession(enc, { input_ids: { type: 'int64', data: inputIds, dims: [rows, length] }, attention_mask: mask }, ['last_hidden_state'])).last_hidden_state
  if (hidden.type !== 'float32' || hidden.dims.length !== 3 || hidden.dims[0] !== rows) {
    throw new AppError('bad_file', `${enc.file}: last_hidden_state is ${hidden.type} [${hidden.dims.join(', ')}], expected float32 [batch, tokens, hidden]`, { file: enc.file })
  }
  return {
    encoded,
    hidden,
    mask,
    dec: model.session('decoder_model'),
    withPast: plan.mode === 'with-past' ? model.session('decoder_with_past_model') : null
  }
}

/**
 * One decoder step for every row of a batch, shared by greedy and beam decoding. Without past key
 * values (the first step in both modes, every step in 'recompute') the whole decoder sequence goes
 * through decoder_model.onnx; with them only each row's last token goes through
 * decoder_with_past_model.onnx and the self-attention cache is updated in place (the cross-attention
 * cache of the first step is kept). Returns the step's logits, checked, and the cache.
 */
export function decoderSteps(plan: Seq2seqPlan, dec: GraphSession, withPast: GraphSession | null) {
  const present = (i: number, parts: readonly string[]) => parts.map((p) => `present.${i}.${p}`)
  const layers = Array.from({ length: plan.layers }, (_, i) => i)
  const wantFirst = plan.mode === 'with-past' ? ['logits', ...layers.flatMap((i) => present(i, ['decoder.key', 'decoder.value', 'encoder.key', 'encoder.value']))] : ['logits']
  const wantNext = ['logits', ...layers.flatMap((i) => present(i, ['decoder.key', 'decoder.value']))]
  const pastTakesHidden = withPast?.inputs.some((i) => i.name === 'encoder_hidden_states') ?? false
  return async function step(
    ids: readonly (readonly number[])[],
    hidden: TensorValue,
    encMask: TensorValue,
    past: Record<string, TensorValue> | null
  ): Promise<{ logits: Extract<TensorValue, { type: 'float32' }>; past: Record<string, TensorValue> | null }> {
    const rows = ids.length
    const t = ids[0].length
    let out: Record<string, TensorValue>
    if (past === null || withPast === null) {
      const decIds = new BigInt64Array(rows * t)
      ids.forEach((r, i) => r.forEach((id, j) => (decIds[i * t + j] = BigInt(id))))
      out = await runSession(dec, { input_ids: { type: 'int64', data: decIds, dims: [rows, t] }, encoder_hidden_states: hidden, encoder_attention_mask: encMask }, wantFirst)
      if (plan.mode === 'with-past') {
        past = {}
        for (let i = 0; i < plan.layers; i++) {
          for (const part of ['decoder.key', 'decoder.value', 'encoder.key', 'encoder.value']) past[`past_key_values.${i}.${part}`] = out[`present.${i}.${part}`]
        }
      }
    } else {
      const last = BigInt64Array.from(ids.map((r) => BigInt(r[r.length - 1])))
      const feeds: Record<string, TensorValue> = { input_ids: { type: 'int64', data: last, dims: [rows, 1] }, encoder_attention_mask: encMask, ...past }
      if (pastTakesHidden) feeds.encoder_hidden_states = hidden
      out = await runSession(withPast, feeds, wantNext)
      for (let i = 0; i < plan.layers; i++) {
        past[`past_key_values.${i}.decoder.key`] = out[`present.${i}.decoder.key`]
        past[`past_key_values.${i}.decoder.value`] = out[`present.${i}.decoder.value`]
      }
    }
    const logits = out.logits
    if (logits.type !== 'float32' || logits.dims.length !== 3 || logits.dims[0] !== rows) {
      throw new AppError('bad_file', `${dec.file}: logits are ${logits.type} [${logits.dims.join(', ')}], expected float32 [${rows}, tokens, vocabulary]`, { file: dec.file })
    }
    return { logits, past }
  }
}
