import { mulberry32 } from '../../random'
import { deltaSquared, krippendorffAlpha, type AlphaMetric, type ReliabilityData } from './krippendorff'

/** A figure with its bootstrap percentile interval. */
export interface BootstrapInterval {
  estimate: number | null
  /** 2.5th and 97.5th percentiles of the resampled figures (null when none was defined). */
  low: number | null
  high: number | null
  /** Resamples in which the figure was defined (all values equal in a resample leave alpha undefined). */
  defined: number
  resamples: number
}

/** Linear-interpolation quantile of sorted values (type 7, numpy's default). */
export function quantileSorted(sorted: readonly number[], p: number): number {
  const h = (sorted.length - 1) * p
  const lo = Math.floor(h)
  const hi = Math.ceil(h)
  return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo])
}

/**
 * Krippendorff's alpha with a bootstrap 95% interval: units (items) are drawn with replacement
 * `resamples` times from a seeded mulberry32 stream (src/main/random.ts), alpha is computed on
 * each resample, and the interval is the 2.5th-97.5th percentile of the defined values. The same
 * data, metric, resamples and seed give the same interval on every machine.
 *
 * Each distinct unit's contribution to the coincidence matrix is computed once; a resample draws
 * N unit indices and adds one matrix per distinct unit type.
 */
export function bootstrapAlpha(data: ReliabilityData, metrics: readonly AlphaMetric[], resamples: number, seed: number): Record<AlphaMetric, BootstrapInterval> {
  const units = data.map((row) => row.filter((v): v is number => v !== null && v !== undefined && Number.isFinite(v)))
  const values = [...new Set(units.filter((u) => u.length >= 2).flat())].sort((a, b) => a - b)
  const index = new Map(values.map((v, i) => [v, i]))
  const V = values.length
  // Units with the same multiset of values contribute the same to the coincidence matrix: group
  // them into types, so a resample only counts how often each type was drawn (a study of 5,000
  // items has a few dozen types), then adds each type's contribution times its count.
  const typeOf = new Int32Array(units.length)
  const typeKey = new Map<string, number>()
  const contributions: Float64Array[] = []
  units.forEach((u, k) => {
    const key = u.length < 2 ? '' : [...u].sort((a, b) => a - b).join(',')
    let t = typeKey.get(key)
    if (t === undefined) {
      t = contributions.length
      typeKey.set(key, t)
      const c = new Float64Array(V * V)
      if (u.length >= 2) {
        const w = 1 / (u.length - 1)
        for (let i = 0; i < u.length; i++) for (let j = 0; j < u.length; j++) if (i !== j) c[index.get(u[i])! * V + index.get(u[j])!] += w
      }
      contributions.push(c)
    }
    typeOf[k] = t
  })
  const out = {} as Record<AlphaMetric, BootstrapInterval>
  const draws: Record<string, number[]> = {}
  for (const m of metrics) draws[m] = []
  const rand = mulberry32(seed)
  const o = new Float64Array(V * V)
  const counts = new Float64Array(contributions.length)
  const N = units.length
  if (N > 0 && V > 0) {
    for (let b = 0; b < resamples; b++) {
      counts.fill(0)
      for (let k = 0; k < N; k++) counts[typeOf[Math.floor(rand() * N)]]++
      o.fill(0)
      for (let t = 0; t < contributions.length; t++) {
        const n = counts[t]
        if (n === 0) continue
        const c = contributions[t]
        for (let x = 0; x < c.length; x++) o[x] += n * c[x]
      }
      for (const m of metrics) {
        const a = alphaFromCoincidences(o, values, m)
        if (a !== null) draws[m].push(a)
      }
    }
  }
  for (const m of metrics) {
    const sorted = draws[m].sort((a, b) => a - b)
    out[m] = {
      estimate: krippendorffAlpha(data, m),
      low: sorted.length ? quantileSorted(sorted, 0.025) : null,
      high: sorted.length ? quantileSorted(sorted, 0.975) : null,
      defined: sorted.length,
      resamples
    }
  }
  return out
}

/** Alpha from a coincidence matrix (flat V*V over `values`); null when undefined. */
export function alphaFromCoincidences(o: ArrayLike<number>, values: readonly number[], metric: AlphaMetric): number | null {
  const V = values.length
  const nc = new Array<number>(V).fill(0)
  for (let c = 0; c < V; c++) for (let k = 0; k < V; k++) nc[c] += o[c * V + k]
  const n = nc.reduce((a, b) => a + b, 0)
  if (n < 2) return null
  const d = deltaSquared(metric, values as number[], nc)
  let observed = 0
  let expected = 0
  for (let c = 0; c < V; c++) {
    for (let k = 0; k < V; k++) {
      const dd = d(c, k)
      observed += o[c * V + k] * dd
      expected += nc[c] * nc[k] * dd
    }
  }
  if (expected === 0) return null
  return 1 - ((n - 1) * observed) / expected
}
