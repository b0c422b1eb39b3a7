import { describe, expect, it } from 'vitest'
import { coincidences, krippendorffAlpha } from '../../src/main/annotation/agreement/krippendorff'
import { fleissFromRatings, fleissKappa } from '../../src/main/annotation/agreement/fleiss'
import { pairwiseKappa, quadraticWeightedKappa } from '../../src/main/annotation/agreement/cohen'
import { byDisagreement, itemSpread } from '../../src/main/annotation/agreement/spread'
import { agreementReport, type LongRating } from '../../src/main/annotation/agreement/report'

// Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", section E: 4 observers,
// 12 units, values 1-5, missing data. Published: nominal .743, ordinal .815, interval .849.
const _ = null
const OBSERVERS = [
  [1, 2, 3, 3, 2, 1, 4, 1, 2, _, _, _],
  [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, _, 3],
  [_, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, _],
  [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, _]
]
const UNITS = OBSERVERS[0].map((_v, u) => OBSERVERS.map((o) => o[u]))

describe("Krippendorff's alpha", () => {
  it('reproduces the coincidence marginals of the 2011 paper (n_1..n_5 = 9, 13, 10, 5, 3; n = 40)', () => {
    const c = coincidences(UNITS)
    expect(c.values).toEqual([1, 2, 3, 4, 5])
    expect(c.nc.map((x) => Math.round(x * 1e9) / 1e9)).toEqual([9, 13, 10, 5, 3])
    expect(c.n).toBeCloseTo(40, 12)
  })

  it('gives the published nominal, ordinal and interval values', () => {
    expect(krippendorffAlpha(UNITS, 'nominal')!.toFixed(3)).toBe('0.743')
    expect(krippendorffAlpha(UNITS, 'ordinal')!.toFixed(3)).toBe('0.815')
    expect(krippendorffAlpha(UNITS, 'interval')!.toFixed(3)).toBe('0.849')
  })

  it('ignores units with a single value and is 1 for perfect agreement', () => {
    expect(krippendorffAlpha([[1, 1], [2, 2], [3, _], [0, 0]], 'interval')).toBe(1)
    expect(krippendorffAlpha([[1, 1], [2, 2], [3, _], [0, 0]], 'ordinal')).toBe(1)
  })

  it('is undefined (null) without variation or without pairable values', () => {
    expect(krippendorffAlpha([[3, 3], [3, 3]], 'interval')).toBeNull()
    expect(krippendorffAlpha([[3, _], [_, 2]], 'interval')).toBeNull()
  })

  it('matches a hand-worked interval case', () => {
    // units (0,1), (1,1): o = {0-1: 1, 1-0: 1, 1-1: 2}; n_0 = 1, n_1 = 3, n = 4
    // D_o sum = o01*1 + o10*1 = 2; sum n_c n_k d = 2 * 1 * 3 * 1 = 6; alpha = 1 - 3 * 2 / 6 = 0
    expect(krippendorffAlpha([[0, 1], [1, 1]], 'interval')).toBeCloseTo(0, 12)
    // systematic disagreement is below zero: units (0,1), (1,0) -> alpha = 1 - 3*4/(2*2*2) = -0.5
    expect(krippendorffAlpha([[0, 1], [1, 0]], 'interval')).toBeCloseTo(-0.5, 12)
  })
})

// Fleiss (1971) as worked on Wikipedia ("Fleiss' kappa", worked example): 10 subjects,
// 14 raters, 5 categories; P-bar = 0.378, P-bar-e = 0.213, kappa = 0.210.
const FLEISS_TABLE = [
  [0, 0, 0, 0, 14],
  [0, 2, 6, 4, 2],
  [0, 0, 3, 5, 6],
  [0, 3, 9, 2, 0],
  [2, 2, 8, 1, 1],
  [7, 7, 0, 0, 0],
  [3, 2, 6, 3, 0],
  [2, 5, 3, 2, 2],
  [6, 5, 2, 1, 0],
  [0, 2, 2, 3, 7]
]

describe("Fleiss' kappa", () => {
  it('gives 0.210 on the worked example', () => {
    expect(fleissKappa(FLEISS_TABLE)!.toFixed(3)).toBe('0.210')
    // exact: P-bar = (sum n_ij^2 - N n) / (N n (n - 1)) = (828 - 140) / 1820; P-bar-e = sum p_j^2 = 4170 / 19600
    const pBar = 688 / 1820
    const pe = 4170 / 19600
    expect(fleissKappa(FLEISS_TABLE)).toBeCloseTo((pBar - pe) / (1 - pe), 12)
  })

  it('agrees when built from rater-level data', () => {
    // expand each table row into 14 ratings on categories 1..5
    const rows = FLEISS_TABLE.map((counts) => counts.flatMap((c, j) => new Array<number>(c).fill(j + 1)))
    const r = fleissFromRatings(rows, [1, 2, 3, 4, 5])
    expect(r.items).toBe(10)
    expect(r.raters).toBe(14)
    expect(r.kappa).toBeCloseTo(fleissKappa(FLEISS_TABLE)!, 12)
  })

  it('rejects subjects with different numbers of ratings', () => {
    expect(() => fleissKappa([[1, 1], [2, 1]])).toThrow(/same number of ratings/)
  })

  it('uses only the units with the most common number of ratings', () => {
    const r = fleissFromRatings([[0, 0, 0], [1, 1, 1], [0, 1, _], [2, 2, 2]], [0, 1, 2, 3])
    expect(r.items).toBe(3)
    expect(r.kappa).toBe(1)
  })
})

