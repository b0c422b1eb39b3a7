import type { AgreementFigures } from '../../../shared/api/annotation'
import { krippendorffAlpha } from './krippendorff'
import { fleissFromRatings } from './fleiss'
import { pairwiseKappa } from './cohen'
import { byDisagreement, itemSpread, type ItemSpread } from './spread'

/** One score in the long layout: the input of every agreement figure. */
export interface LongRating {
  item: string
  annotator: string
  aspect: string
  score: number
}

export interface AspectScale {
  key: string
  min: number
  max: number
}

/** The agreement figures of one aspect: the API's shape (src/shared/api/annotation.ts). */
export type AspectAgreement = AgreementFigures

export interface Disagreement {
  item: string
  aspect: string
  scores: Record<string, number>
  spread: ItemSpread
}

export interface AgreementReport {
  aspects: Record<string, AspectAgreement>
  /** All aspects together: each (item, aspect) is one unit. */
  pooled: { krippendorff_alpha_interval: number | null; krippendorff_alpha_ordinal: number | null; units: number; annotators: number }
  /** Items with the widest spread first (at most `maxDisagreements`). */
  disagreements: Disagreement[]
}

function round(x: number | null): number | null {
  return x === null ? null : Math.round(x * 1e12) / 1e12
}

/** Agreement per aspect, pooled, and the disagreements to look at first. Pure: same input, same report. */
export function agreementReport(ratings: readonly LongRating[], scales: readonly AspectScale[], maxDisagreements = 50): AgreementReport {
  const annotators = [...new Set(ratings.map((r) => r.annotator))]
  const aIndex = new Map(annotators.map((a, i) => [a, i]))
  const aspectKeys = [...scales.map((s) => s.key), ...new Set(ratings.map((r) => r.aspect).filter((a) => !scales.some((s) => s.key === a)))]
  const scaleOf = (key: string): number[] => {
    const s = scales.find((x) => x.key === key)
    const own = ratings.filter((r) => r.aspect === key).map((r) => r.score)
    const lo = Math.min(s?.min ?? 0, ...own)
    const hi = Math.max(s?.max ?? 3, ...own)
    return Array.from({ length: hi - lo + 1 }, (_, i) => lo + i)
  }
  const matrices = new Map<string, Map<string, (number | null)[]>>()
  for (const r of ratings) {
    let m = matrices.get(r.aspect)
    if (!m) matrices.set(r.aspect, (m = new Map()))
    let row = m.get(r.item)
    if (!row) m.set(r.item, (row = new Array<number | null>(annotators.length).fill(null)))
    row[aIndex.get(r.annotator)!] = r.score
  }

  const aspects: Record<string, AspectAgreement> = {}
  const disagreements: Disagreement[] = []
  const pooledRows: (number | null)[][] = []
  for (const key of aspectKeys) {
    const m = matrices.get(key) ?? new Map<string, (number | null)[]>()
    const rows = [...m.values()]
    pooledRows.push(...rows)
    const scale = scaleOf(key)
    const fleiss = fleissFromRatings(rows, scale)
    const pairs = pairwiseKappa(rows, annotators.length, scale).filter((p) => p.items > 0)
    const defined = pairs.map((p) => p.kappa).filter((k): k is number => k !== null)
    const scores = rows.flat().filter((v): v is number => v !== null)
    const raters = new Set<number>()
    for (const row of rows) row.forEach((v, i) => v !== null && raters.add(i))
    aspects[key] = {
      krippendorff_alpha_interval: round(krippendorffAlpha(rows, 'interval')),
      krippendorff_alpha_ordinal: round(krippendorffAlpha(rows, 'ordinal')),
      krippendorff_alpha_nominal: round(krippendorffAlpha(rows, 'nominal')),
      fleiss_kappa: round(fleiss.kappa),
      fleiss_items: fleiss.items,
      items: rows.length,
      annotators: raters.size,
      ratings: scores.length,
      mean: scores.length ? round(scores.reduce((a, b) => a + b, 0) / scores.length) : null,
      cohen_quadratic: pairs.map((p) => ({ a: annotators[p.a], b: annotators[p.b], kappa: round(p.kappa), items: p.items })),
      cohen_quadratic_mean: defined.length ? round(defined.reduce((a, b) => a + b, 0) / defined.length) : null
    }
    for (const [item, row] of m) {
      const scoresBy: Record<string, number> = {}
      row.forEach((v, i) => {
        if (v !== null) scoresBy[annotators[i]] = v
      })
      disagreements.push({ item, aspect: key, scores: scoresBy, spread: itemSpread(row) })
    }
  }
  return {
    aspects,
    pooled: {
      krippendorff_alpha_interval: round(krippendorffAlpha(pooledRows, 'interval')),
      krippendorff_alpha_ordinal: round(krippendorffAlpha(pooledRows, 'ordinal')),
      units: pooledRows.length,
      annotators: annotators.length
    },
    disagreements: byDisagreement(disagreements).slice(0, maxDisagreements)
  }
}
