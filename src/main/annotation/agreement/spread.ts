/** Mean and spread of one item's ratings: what a study lead reads first when raters disagree. */
export interface ItemSpread {
  n: number
  mean: number | null
  /** Sample standard deviation (n - 1 in the denominator); null below two ratings. */
  sd: number | null
  /** max - min; null below two ratings. */
  range: number | null
}

export function itemSpread(scores: ReadonlyArray<number | null | undefined>): ItemSpread {
  const xs = scores.filter((v): v is number => v !== null && v !== undefined)
  const n = xs.length
  if (n === 0) return { n, mean: null, sd: null, range: null }
  const mean = xs.reduce((a, b) => a + b, 0) / n
  if (n < 2) return { n, mean, sd: null, range: null }
  const sd = Math.sqrt(xs.reduce((a, x) => a + (x - mean) ** 2, 0) / (n - 1))
  return { n, mean, sd, range: Math.max(...xs) - Math.min(...xs) }
}

/** Orders items to look at first: widest range, then largest sd, then most ratings. */
export function byDisagreement<T extends { spread: ItemSpread }>(items: readonly T[]): T[] {
  return [...items]
    .filter((i) => i.spread.range !== null && i.spread.range > 0)
    .sort((x, y) => (y.spread.range ?? 0) - (x.spread.range ?? 0) || (y.spread.sd ?? 0) - (x.spread.sd ?? 0) || y.spread.n - x.spread.n)
}
