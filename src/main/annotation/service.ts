import type { ServiceContext } from '../services'
import type { ImhiService } from '../imhi/service'
import type { InferenceService } from '../inference/service'
import type { AgreementResult, AspectDef, StudyDetail } from '../../shared/api/annotation'
import { listStudyRatings } from './ratings'
import { createCsvIo } from './io'
import { createPackages } from './packages'
import { createReview } from './review'
import { studyCharts } from './charts'
import { createAnnotationStore, type AnnotationStore, type NewStudy, type NewStudyItem, type StudyRow } from './store'
import { createStudySources } from './sources'
import { createStudies } from './studies'
import { createRatingQueue } from './queue'
import { studyAgreement } from './agreement/study'
import type { Db } from '../db/open'

export type { NewStudy, NewStudyItem, StudyRow }


/** What the CSV import/export and the packages build on. */
export interface AnnotationCore {
  db: Db
  /** The domain's SQL, prepared once (store.ts). */
  store: AnnotationStore
  events: ServiceContext['events']
  studyRow(studyId: number): StudyRow
  aspectsOf(studyId: number): AspectDef[]
  insertStudy(s: NewStudy): number
  insertItems(studyId: number, items: readonly NewStudyItem[]): number[]
  ensureAnnotator(name: string, uid?: string): number
  joinStudy(studyId: number, annotatorId: number, ordinal?: number, orderSeed?: number): { ordinal: number; orderSeed: number }
  assign(studyId: number, annotatorId: number, itemIds: readonly number[], shuffleSeed: number | null): void
  study(studyId: number): StudyDetail
  /** "studyItemId:aspect" -> the lead's adjudicated score. */
  adjudicatedScores(studyId: number): Map<string, number>
  /** The adjudicated export layout. */
  adjudicatedRows(studyId: number): { header: string[]; rows: (string | number | null)[][] }
}

/**
 * Annotation studies: blinded, seeded queues per annotator; every rating written in its own
 * committed transaction before the call returns, keyed by item + annotator + aspect (idempotent).
 * A facade over the domain's modules: store.ts (its SQL), studies.ts (studies, annotators),
 * sources.ts (what a study is built from), queue.ts (the rating screen), agreement/study.ts,
 * review.ts (adjudication), io.ts (CSV import/export), packages.ts, charts.ts.
 */
export function createAnnotationService(ctx: ServiceContext, deps: { imhi: ImhiService; inference: InferenceService }) {
  const { db } = ctx
  const store = createAnnotationStore(db)
  // Events about a study reach only the annotators assigned to it (api/audience.ts).
  ctx.events.setStudyMembership((annotatorId, studyId) => store.studyAnnotator.get(studyId, annotatorId) !== undefined)

  // Gold explanations and runs are the imhi and inference domains': read through their services.
  const sources = createStudySources(deps)
  const studies = createStudies({ db, events: ctx.events, store, sources })
  const ratingQueue = createRatingQueue({ db, events: ctx.events, store, studies })
  const { studyRow, aspectsOf } = studies

  function agreement(studyId: number): AgreementResult {
    studyRow(studyId)
    return studyAgreement(store, studyId, aspectsOf(studyId))
  }

  const core: AnnotationCore = {
    db,
    store,
    studyRow,
    aspectsOf,
    insertStudy: studies.insertStudy,
    insertItems: studies.insertItems,
    ensureAnnotator: studies.ensureAnnotator,
    joinStudy: studies.joinStudy,
    assign: studies.assign,
    study: studies.study,
    events: ctx.events,
    adjudicatedScores: (studyId) => reviews.adjudicatedScores(studyId),
    adjudicatedRows: (studyId) => reviews.adjudicatedRows(studyId)
  }
  const reviews = createReview(core)

  return {
    listStudies: studies.listStudies,
    study: studies.study,
    createStudy: studies.createStudy,
    updateStudy: studies.updateStudy,
    candidates: sources.candidates,
    annotators: studies.annotators,
    addAnnotator: studies.addAnnotator,
    resolveToken: studies.resolveToken,
    queue: ratingQueue.queue,
    myStudies: ratingQueue.myStudies,
    item: ratingQueue.item,
    rate: ratingQueue.rate,
    setItemState: ratingQueue.setItemState,
    agreement,
    review: reviews.review,
    reviewOrder: reviews.reviewOrder,
    reviewItem: reviews.reviewItem,
    adjudicate: reviews.adjudicate,
    charts: (studyId: number, resamples: number, seed: number) => studyCharts(store, studyId, aspectsOf(studyId), resamples, seed),
    /** For the evaluation domain: every rating of a study with what was rated. */
    listStudyRatings: (studyId: number) => listStudyRatings(store, studyId),
    // building blocks for CSV import and packages (io.ts, packages.ts)
    ...createCsvIo(core),
    ...createPackages(core)
  }
}
export type AnnotationService = ReturnType<typeof createAnnotationService>
