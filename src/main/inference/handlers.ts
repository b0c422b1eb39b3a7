import type { Handlers } from '../api/dispatch'
import type { Services } from '../services'
import type { MethodName } from '../../shared/api/contract'
import { modelSettingsHandlers } from './settings/handlers'

type InferenceMethod = Extract<MethodName, `inference.${string}`>

/** API handlers of the inference domain: thin adapters from the contract to the service. */
export function inferenceHandlers(s: Services): Pick<Handlers, InferenceMethod> {
  const inf = s.inference
  return {
    'inference.status': async (input) => {
      if (input.probe) await inf.ensureInit()
      return inf.status()
    },
    'inference.models.list': () => inf.library.list(),
    'inference.models.add': (input) => inf.addModel(input),
    'inference.models.download': (input) => inf.download(input),
    'inference.models.cancelDownload': (input) => inf.cancelDownload(input.downloadId),
    'inference.models.dismissDownload': (input) => inf.dismissDownload(input.downloadId),
    'inference.models.remove': (input) => inf.removeModel(input),
    'inference.models.load': (input) => inf.load(input),
    'inference.models.unload': () => inf.unload(),
    'inference.generate': (input, ctx) =>
      inf.generate(input, (text, tokens) => ctx.emit('inference.token', { requestId: input.requestId, text, tokens })),
    'inference.stop': (input) => inf.stop(input.requestId),
    'inference.explanations': (input) => inf.explanations(input.itemId),
    'inference.explanations.delete': (input) => inf.deleteExplanation(input.id),
    'inference.runs.create': (input) => inf.createRun(input),
    'inference.runs.list': () => inf.listRuns(),
    'inference.runs.get': (input) => inf.getRun(input.id),
    'inference.runs.pause': (input) => inf.pauseRun(input.id),
    'inference.runs.resume': (input) => inf.resumeRun(input.id, input.parallel),
    'inference.runs.cancel': (input) => inf.cancelRun(input.id),
    'inference.runs.export': (input) => inf.exportRun(input.id, input.dir),
    'inference.engines.list': () => inf.engines.list(),
    'inference.engines.add': (input) => inf.engines.add(input),
    'inference.engines.addSeq2seq': (input) => inf.addSeq2seqEngine(input),
    'inference.engines.remove': (input) => inf.removeEngine(input.id),
    'inference.engines.check': (input) => inf.checkEngine(input.id),
    'inference.engines.keychain': () => inf.engines.keychain(),
    ...modelSettingsHandlers(s)
  }
}
