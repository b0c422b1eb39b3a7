import type { Db } from '../db/open'

/** One score of one explanation by one annotator on one aspect, with what was rated. */
export interface StudyRating {
  /** The item's stable key inside the study (as in the exports' item_id column). */
  itemKey: string
  post: string
  explanation: string
  /** Which system wrote the explanation: gold, expert, run:<id>, or an imported file's stem. */
  source: string
  dataset: string | null
  annotator: string
  aspect: string
  score: number
}

const cache = new WeakMap<Db, ReturnType<Db['prepare']>>()

/**
 * Every rating of a study, in the study's canonical item order, then annotator order, then
 * aspect. For the evaluation domain (correlations of automatic scores with human ratings).
 */
export function listStudyRatings(db: Db, studyId: number): StudyRating[] {
  let stmt = cache.get(db)
  if (!stmt) {
    stmt = db.prepare(`
      SELECT si.item_key AS itemKey, si.post, si.explanation, si.source, si.dataset,
             a.name AS annotator, r.aspect, r.score
      FROM ratings r
      JOIN study_items si ON si.id = r.study_item_id
      JOIN annotators a ON a.id = r.annotator_id
      LEFT JOIN study_annotators sa ON sa.study_id = r.study_id AND sa.annotator_id = r.annotator_id
      WHERE r.study_id = ?
      ORDER BY si.position, sa.ordinal, r.aspect`)
    cache.set(db, stmt)
  }
  return stmt.all(studyId) as StudyRating[]
}
