/**
 * Krippendorff's alpha for reliability data with missing values, after K. Krippendorff (2011),
 * "Computing Krippendorff's Alpha-Reliability": build the coincidence matrix of pairable values,
 * then alpha = 1 - (n - 1) * sum(o_ck * d_ck) / sum(n_c * n_k * d_ck).
 */
export type AlphaMetric = 'nominal' | 'ordinal' | 'interval'

/** units x coders; null (or undefined) where a coder did not rate a unit. */
export type ReliabilityData = ReadonlyArray<ReadonlyArray<number | null | undefined>>

export interface Coincidences {
  /** The distinct values that occur in pairable units, ascending. */
  values: number[]
  /** o[c][k], indices into `values`. */
  o: number[][]
  /** n_c: how often each value is pairable. */
  nc: number[]
  /** Pairable values in total. */
  n: number
}

export function coincidences(data: ReliabilityData): Coincidences {
  const units = data.map((row) => row.filter((v): v is number => v !== null && v !== undefined && Number.isFinite(v))).filter((u) => u.length >= 2)
  const values = [...new Set(units.flat())].sort((a, b) => a - b)
  const index = new Map(values.map((v, i) => [v, i]))
  const o = values.map(() => values.map(() => 0))
  for (const u of units) {
    const w = 1 / (u.length - 1)
    for (let i = 0; i < u.length; i++) {
      for (let j = 0; j < u.length; j++) {
        if (i !== j) o[index.get(u[i])!][index.get(u[j])!] += w
      }
    }
  }
  const nc = o.map((row) => row.reduce((a, b) => a + b, 0))
  return { values, o, nc, n: nc.reduce((a, b) => a + b, 0) }
}

/** Squared difference function delta^2(c, k) for the metric, on indices into `values`. */
export function deltaSquared(metric: AlphaMetric, values: number[], nc: number[]): (c: number, k: number) => number {
  if (metric === 'nominal') return (c, k) => (c === k ? 0 : 1)
  if (metric === 'interval') return (c, k) => (values[c] - values[k]) ** 2
  // Ordinal: the ranks between c and k, weighted by how often each value was used.
  const cum = [0]
  for (const x of nc) cum.push(cum[cum.length - 1] + x)
  return (c, k) => {
    const lo = Math.min(c, k)
    const hi = Math.max(c, k)
    if (lo === hi) return 0
    const between = cum[hi + 1] - cum[lo]
    return (between - (nc[lo] + nc[hi]) / 2) ** 2
  }
}

/**
 * Alpha for the metric; null when it is undefined (fewer than two pairable values, or no
 * variation at all: every pairable value the same).
 */
export function krippendorffAlpha(data: ReliabilityData, metric: AlphaMetric): number | null {
  const { values, o, nc, n } = coincidences(data)
  if (n < 2) return null
  const d = deltaSquared(metric, values, nc)
  let observed = 0
  let expected = 0
  for (let c = 0; c < values.length; c++) {
    for (let k = 0; k < values.length; k++) {
      const dd = d(c, k)
      observed += o[c][k] * dd
      expected += nc[c] * nc[k] * dd
    }
  }
  if (expected === 0) return null
  return 1 - ((n - 1) * observed) / expected
}
