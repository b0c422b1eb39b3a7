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
  return {
    'evaluation.evaluate': (input, ctx) =>
      e.evaluate(input.target, {
        name: input.name,
        lmModel: input.lmModel,
        embeddingModel: input.embeddingModel,
        bartModel: input.bartModel,
        bertscoreModel: input.bertscoreModel,
        bertscoreLayer: input.bertscoreLayer,
        bertscoreBaseline: input.bertscoreBaseline,
        labeller: input.labeller,
        onProgress: (stage, dataset, done, total) => ctx.emit('evaluation.progress', { stage, dataset, done, total })
      }),
    'evaluation.list': () => e.list(),
    'evaluation.get': (input) => e.get(input.id),
    'evaluation.delete': (input) => e.remove(input.id),
    'evaluation.runs': () => e.runs(),
    'evaluation.classifiers': () => e.classifiers(),
    'evaluation.trainClassifiers': async (input, ctx) => {
      const r = await e.trainClassifiers(input.datasets, (dataset, done, total) => ctx.emit('evaluation.progress', { stage: 'train', dataset, done, total }), {
        embeddingModel: input.embeddingModel,
        onEmbedProgress: (dataset, done, total) => ctx.emit('evaluation.progress', { stage: 'embed', dataset, done, total })
      })
      return r.trained
    },
    'evaluation.correlations': (input, ctx) =>
      e.correlations({
        systems: input.systems,
        studyId: input.studyId,
        lmModel: input.lmModel,
        bartModel: input.bartModel,
        bertscoreModel: input.bertscoreModel,
        bertscoreLayer: input.bertscoreLayer,
        bertscoreBaseline: input.bertscoreBaseline,
        onProgress: (stage, done, total) => ctx.emit('evaluation.progress', { stage, dataset: null, done, total })
      }),
    'evaluation.cancel': () => e.cancel()
  }
}
