import { parentPort } from 'node:worker_threads'
import { AppError } from '../../../../shared/api/errors'
import { OnnxModel, type ForwardBatch } from './model'
import { runSession } from './session'
import { seq2seqLikelihoods, type PairLikelihood } from './seq2seq'
import { bertScorePairs, checkBertScoreModel } from './bertscore'
import { generateSeq2seq, seq2seqPlan } from './generate'
import type { ClassifyResult, FromOnnxWorker, OnnxRequest, OnnxResults, ToOnnxWorker } from './protocol'

// The ONNX worker thread: owns every ONNX Runtime session and tokenizer, so tokenizing and
// running models never block the thread that answers the UI.

const port = parentPort
if (!port) throw new Error('the ONNX worker must run in a worker thread')
const post = (msg: FromOnnxWorker, transfer: ArrayBuffer[] = []) => port.postMessage(msg, transfer)

const models = new Map<number, OnnxModel>()
let nextModel = 1
/** Generation jobs in flight, by job id: set to true to stop one between decoder steps. */
const stopped = new Map<string, boolean>()

function model(id: number): OnnxModel {
  const m = models.get(id)
  if (!m) throw new AppError('not_found', `ONNX model ${id} is not loaded`)
  return m
}

async function handle(msgId: number, req: OnnxRequest): Promise<OnnxResults[keyof OnnxResults]> {
  switch (req.op) {
    case 'load': {
      const m = await OnnxModel.load(req.dir, req.options)
      const id = nextModel++
      models.set(id, m)
      return m.info(id)
    }
    case 'unload': {
      const m = models.get(req.id)
      models.delete(req.id)
      if (m) await m.release()
      return { unloaded: !!m }
    }
    case 'run':
      return await runSession(model(req.id).session(req.session), req.feeds, req.outputs)
    case 'tokenize':
      return model(req.id).tokenizer.encodeBatch(req.texts, req.maxLength)
    case 'forward': {
      const out: ForwardBatch[] = []
      for await (const b of model(req.id).forward(req.texts, req)) {
        out.push(b)
        post({ type: 'progress', id: msgId, done: b.start + b.encoded.batch, total: req.texts.length })
      }
      return out
    }
    case 'classify': {
      const started = performance.now()
      const name = req.output ?? 'logits'
      let labels = -1
      let logits = new Float32Array(0)
      const tokens: number[] = []
      const truncated: number[] = []
      for await (const b of model(req.id).forward(req.texts, { maxLength: req.maxLength, batchSize: req.batchSize, outputs: [name] })) {
        const t = b.outputs[name]
        if (t.type !== 'float32' || t.dims.length !== 2 || t.dims[0] !== b.encoded.batch) {
          throw new AppError('bad_file', `${model(req.id).encoderSession?.file}: output ${name} is ${t.type} [${t.dims.join(', ')}], not the [batch, labels] float logits of a sequence classifier`)
        }
        if (labels < 0) {
          labels = t.dims[1]
          logits = new Float32Array(req.texts.length * labels)
        }
        logits.set(t.data, b.start * labels)
        tokens.push(...b.encoded.lengths)
        truncated.push(...b.encoded.truncated.map((i) => b.start + i))
        post({ type: 'progress', id: msgId, done: b.start + b.encoded.batch, total: req.texts.length })
      }
      const result: ClassifyResult = { labels: Math.max(labels, 0), logits, tokens, truncated, seconds: (performance.now() - started) / 1000 }
      return result
    }
    case 'seq2seqLikelihood': {
      const out: PairLikelihood[] = []
      for await (const b of seq2seqLikelihoods(model(req.id), req.sources, req.targets, req)) {
        out.push(...b.pairs)
        post({ type: 'progress', id: msgId, done: b.start + b.pairs.length, total: req.sources.length })
      }
      return out
    }
    case 'bertScore': {
      const m = model(req.id)
      const { layer } = checkBertScoreModel(m, req.layer)
      return { layer, ...(await bertScorePairs(m, req.candidates, req.references, { batchSize: req.batchSize })) }
    }
    case 'seq2seqPlan':
      return seq2seqPlan(model(req.id))
    case 'seq2seqGenerate': {
      const m = model(req.id)
      const plan = seq2seqPlan(m)
      if (stopped.has(req.jobId)) throw new AppError('conflict', `generation job ${req.jobId} is already running`)
      stopped.set(req.jobId, false)
      const partial = (value: import('./protocol').Seq2seqEvent) => post({ type: 'partial', id: msgId, value })
      try {
        return await generateSeq2seq(m, plan, req.items, { batchSize: req.batchSize, maxNewTokens: req.maxNewTokens }, {
          item: (result) => partial({ kind: 'item', result }),
          tokens: (total) => partial({ kind: 'tokens', total }),
          text: req.stream ? (key, text, tokens) => partial({ kind: 'text', key, text, tokens }) : undefined,
          aborted: () => stopped.get(req.jobId) === true,
          reportStopped: req.reportStopped
        })
      } finally {
        stopped.delete(req.jobId)
      }
    }
    case 'abortJob': {
      const running = stopped.has(req.jobId)
      if (running) stopped.set(req.jobId, true)
      return { aborted: running }
    }
  }
}

port.on('message', (msg: ToOnnxWorker) => {
  handle(msg.id, msg.req).then(
    (value) => post({ type: 'result', id: msg.id, value }),
    (err: unknown) => post({ type: 'error', id: msg.id, error: AppError.from(err).toBody() })
  )
})
