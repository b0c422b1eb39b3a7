import type { AspectDef, StudyCharts } from '../../shared/api/annotation'
import type { AnnotationStore } from './store'
import { bootstrapAlpha } from './agreement/bootstrap'

/**
 * The figures behind the study page's charts, all on the raw ratings (never the adjudicated
 * scores): score distributions per annotator and aspect, Krippendorff's alpha per aspect with
 * bootstrap 95% intervals, time per item, and cumulative ratings over time.
 */
export function studyCharts(store: AnnotationStore, studyId: number, aspects: readonly AspectDef[], resamples: number, seed: number): StudyCharts {
  const people = store.studyPeople.all(studyId) as {
    id: number
    name: string
  }[]
  const col = new Map(people.map((p, i) => [p.id, i]))
  const ratings = store.chartRatings.all(studyId) as {
    itemId: number
    id: number
    aspect: string
    score: number
    at: string
  }[]
  const distributions: StudyCharts['distributions'] = {}
  const matrices = new Map<string, Map<number, (number | null)[]>>()
  for (const a of aspects) {
    distributions[a.key] = Object.fromEntries(people.map((p) => [p.name, new Array<number>(a.max - a.min + 1).fill(0)]))
    matrices.set(a.key, new Map())
  }
  for (const r of ratings) {
    const a = aspects.find((x) => x.key === r.aspect)
    const c = col.get(r.id)
    if (!a || c === undefined) continue
    const counts = distributions[a.key][people[c].name]
    if (r.score >= a.min && r.score <= a.max) counts[r.score - a.min]++
    const m = matrices.get(a.key)!
    let row = m.get(r.itemId)
    if (!row) m.set(r.itemId, (row = new Array<number | null>(people.length).fill(null)))
    row[c] = r.score
  }
  const agreement: StudyCharts['agreement'] = []
  aspects.forEach((a, k) => {
    // Each aspect its own stream (derived from the seed), so adding an aspect changes no other interval.
    const ci = bootstrapAlpha([...matrices.get(a.key)!.values()], ['interval', 'ordinal'], resamples, (seed + Math.imul(k + 1, 0x9e3779b1)) >>> 0)
    for (const metric of ['interval', 'ordinal'] as const) {
      const x = ci[metric]
      agreement.push({ aspect: a.key, metric: `krippendorff_alpha_${metric}`, estimate: x.estimate, low: x.low, high: x.high, resamples: x.defined })
    }
  })
  const times = (
    store.chartSeconds.all(studyId) as { annotator: string; seconds: number }[]
  ).map((t) => ({ annotator: t.annotator, seconds: Math.round(t.seconds * 10) / 10 }))
  // Progress: cumulative ratings per annotator, one point per hour in which they rated.
  const progress: StudyCharts['progress'] = []
  const total = new Map<number, number>()
  const last = new Map<string, number>()
  for (const r of ratings) {
    const c = col.get(r.id)
    if (c === undefined) continue
    const n = (total.get(r.id) ?? 0) + 1
    total.set(r.id, n)
    const hour = `${r.at.slice(0, 13)}:00:00Z`
    const key = `${r.id}|${hour}`
    const at = last.get(key)
    if (at !== undefined) progress[at].ratings = n
    else {
      last.set(key, progress.length)
      progress.push({ annotator: people[c].name, at: hour, ratings: n })
    }
  }
  return { aspects: [...aspects], annotators: people.map((p) => p.name), distributions, agreement, bootstrap: { resamples, seed }, times, progress }
}
