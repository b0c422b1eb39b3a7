import type { AgreementResult, AspectDef } from '../../../shared/api/annotation'
import type { AnnotationStore } from '../store'
import { agreementReport, type LongRating } from './report'

/** A study's agreement report, each disagreement with an excerpt of its post and its source. */
export function studyAgreement(q: AnnotationStore, studyId: number, aspects: readonly AspectDef[]): AgreementResult {
  const ratings = q.studyRatingsLong.all(studyId) as LongRating[]
  const report = agreementReport(ratings, aspects)
  return {
    ...report,
    disagreements: report.disagreements.map((d) => {
      const r = q.itemByKeyBrief.get(studyId, d.item) as { post: string; source: string } | undefined
      return { ...d, excerpt: r ? r.post.slice(0, 160) : undefined, source: r?.source }
    })
  }
}
