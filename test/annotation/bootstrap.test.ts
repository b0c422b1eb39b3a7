import { describe, expect, it } from 'vitest'
import { alphaFromCoincidences, bootstrapAlpha, quantileSorted } from '../../src/main/annotation/agreement/bootstrap'
import { coincidences, krippendorffAlpha } from '../../src/main/annotation/agreement/krippendorff'

const _ = null

describe('bootstrap 95% intervals of Krippendorff alpha', () => {
  it('computes alpha from a coincidence matrix exactly as from the data', () => {
    const data = [
      [1, 2, 3, 3, 2, 1, 4, 1, 2, _, _, _],
      [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, _, 3],
      [_, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, _],
      [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, _]
    ]
    const units = data[0].map((_v, u) => data.map((o) => o[u]))
    const c = coincidences(units)
    const flat = c.o.flat()
    for (const m of ['nominal', 'ordinal', 'interval'] as const) expect(alphaFromCoincidences(flat, c.values, m)).toBeCloseTo(krippendorffAlpha(units, m)!, 12)
  })

  it('matches the exact bootstrap distribution of a hand-worked example', () => {
    // Units u1 = (0, 0), u2 = (1, 1), u3 = (0, 1), two coders, interval metric. A resample has
    // a copies of u1, b of u2, c of u3 (a + b + c = 3); then n = 6, n0 = 2a + c, n1 = 2b + c and
    // alpha = 1 - (n - 1) * 2c / (2 * n0 * n1) = 1 - 5c / (n0 * n1). The 27 equally likely
    // resamples give: (3,0,0) and (0,3,0) undefined (2/27); (0,0,3) -2/3 (1); (2,0,1), (0,2,1)
    // 0 (3 + 3); (1,0,2), (0,1,2) -1/4 (3 + 3); (1,1,1) 4/9 (6); (2,1,0), (1,2,0) 1 (3 + 3).
    // Among the 25 defined: -2/3 has 4%, so the 2.5th percentile is -2/3; 1 has the top 24%, so
    // the 97.5th is 1. The full data is (1,1,1): alpha = 4/9.
    const units = [
      [0, 0],
      [1, 1],
      [0, 1]
    ]
    const r = bootstrapAlpha(units, ['interval'], 20_000, 7).interval
    expect(r.estimate).toBeCloseTo(4 / 9, 12)
    expect(r.low).toBeCloseTo(-2 / 3, 12)
    expect(r.high).toBe(1)
    expect(r.defined / r.resamples).toBeGreaterThan(25 / 27 - 0.01)
    expect(r.defined / r.resamples).toBeLessThan(25 / 27 + 0.01)
  })

  it('is [1, 1] for perfect agreement and null when alpha is never defined', () => {
    const perfect = bootstrapAlpha([[0, 0], [3, 3], [1, 1], [2, _]], ['interval', 'ordinal'], 500, 1)
    // Resamples with one distinct value leave alpha undefined; every defined one is exactly 1.
    expect(perfect.interval).toMatchObject({ estimate: 1, low: 1, high: 1 })
    expect(perfect.ordinal).toMatchObject({ estimate: 1, low: 1, high: 1 })
    const none = bootstrapAlpha([[2, 2], [2, 2]], ['interval'], 200, 1).interval
    expect(none).toEqual({ estimate: null, low: null, high: null, defined: 0, resamples: 200 })
    expect(bootstrapAlpha([], ['interval'], 100, 1).interval.low).toBeNull()
  })

  it('is reproducible: the same seed gives the same interval, another seed another one', () => {
    const rows = Array.from({ length: 40 }, (_v, i) => [i % 4, (i * 7) % 4, i % 3 === 0 ? _ : (i + 1) % 4])
    const a = bootstrapAlpha(rows, ['interval'], 1000, 42).interval
    const b = bootstrapAlpha(rows, ['interval'], 1000, 42).interval
    const c = bootstrapAlpha(rows, ['interval'], 1000, 43).interval
    expect(a).toEqual(b)
    expect(c.low).not.toBe(a.low)
    expect(a.low!).toBeLessThanOrEqual(a.estimate!)
    expect(a.high!).toBeGreaterThanOrEqual(a.estimate!)
  })

  it('takes percentiles by linear interpolation (numpy default)', () => {
    expect(quantileSorted([1, 2, 3, 4], 0.5)).toBe(2.5)
    expect(quantileSorted([0, 10], 0.025)).toBeCloseTo(0.25, 12)
    expect(quantileSorted([5], 0.975)).toBe(5)
  })
})
