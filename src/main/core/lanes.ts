/**
 * The core runs as two lanes, each a thread (imhi serve) or a utility process (desktop) with the
 * whole set of services and its own SQLite connection:
 *
 * - `core`: every short call (search, ratings, the annotation queue, runs, models). It must answer
 *   within a frame, so nothing here holds its event loop for long.
 * - `jobs`: the long CPU jobs (import, classifier training, evaluation with its LM/BART scoring,
 *   correlation analyses, annotation imports). They hold their lane's event loop for seconds to
 *   minutes; the `core` lane keeps answering meanwhile (WAL lets it read beside the job's writes,
 *   and its writes wait for the job's transaction instead of failing).
 *
 * A method's cancel goes to the lane that runs it (evaluation.cancel finds its evaluation).
 */
export type Lane = 'core' | 'jobs'

export const JOB_METHODS: ReadonlySet<string> = new Set([
  'imhi.import',
  'imhi.cancelImport',
  'evaluation.evaluate',
  'evaluation.cancel',
  'evaluation.trainClassifiers',
  'evaluation.correlations',
  'annotation.import',
  'annotation.mergePackage'
])

export function laneOf(method: string): Lane {
  return JOB_METHODS.has(method) ? 'jobs' : 'core'
}
