import { AppError } from '../../../../shared/api/errors'
import type { OnnxModel } from './model'
import { runSession, type TensorValue } from './session'
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
