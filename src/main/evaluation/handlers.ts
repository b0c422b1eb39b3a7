import type { Handlers } from '../api/dispatch'
import type { Services } from '../services'

type EvaluationMethod =
  | 'evaluation.evaluate'
  | 'evaluation.list'
  | 'evaluation.get'
  | 'evaluation.delete'
  | 'evaluation.runs'
  | 'evaluation.classifiers'
  | 'evaluation.trainClassifiers'
  | 'evaluation.correlations'
  | 'evaluation.cancel'

/** API handlers of the evaluation domain: thin adapters from the contract to the service. */
export function evaluationHandlers(s: Services): Pick<Handlers, EvaluationMethod> {
  const e = s.evaluation
  /** Evaluations in progress that can be cancelled, by client and request id. */
  const running = new Map<string, AbortController>()
  /** Runs `body` with a signal that evaluation.cancel (same client, same requestId) aborts. */
  const cancellable = async <T>(requestId: string | undefined, clientId: string, body: (signal: AbortSignal) => Promise<T>): Promise<T> => {
    const key = requestId ? `${clientId}\u0000${requestId}` : null
    const controller = new AbortController()
    if (key) running.set(key, controller)
    try {
      return await body(controller.signal)
    } finally {
      if (key && running.get(key) === controller) running.delete(key)
    }
  }
  return {
    'evaluation.evaluate': async (input, ctx) => {
      // A caller that names the evaluation can cancel it (evaluation.cancel, same client).
      const key = input.requestId ? `${ctx.client.id}\u0000${input.requestId}` : null
      const controller = new AbortController()
      if (key) running.set(key, controller)
      try {
        return await e.evaluate(input.target, {
          name: input.name,
          lmModel: input.lmModel,
          embeddingModel: input.embeddingModel,
          labeller: input.labeller,
          bartModel: input.bartModel,
          bertscoreModel: input.bertscoreModel,
          bertscoreLayer: input.bertscoreLayer,
          bertscoreBaseline: input.bertscoreBaseline,
          onProgress: (stage, dataset, done, total) => ctx.emit('evaluation.progress', { stage, dataset, done, total }),
          signal: controller.signal
        })
      } finally {
        if (key && running.get(key) === controller) running.delete(key)
      }
    },
    'evaluation.cancel': (input, ctx) => {
      // Without a requestId: whatever ONNX scoring is in progress (an evaluation or a correlation analysis).
      if (input.requestId === undefined) return e.cancel()
      const controller = running.get(`${ctx.client.id}\u0000${input.requestId}`)
      controller?.abort()
      return { cancelled: controller !== undefined }
    },
    'evaluation.list': () => e.list(),
    'evaluation.get': (input) => e.get(input.id),
    'evaluation.delete': (input) => e.remove(input.id),
    'evaluation.runs': () => e.runs(),
    'evaluation.classifiers': () => e.classifiers(),
    'evaluation.trainClassifiers': (input, ctx) =>
      cancellable(input.requestId, ctx.client.id, async (signal) => {
        const r = await e.trainClassifiers(input.datasets, (dataset, done, total) => ctx.emit('evaluation.progress', { stage: 'train', dataset, done, total }), {
          embeddingModel: input.embeddingModel,
          onEmbedProgress: (dataset, done, total) => ctx.emit('evaluation.progress', { stage: 'embed', dataset, done, total }),
          signal
        })
        return r.trained
      }),
    'evaluation.correlations': (input, ctx) =>
      cancellable(input.requestId, ctx.client.id, (signal) => e.correlations({
        systems: input.systems,
        studyId: input.studyId,
        lmModel: input.lmModel,
        bartModel: input.bartModel,
        bertscoreModel: input.bertscoreModel,
        bertscoreLayer: input.bertscoreLayer,
        bertscoreBaseline: input.bertscoreBaseline,
        onProgress: (stage, done, total) => ctx.emit('evaluation.progress', { stage, dataset: null, done, total }),
        signal
      })),
  }
}
