import type { CallContext, Handlers } from '../api/dispatch'
import type { Services } from '../services'
import { AppError } from '../../shared/api/errors'

type AnnotationMethod = Extract<keyof Handlers, `annotation.${string}`>

/**
 * Who rates: an annotator's token (serve mode on a LAN) rates only as itself, whatever it sends;
 * the owner (desktop app, owner token) names the annotator profile it rates as.
 */
function rater(input: { annotatorId?: number }, ctx: CallContext): number {
  if (ctx.client.role === 'annotator') {
    const self = ctx.client.annotatorId
    if (self === null) throw new AppError('forbidden', 'This token belongs to no annotator.')
    if (input.annotatorId !== undefined && input.annotatorId !== self) throw new AppError('forbidden', 'An annotator can only see and rate as themselves.')
    return self
  }
  if (input.annotatorId === undefined) throw new AppError('invalid_input', 'annotatorId: choose the annotator profile to rate as.', { field: 'annotatorId' })
  return input.annotatorId
}

/** API handlers of the annotation domain: thin adapters from the contract to the service. */
export function annotationHandlers(s: Services): Pick<Handlers, AnnotationMethod> {
  const a = s.annotation
  return {
    'annotation.studies': () => a.listStudies(),
    'annotation.study': (i) => a.study(i.studyId),
    'annotation.candidates': () => a.candidates(),
    'annotation.createStudy': (i) => a.createStudy(i),
    'annotation.updateStudy': (i) => a.updateStudy(i),
    'annotation.annotators': () => a.annotators(),
    'annotation.addAnnotator': (i) => a.addAnnotator(i.studyId, i.name),
    'annotation.agreement': (i) => a.agreement(i.studyId),
    'annotation.review': (i) => a.review(i.studyId, i.limit, i.only),
    'annotation.reviewOrder': (i) => ({ list: i.list, studyItemIds: a.reviewOrder(i.studyId, i.list) }),
    'annotation.reviewItem': (i) => a.reviewItem(i.studyId, i.studyItemId),
    'annotation.adjudicate': (i) => a.adjudicate(i),
    'annotation.charts': (i) => a.charts(i.studyId, i.resamples, i.seed),
    'annotation.export': (i) => a.exportCsv(i),
    'annotation.import': (i) => a.importCsv(i.path, i.studyName),
    'annotation.exportPackage': (i) => a.exportPackage(i.studyId, i.annotatorId, i.path),
    'annotation.mergePackage': (i) => a.mergePackage(i),
    'annotation.myStudies': (i, ctx) => a.myStudies(ctx.client.role === 'annotator' ? rater(i, ctx) : (i.annotatorId ?? null)),
    'annotation.queue': (i, ctx) => a.queue(i.studyId, rater(i, ctx)),
    'annotation.item': (i, ctx) => a.item(i.studyId, rater(i, ctx), i.studyItemId),
    'annotation.rate': (i, ctx) => a.rate({ ...i, annotatorId: rater(i, ctx) }),
    'annotation.setItemState': (i, ctx) => a.setItemState({ ...i, annotatorId: rater(i, ctx) })
  }
}
