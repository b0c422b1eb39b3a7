import { describe, expect, it } from 'vitest'
import { averageRanks, correlate, kendallTauB, pearson, spearman } from '../../src/main/evaluation/correlation'
import { incompleteBeta, studentTTwoSided } from '../../src/main/evaluation/stats'

// Reference values: the scipy.stats formulas worked by hand (see correlation.ts), p-values of
// Student's t checked by numerical integration of its density (Simpson, 200,000 steps).
describe('correlations', () => {
  const x = [1, 2, 3, 4, 5]
  const y = [2, 4, 5, 4, 5]

  it('Pearson r = 6 / sqrt(60), p from t with 3 df', () => {
    const r = pearson(x, y)
    expect(r.r).toBeCloseTo(0.7745966692414834, 14)
    expect(r.p).toBeCloseTo(0.12402706265755059, 8)
  })

  it('Spearman: average ranks for ties, rho = 7 / sqrt(90)', () => {
    expect(averageRanks(y)).toEqual([1, 2.5, 4.5, 2.5, 4.5])
    const r = spearman(x, y)
    expect(r.r).toBeCloseTo(0.7378647873726218, 14)
    expect(r.p).toBeCloseTo(0.15461852312845437, 8)
  })

  it('Kendall tau-b with ties = 6 / sqrt(10 * 8), asymptotic p', () => {
    const r = kendallTauB(x, y)
    expect(r.r).toBeCloseTo(0.6708203932499369, 14)
    expect(r.p).toBeCloseTo(0.11718508719813805, 6)
  })

  it('a 12-item case with many ties in the ratings', () => {
    const a = [3.1, 1.2, 5.5, 2.2, 4.8, 6.0, 1.9, 3.3, 4.1, 2.8, 5.0, 0.7]
    const b = [2, 1, 3, 2, 3, 3, 1, 2, 3, 2, 2, 1]
    const c = correlate(a, b)
    expect(c.pearson.r).toBeCloseTo(0.8821075842971665, 13)
    expect(c.pearson.p).toBeCloseTo(0.00014668287238561728, 9)
    expect(c.spearman.r).toBeCloseTo(0.8716308047219647, 13)
    expect(c.spearman.p).toBeCloseTo(0.00022044495958351007, 9)
    expect(c.kendall.r).toBeCloseTo(0.7720537892620319, 13)
    expect(c.kendall.p).toBeCloseTo(0.0015093627634607156, 7)
    expect(c.pearson.n).toBe(12)
  })

  it('is undefined (null) for a constant list, skips missing values', () => {
    expect(pearson([1, 2, 3], [2, 2, 2]).r).toBeNull()
    expect(kendallTauB([1, 1, 1], [1, 2, 3]).r).toBeNull()
    const c = correlate([1, null, 3, 4], [1, 5, Number.NaN, 2])
    expect(c.pearson.n).toBe(2)
  })

  it('the incomplete beta and t tail are right at known points', () => {
    expect(incompleteBeta(0.5, 2, 2)).toBeCloseTo(0.5, 14)
    // t = 2.228 with 10 df is the two-sided 5% critical value.
    expect(studentTTwoSided(2.2281388519649385, 10)).toBeCloseTo(0.05, 10)
  })
})