describe("quadratic-weighted Cohen's kappa", () => {
  it('matches hand-worked examples', () => {
    // observed disagreement sum (a-b)^2 = 5; expected sum = (23*5 - 2*9*8 + 5*18) / 5 = 12.2 -> 1 - 5/12.2 = 36/61
    expect(quadraticWeightedKappa([0, 1, 2, 3, 3], [0, 2, 2, 3, 1], [0, 1, 2, 3])).toBeCloseTo(36 / 61, 12)
    // 2x2: O = [[1,1],[0,2]], E(0,1) = 2*3/4, E(1,0) = 2*1/4 -> 1 - 1/2
    expect(quadraticWeightedKappa([0, 0, 1, 1], [0, 1, 1, 1], [0, 1, 2, 3])).toBeCloseTo(0.5, 12)
    expect(quadraticWeightedKappa([0, 1, 2, 3], [0, 1, 2, 3], [0, 1, 2, 3])).toBe(1)
    // complete reversal on a symmetric sample: -1
    expect(quadraticWeightedKappa([0, 3], [3, 0], [0, 1, 2, 3])).toBeCloseTo(-1, 12)
  })

  it('is undefined when both raters give one constant score', () => {
    expect(quadraticWeightedKappa([2, 2, 2], [2, 2, 2], [0, 1, 2, 3])).toBeNull()
  })

  it('pairs raters over the units both rated', () => {
    const pairs = pairwiseKappa([[0, 0, _], [1, 2, 1], [3, 3, 3], [_, 1, 2]], 3, [0, 1, 2, 3])
    expect(pairs.map((p) => [p.a, p.b, p.items])).toEqual([[0, 1, 3], [0, 2, 2], [1, 2, 3]])
    expect(pairs[1].kappa).toBe(1)
  })

  it('refuses scores off the scale', () => {
    expect(() => quadraticWeightedKappa([4], [3], [0, 1, 2, 3])).toThrow(/not on the scale/)
  })
})

describe('item mean and spread', () => {
  it('computes mean, sample sd and range', () => {
    const s = itemSpread([3, 1, _, 2])
    expect(s).toEqual({ n: 3, mean: 2, sd: 1, range: 2 })
    expect(itemSpread([2])).toEqual({ n: 1, mean: 2, sd: null, range: null })
  })

  it('orders the widest disagreements first and leaves out agreement', () => {
    const items = [
      { id: 'a', spread: itemSpread([1, 1, 1]) },
      { id: 'b', spread: itemSpread([0, 3, 3]) },
      { id: 'c', spread: itemSpread([0, 1, 1]) },
      { id: 'd', spread: itemSpread([0, 3, 1]) }
    ]
    expect(byDisagreement(items).map((i) => i.id)).toEqual(['b', 'd', 'c']) // b: sd 1.73 > d: sd 1.53 at range 3
  })
})

describe('agreement report', () => {
  it('computes every aspect from long ratings, with the Krippendorff example as one aspect', () => {
    const ratings: LongRating[] = []
    OBSERVERS.forEach((row, o) =>
      row.forEach((v, u) => {
        if (v !== null) ratings.push({ item: `u${u + 1}`, annotator: `obs${o + 1}`, aspect: 'fluency', score: v })
      })
    )
    const r = agreementReport(ratings, [{ key: 'fluency', min: 1, max: 5 }, { key: 'overall', min: 0, max: 3 }])
    expect(r.aspects.fluency.krippendorff_alpha_interval!.toFixed(3)).toBe('0.849')
    expect(r.aspects.fluency.items).toBe(12)
    expect(r.aspects.fluency.annotators).toBe(4)
    expect(r.aspects.fluency.ratings).toBe(41)
    expect(r.aspects.fluency.cohen_quadratic).toHaveLength(6)
    expect(r.aspects.overall.items).toBe(0)
    expect(r.aspects.overall.krippendorff_alpha_interval).toBeNull()
    expect(r.disagreements[0].item).toBe('u6') // 1, 2, 3, 4: the widest spread
  })
})
