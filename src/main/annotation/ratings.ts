import type { AnnotationStore } from './store'

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

/**
 * Every rating of a study, in the study's canonical item order, then annotator order, then
 * aspect. For the evaluation domain (correlations of automatic scores with human ratings).
 */
export function listStudyRatings(store: AnnotationStore, studyId: number): StudyRating[] {
  return store.studyRatingsWithItems.all(studyId) as StudyRating[]
}
