import type { AnnotatorQueue, RateResult, RatingItem } from '../../shared/api/annotation'
import { AppError } from '../../shared/api/errors'
import type { ServiceContext } from '../services'
import type { AnnotationStore } from './store'
import type { Studies } from './studies'

/** An annotator's queue in order, with what is rated, done, flagged and skipped. */
export function queueEntries(q: AnnotationStore, studyId: number, annotatorId: number, aspects: number) {
    return (q.queue.all(studyId, annotatorId) as { studyItemId: number; queuePos: number; rated: number; flagged: number; skipped: number }[]).map((e) => ({
      studyItemId: e.studyItemId,
      queuePos: e.queuePos,
      rated: e.rated,
      done: e.rated >= aspects,
      flagged: Boolean(e.flagged),
      skipped: Boolean(e.skipped)
    }))
}

/** Where an annotator resumes: the first item neither done nor skipped, else the first not done. */
export function resumeAt(entries: { done: boolean; skipped: boolean }[]): number {
    let i = entries.findIndex((e) => !e.done && !e.skipped)
    if (i < 0) i = entries.findIndex((e) => !e.done)
    return Math.max(0, i)
}

/**
 * The rating screen: an annotator's queue, one item, and the writes (a score, flag/skip/note).
 * Every rating is written in its own committed transaction before the call returns, keyed by
 * item + annotator + aspect (idempotent).
 */
export function createRatingQueue(deps: { db: ServiceContext['db']; events: ServiceContext['events']; store: AnnotationStore; studies: Studies }) {
  const { db, events, store: q } = deps
  const { studyRow, aspectsOf, listStudies } = deps.studies

  function requireAssigned(studyId: number, annotatorId: number, studyItemId: number): void {
    if (!q.assignment.get(studyItemId, annotatorId, studyId)) {
      if (!q.annotator.get(annotatorId)) throw new AppError('not_found', `No annotator with id ${annotatorId}.`)
      throw new AppError('not_found', `Item ${studyItemId} is not in annotator ${annotatorId}'s queue of study ${studyId}.`)
    }
  }

  function queue(studyId: number, annotatorId: number): AnnotatorQueue {
    const row = studyRow(studyId)
    const person = q.annotator.get(annotatorId) as { id: number; name: string } | undefined
    if (!person || !q.studyAnnotator.get(studyId, annotatorId)) throw new AppError('not_found', `Annotator ${annotatorId} is not part of study ${studyId}.`)
    const aspects = aspectsOf(studyId)
    const entries = queueEntries(q, studyId, annotatorId, aspects.length)
    return {
      study: { id: row.id, name: row.name, guidelines: row.guidelines, aspects, breakMinutes: row.break_minutes },
      annotator: { id: person.id, name: person.name },
      entries,
      resumeAt: resumeAt(entries)
    }
  }

  function myStudies(annotatorId: number | null) {
    const all = listStudies()
    if (annotatorId === null) return all.map((s) => ({ ...s, done: 0, assigned: 0 }))
    const mine = new Set((q.myStudies.all(annotatorId) as { study_id: number }[]).map((r) => r.study_id))
    return all
      .filter((s) => mine.has(s.id))
      .map((s) => {
        const entries = queueEntries(q, s.id, annotatorId, aspectsOf(s.id).length)
        return { ...s, done: entries.filter((e) => e.done).length, assigned: entries.length }
      })
  }

  function item(studyId: number, annotatorId: number, studyItemId: number): RatingItem {
    requireAssigned(studyId, annotatorId, studyItemId)
    const row = q.itemRow.get(studyItemId, studyId) as { id: number; post: string; explanation: string; sensitive: number }
    const pos = (q.assignment.get(studyItemId, annotatorId, studyId) as { queue_pos: number }).queue_pos
    const scores: Record<string, number> = {}
    for (const r of q.itemScores.all(studyItemId, annotatorId) as { aspect: string; score: number }[]) scores[r.aspect] = r.score
    const state = q.itemState.get(studyItemId, annotatorId) as { flagged: number; skipped: number; note: string; seconds: number } | undefined
    return {
      studyItemId,
      queuePos: pos,
      post: row.post,
      explanation: row.explanation,
      sensitive: Boolean(row.sensitive),
      scores,
      flagged: Boolean(state?.flagged),
      skipped: Boolean(state?.skipped),
      note: state?.note ?? '',
      seconds: state?.seconds ?? 0
    }
  }

  const rateTx = db.transaction((studyId: number, annotatorId: number, studyItemId: number, aspect: string, score: number | null, seconds: number | undefined) => {
    if (score === null) q.deleteRating.run(studyItemId, annotatorId, aspect)
    else {
      q.upsertRating.run(studyId, studyItemId, annotatorId, aspect, score)
      q.unskip.run(studyItemId, annotatorId) // rating a skipped item takes it off the skipped list
    }
    if (seconds !== undefined) q.touchSeconds.run(studyItemId, annotatorId, seconds)
  })

  /** Writes one score (or removes it) and commits before answering. Idempotent per item + annotator + aspect. */
  function rate(input: { studyId: number; annotatorId: number; studyItemId: number; aspect: string; score: number | null; seconds?: number }): RateResult {
    const aspects = aspectsOf(input.studyId)
    const def = aspects.find((a) => a.key === input.aspect)
    if (!def) throw new AppError('invalid_input', `Study ${input.studyId} has no aspect "${input.aspect}" (it has ${aspects.map((a) => a.key).join(', ')}).`, { field: 'aspect' })
    if (input.score !== null && (input.score < def.min || input.score > def.max)) {
      throw new AppError('invalid_input', `Score ${input.score} is outside ${def.label}'s scale ${def.min}-${def.max}.`, { field: 'score' })
    }
    requireAssigned(input.studyId, input.annotatorId, input.studyItemId)
    rateTx(input.studyId, input.annotatorId, input.studyItemId, input.aspect, input.score, input.seconds)
    const now = q.ratingOf.get(input.studyItemId, input.annotatorId, input.aspect) as { score: number; rated_at: string } | undefined
    const n = (q.ratedCount.get(input.studyItemId, input.annotatorId) as { n: number }).n
    events.broadcast('annotation.changed', { studyId: input.studyId, annotatorId: input.annotatorId, studyItemId: input.studyItemId })
    return { studyItemId: input.studyItemId, aspect: input.aspect, score: now?.score ?? null, itemDone: n >= aspects.length, ratedAt: now?.rated_at ?? new Date().toISOString() }
  }

  function setItemState(input: { studyId: number; annotatorId: number; studyItemId: number; flagged?: boolean; skipped?: boolean; note?: string; seconds?: number }): RatingItem {
    requireAssigned(input.studyId, input.annotatorId, input.studyItemId)
    const cur = q.itemState.get(input.studyItemId, input.annotatorId) as { flagged: number; skipped: number; note: string; seconds: number } | undefined
    q.upsertState.run({
      itemId: input.studyItemId,
      annotatorId: input.annotatorId,
      flagged: (input.flagged ?? Boolean(cur?.flagged)) ? 1 : 0,
      skipped: (input.skipped ?? Boolean(cur?.skipped)) ? 1 : 0,
      note: input.note ?? cur?.note ?? '',
      seconds: input.seconds ?? cur?.seconds ?? 0
    })
    events.broadcast('annotation.changed', { studyId: input.studyId, annotatorId: input.annotatorId, studyItemId: input.studyItemId })
    return item(input.studyId, input.annotatorId, input.studyItemId)
  }

  return { requireAssigned, queue, myStudies, item, rate, setItemState }
}
