/**
 * Fleiss' kappa (Fleiss 1971) from a subjects x categories table of counts: how many raters put
 * subject i in category j. Every subject must have the same number of ratings n >= 2.
 */
export function fleissKappa(counts: ReadonlyArray<ReadonlyArray<number>>): number | null {
  if (counts.length === 0) return null
  const n = counts[0].reduce((a, b) => a + b, 0)
  if (n < 2) return null
  const k = counts[0].length
  const totals = new Array<number>(k).fill(0)
  let pBar = 0
  for (const [i, row] of counts.entries()) {
    const rowSum = row.reduce((a, b) => a + b, 0)
    if (row.length !== k || rowSum !== n) {
      throw new Error(`Fleiss' kappa needs the same number of ratings for every subject: subject ${i + 1} has ${rowSum}, the first has ${n}`)
    }
    let sq = 0
    for (let j = 0; j < k; j++) {
      totals[j] += row[j]
      sq += row[j] * row[j]
    }
    pBar += (sq - n) / (n * (n - 1))
  }
  pBar /= counts.length
  const all = counts.length * n
  const pe = totals.reduce((acc, t) => acc + (t / all) ** 2, 0)
  if (pe === 1) return null
  return (pBar - pe) / (1 - pe)
}

/**
 * Fleiss' kappa straight from reliability data (units x raters, null = not rated) on a scale of
 * `categories`. Units must share one number of ratings: the most common count among units with
 * two or more is used, and only units with exactly that many ratings count (`items` says how many).
 */
export function fleissFromRatings(
  data: ReadonlyArray<ReadonlyArray<number | null | undefined>>,
  categories: readonly number[]
): { kappa: number | null; items: number; raters: number } {
  const rated = data.map((row) => row.filter((v): v is number => v !== null && v !== undefined))
  const freq = new Map<number, number>()
  for (const r of rated) if (r.length >= 2) freq.set(r.length, (freq.get(r.length) ?? 0) + 1)
  if (freq.size === 0) return { kappa: null, items: 0, raters: 0 }
  // The most common count; ties go to the larger count (more raters per subject).
  const [raters] = [...freq.entries()].sort((a, b) => b[1] - a[1] || b[0] - a[0])[0]
  const index = new Map(categories.map((c, i) => [c, i]))
  const table: number[][] = []
  for (const r of rated) {
    if (r.length !== raters) continue
    const row = new Array<number>(categories.length).fill(0)
    for (const v of r) {
      const i = index.get(v)
      if (i === undefined) throw new Error(`score ${v} is not on the scale ${categories.join(', ')}`)
      row[i]++
    }
    table.push(row)
  }
  return { kappa: fleissKappa(table), items: table.length, raters }
}
