import { parentPort } from 'node:worker_threads'
import { AppError } from '../../../shared/api/errors'
import { NativeState } from './state'
import { defaultContextSize, generateOnSequence, preparePrompt, scoreOnSequence, type JobControl } from './generate'
import { defaultEmbeddingContextSize, embedTexts } from './embed'
import type { WorkerEvent, WorkerRequest, WorkerResults } from './protocol'
import type { RpcMessage } from '../../../shared/api/protocol'
import { createRpcEndpoint } from '../../../shared/api/rpc'

// The inference worker thread: owns every llama.cpp handle, so model loads and token decoding
// never block the thread that serves the API. One request at a time per op is not required:
// generations and batch runs interleave on the context's sequences.

const port = parentPort
if (!port) throw new Error('the inference worker must run in a worker thread')

// Requests arrive as calls of the one RPC envelope; what the worker reports are its events.
const rpc = createRpcEndpoint({
  send: (msg) => port.postMessage(msg),
  answer: (msg) => handle(msg.params as WorkerRequest)
})
const post = ({ type, ...payload }: WorkerEvent) => rpc.event(type, payload)
const state = new NativeState(
  (s) => post({ type: 'state', state: s }),
  (level, message) => post({ type: 'log', level, message })
)
const jobs = new Map<string, JobControl>()

async function handle(req: WorkerRequest): Promise<WorkerResults[keyof WorkerResults]> {
  switch (req.op) {
    case 'init':
      return await state.init({ threads: req.threads, gpu: req.gpu })
    case 'state':
      return state.snapshot()
    case 'inspect':
      return await state.inspect(req.path, req.memoryLimitBytes)
    case 'estimate':
      return await state.estimate(req.model, req.memoryLimitBytes)
    case 'backends':
      return await state.backends()
    case 'load':
      await state.load(req.model, req.memoryLimitBytes)
      return state.snapshot()
    case 'unload':
      await state.unload()
      return state.snapshot()
    case 'abort': {
      const job = jobs.get(req.jobId)
      if (job) job.aborted = true
      return { aborted: !!job }
    }
    case 'generate': {
      const job: JobControl = { aborted: false }
      jobs.set(req.jobId, job)
      try {
        const model = await state.load(req.model, null)
        const contextSize = defaultContextSize(model, req.params, req.model.contextSize)
        const prepared = preparePrompt(model, req.prompt, contextSize, req.params)
        const context = await state.ensureContext(1, contextSize, req.lanes ?? 1)
        const sequence = context.getSequence()
        state.busySequences++
        try {
          return await generateOnSequence(sequence, prepared, req.params, job, req.stream ? (text, tokens) => post({ type: 'token', jobId: req.jobId, text, tokens }) : undefined)
        } finally {
          // Awaited: the sequence goes back to the context before the caller hears the result,
          // so the next generation beside others (serve --engine) finds it free.
          await sequence.dispose()
          state.busySequences--
        }
      } finally {
        jobs.delete(req.jobId)
      }
    }
    case 'batch': {
      const job: JobControl = { aborted: false }
      jobs.set(req.jobId, job)
      try {
        const model = await state.load(req.model, null)
        const contextSize = defaultContextSize(model, req.params, req.model.contextSize)
        const lanes = Math.max(1, Math.min(req.parallel, req.items.length))
        // One spare sequence beyond the run's lanes lets a single-post generation run beside it.
        const context = await state.ensureContext(req.parallel + 1, contextSize)
        const queue = [...req.items]
        let done = 0
        let tokens = 0
        let lastPost = 0
        const countToken = () => {
          tokens++
          const now = performance.now()
          if (now - lastPost >= 500) {
            lastPost = now
            post({ type: 'batchTokens', jobId: req.jobId, tokens })
          }
        }
        const lane = async () => {
          const sequence = context.getSequence()
          state.busySequences++
          try {
            while (!job.aborted) {
              const item = queue.shift()
              if (!item) break
              try {
                const prepared = preparePrompt(model, item.prompt, contextSize, req.params)
                const stats = await generateOnSequence(sequence, prepared, req.params, job, undefined, countToken)
                // An item cut short by pause/cancel is not an answer: it is redone on resume.
                if (stats.finish === 'stopped') break
                done++
                post({ type: 'item', jobId: req.jobId, key: item.key, stats })
              } catch (err) {
                post({ type: 'itemError', jobId: req.jobId, key: item.key, error: AppError.from(err).toBody() })
              }
            }
          } finally {
            state.busySequences--
            sequence.dispose()
          }
        }
        await Promise.all(Array.from({ length: lanes }, lane))
        return { done, aborted: job.aborted }
      } finally {
        jobs.delete(req.jobId)
      }
    }
    case 'score': {
      const model = await state.load(req.model, null)
      const contextSize = req.contextSize ?? req.model.contextSize ?? Math.min(model.trainContextSize || 2048, 2048)
      const context = await state.ensureContext(1, contextSize)
      const sequence = context.getSequence()
      state.busySequences++
      try {
        return await scoreOnSequence(sequence, req.context, req.continuation)
      } finally {
        state.busySequences--
        sequence.dispose()
      }
    }
    case 'embed': {
      const model = await state.load(req.model, null)
      const contextSize = req.contextSize ?? defaultEmbeddingContextSize(model)
      const context = await state.ensureEmbeddingContext(contextSize)
      state.busySequences++
      try {
        return await embedTexts(model, context, contextSize, req.texts, req.model.path)
      } finally {
        state.busySequences--
      }
    }
  }
}

port.on('message', (msg: RpcMessage) => rpc.receive(msg))
