/**
 * Cohen's kappa between two raters with quadratic weights, w(i, j) = (i - j)^2 / (k - 1)^2 on the
 * scale's categories: kappa_w = 1 - sum(w * observed) / sum(w * expected). Equals scikit-learn's
 * cohen_kappa_score(a, b, weights='quadratic', labels=scale).
 */
export function quadraticWeightedKappa(a: readonly number[], b: readonly number[], scale: readonly number[]): number | null {
  if (a.length !== b.length) throw new Error(`the two raters have ${a.length} and ${b.length} ratings`)
  const n = a.length
  if (n === 0) return null
  const k = scale.length
  const index = new Map(scale.map((c, i) => [c, i]))
  const observed = scale.map(() => new Array<number>(k).fill(0))
  const rowM = new Array<number>(k).fill(0)
  const colM = new Array<number>(k).fill(0)
  for (let t = 0; t < n; t++) {
    const i = index.get(a[t])
    const j = index.get(b[t])
    if (i === undefined || j === undefined) throw new Error(`score ${i === undefined ? a[t] : b[t]} is not on the scale ${scale.join(', ')}`)
    observed[i][j]++
    rowM[i]++
    colM[j]++
  }
  let num = 0
  let den = 0
  for (let i = 0; i < k; i++) {
    for (let j = 0; j < k; j++) {
      const w = (i - j) ** 2
      num += w * observed[i][j]
      den += (w * rowM[i] * colM[j]) / n
    }
  }
  if (den === 0) return null
  return 1 - num / den
}

export interface PairKappa {
  a: number
  b: number
  kappa: number | null
  items: number
}

/** Quadratic-weighted kappa for every pair of raters (columns), over the units both rated. */
export function pairwiseKappa(data: ReadonlyArray<ReadonlyArray<number | null | undefined>>, raters: number, scale: readonly number[]): PairKappa[] {
  const out: PairKappa[] = []
  for (let a = 0; a < raters; a++) {
    for (let b = a + 1; b < raters; b++) {
      const xa: number[] = []
      const xb: number[] = []
      for (const row of data) {
        const va = row[a]
        const vb = row[b]
        if (va !== null && va !== undefined && vb !== null && vb !== undefined) {
          xa.push(va)
          xb.push(vb)
        }
      }
      out.push({ a, b, kappa: xa.length ? quadraticWeightedKappa(xa, xb, scale) : null, items: xa.length })
    }
  }
  return out
}
