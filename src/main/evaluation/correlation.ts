import { normalTwoSided, studentTTwoSided } from './stats'

/**
 * Correlations between an automatic score and human ratings, as scipy.stats computes them:
 * - pearsonr: r = cov(x, y) / (sd x * sd y); p two-sided from Student's t with n - 2 df
 *   (t = r sqrt((n-2)/(1-r^2)), the same as scipy's beta-distribution form).
 * - spearmanr: Pearson's r on average ranks (ties share the mean of their ranks); p as pearsonr's t test.
 * - kendalltau (variant "b", method "asymptotic"): tau_b = (C - D) / sqrt((n0 - n1)(n0 - n2)) with
 *   tie corrections n1, n2; p from the normal approximation with scipy's tie-corrected variance.
 * Undefined cases (n < 3, a constant list) give null, as scipy gives nan.
 */
export interface Correlation {
  n: number
  r: number | null
  p: number | null
}

export function pearson(x: readonly number[], y: readonly number[]): Correlation {
  if (x.length !== y.length) throw new Error(`pearson: ${x.length} scores but ${y.length} ratings`)
  const n = x.length
  if (n < 2) return { n, r: null, p: null }
  let mx = 0
  let my = 0
  for (let i = 0; i < n; i++) {
    mx += x[i]
    my += y[i]
  }
  mx /= n
  my /= n
  let sxy = 0
  let sxx = 0
  let syy = 0
  for (let i = 0; i < n; i++) {
    const dx = x[i] - mx
    const dy = y[i] - my
    sxy += dx * dy
    sxx += dx * dx
    syy += dy * dy
  }
  if (sxx === 0 || syy === 0) return { n, r: null, p: null }
  const r = Math.max(-1, Math.min(1, sxy / Math.sqrt(sxx * syy)))
  if (n < 3) return { n, r, p: null }
  if (Math.abs(r) === 1) return { n, r, p: 0 }
  const t = r * Math.sqrt((n - 2) / (1 - r * r))
  return { n, r, p: studentTTwoSided(t, n - 2) }
}

/** 1-based ranks; ties get the average of the ranks they span (scipy.stats.rankdata 'average'). */
export function averageRanks(x: readonly number[]): number[] {
  const idx = x.map((_, i) => i).sort((a, b) => x[a] - x[b])
  const ranks = new Array<number>(x.length)
  let i = 0
  while (i < idx.length) {
    let j = i
    while (j + 1 < idx.length && x[idx[j + 1]] === x[idx[i]]) j++
    const rank = (i + j) / 2 + 1
    for (let k = i; k <= j; k++) ranks[idx[k]] = rank
    i = j + 1
  }
  return ranks
}

export function spearman(x: readonly number[], y: readonly number[]): Correlation {
  if (x.length !== y.length) throw new Error(`spearman: ${x.length} scores but ${y.length} ratings`)
  return pearson(averageRanks(x), averageRanks(y))
}

function tieCounts(values: readonly number[]): { pairs: number; v0: number; v1: number } {
  const counts = new Map<number, number>()
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1)
  let pairs = 0
  let v0 = 0
  let v1 = 0
  for (const c of counts.values()) {
    if (c < 2) continue
    pairs += (c * (c - 1)) / 2
    v0 += c * (c - 1) * (c - 2)
    v1 += c * (c - 1) * (2 * c + 5)
  }
  return { pairs, v0, v1 }
}

/** Kendall's tau-b, O(n^2): fine for the few hundred rated items a study has. */
export function kendallTauB(x: readonly number[], y: readonly number[]): Correlation {
  if (x.length !== y.length) throw new Error(`kendall: ${x.length} scores but ${y.length} ratings`)
  const n = x.length
  if (n < 2) return { n, r: null, p: null }
  let s = 0
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const a = Math.sign(x[i] - x[j])
      const b = Math.sign(y[i] - y[j])
      s += a * b
    }
  }
  const n0 = (n * (n - 1)) / 2
  const tx = tieCounts(x)
  const ty = tieCounts(y)
  if (tx.pairs === n0 || ty.pairs === n0) return { n, r: null, p: null }
  const tau = s / Math.sqrt((n0 - tx.pairs) * (n0 - ty.pairs))
  if (n < 3) return { n, r: tau, p: null }
  const m = n * (n - 1)
  const variance = (m * (2 * n + 5) - tx.v1 - ty.v1) / 18 + (2 * tx.pairs * ty.pairs) / m + (tx.v0 * ty.v0) / (9 * m * (n - 2))
  const z = s / Math.sqrt(variance)
  return { n, r: Math.max(-1, Math.min(1, tau)), p: normalTwoSided(z) }
}

export interface Correlations {
  pearson: Correlation
  spearman: Correlation
  kendall: Correlation
}

/** All three, over the pairs where both values are finite numbers. */
export function correlate(x: readonly (number | null)[], y: readonly (number | null)[]): Correlations {
  const xs: number[] = []
  const ys: number[] = []
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const a = x[i]
    const b = y[i]
    if (a === null || b === null || !Number.isFinite(a) || !Number.isFinite(b)) continue
    xs.push(a)
    ys.push(b)
  }
  return { pearson: pearson(xs, ys), spearman: spearman(xs, ys), kendall: kendallTauB(xs, ys) }
}
