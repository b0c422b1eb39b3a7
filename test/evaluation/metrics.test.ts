import { describe, expect, it } from 'vitest'
import { classificationReport } from '../../src/main/evaluation/f1'
import { confusionMatrix } from '../../src/main/evaluation/confusion'
import { scoreCorrectness, OOD } from '../../src/main/evaluation/correctness'
import { findDataset } from '../../src/shared/imhi/datasets'

describe('classificationReport (scikit-learn definitions)', () => {
  it('matches the f1_score docstring example (sklearn.metrics.f1_score)', () => {
    // y_true = [0, 1, 2, 0, 1, 2]; y_pred = [0, 2, 1, 0, 0, 1]
    // sklearn: macro 0.26666666666666666, micro 0.3333333333333333, weighted 0.26666666666666666
    const r = classificationReport(['0', '1', '2', '0', '1', '2'], ['0', '2', '1', '0', '0', '1'])
    expect(r.macro.f1).toBeCloseTo(0.26666666666666666, 15)
    expect(r.micro.f1).toBeCloseTo(0.3333333333333333, 15)
    expect(r.weighted.f1).toBeCloseTo(0.26666666666666666, 15)
    expect(r.accuracy).toBeCloseTo(2 / 6, 15)
  })

  it('matches the precision_recall_fscore_support docstring example (cat/dog/pig)', () => {
    const gold = ['cat', 'dog', 'pig', 'cat', 'dog', 'pig']
    const pred = ['cat', 'pig', 'dog', 'cat', 'cat', 'dog']
    const r = classificationReport(gold, pred)
    // macro: (0.2222222222222222, 0.3333333333333333, 0.26666666666666666)
    expect(r.macro.precision).toBeCloseTo(0.2222222222222222, 15)
    expect(r.macro.recall).toBeCloseTo(0.3333333333333333, 15)
    expect(r.macro.f1).toBeCloseTo(0.26666666666666666, 15)
    // micro: all 1/3; weighted: same as macro here (equal supports)
    expect(r.micro.precision).toBeCloseTo(1 / 3, 15)
    expect(r.micro.recall).toBeCloseTo(1 / 3, 15)
    expect(r.weighted.precision).toBeCloseTo(0.2222222222222222, 15)
    expect(r.weighted.f1).toBeCloseTo(0.26666666666666666, 15)
  })

  it('hand-worked: an extra OOD class and a class never predicted (zero_division -> 0)', () => {
    // a: tp 1, pred 1, support 2 -> P 1, R 1/2, F1 2/3
    // b: tp 2, pred 3, support 2 -> P 2/3, R 1, F1 4/5
    // c: tp 0, pred 0, support 1 -> P 0/0 -> 0, R 0, F1 0
    // ood: tp 0, pred 1, support 0 -> P 0, R 0/0 -> 0, F1 0
    const r = classificationReport(['a', 'a', 'b', 'b', 'c'], ['a', 'b', 'b', 'b', 'ood'], ['a', 'b', 'c'])
    expect(r.averagedOver).toEqual(['a', 'b', 'c', 'ood'])
    const c = Object.fromEntries(r.perClass.map((x) => [x.label, x]))
    expect(c.a).toMatchObject({ precision: 1, recall: 0.5, support: 2, predicted: 1 })
    expect(c.a.f1).toBeCloseTo(2 / 3, 15)
    expect(c.b.precision).toBeCloseTo(2 / 3, 15)
    expect(c.b.f1).toBeCloseTo(0.8, 15)
    expect(c.c).toMatchObject({ precision: 0, recall: 0, f1: 0, support: 1 })
    expect(c.ood).toMatchObject({ precision: 0, recall: 0, f1: 0, support: 0, predicted: 1 })
    expect(r.accuracy).toBeCloseTo(0.6, 15)
    expect(r.micro.f1).toBeCloseTo(0.6, 15)
    expect(r.macro.f1).toBeCloseTo((2 / 3 + 0.8) / 4, 15)
    expect(r.macro.precision).toBeCloseTo((1 + 2 / 3) / 4, 15)
    expect(r.weighted.f1).toBeCloseTo(((2 / 3) * 2 + 0.8 * 2) / 5, 15)
  })

  it('leaves labels that occur in neither list out of the averages, like sklearn without labels=', () => {
    const r = classificationReport(['yes', 'yes'], ['yes', 'yes'], ['no', 'yes'])
    expect(r.averagedOver).toEqual(['yes'])
    expect(r.macro.f1).toBe(1)
    expect(r.perClass.map((c) => c.label)).toEqual(['no', 'yes'])
  })

  it('gives 0, not NaN, on empty input and refuses misaligned lists', () => {
    const r = classificationReport([], [])
    expect(r.accuracy).toBe(0)
    expect(r.macro.f1).toBe(0)
    expect(() => classificationReport(['a'], [])).toThrow(/1 gold labels but 0 predictions/)
  })
})

describe('confusionMatrix', () => {
  it('puts gold in rows and predictions in columns', () => {
    const m = confusionMatrix(['a', 'a', 'b', 'b', 'c'], ['a', 'b', 'b', 'b', 'ood'], ['a', 'b', 'c', 'ood'])
    expect(m.matrix).toEqual([
      [1, 1, 0, 0],
      [0, 2, 0, 0],
      [0, 0, 0, 1],
      [0, 0, 0, 0]
    ])
  })
})

describe('scoreCorrectness', () => {
  const DR = findDataset('DR')!
  it('drops rows without a gold label as pairs (never misaligning) and reports them', () => {
    const gold = ['yes', null, 'no', 'yes', 'no']
    const pred = ['yes', 'no', null, 'no', 'no']
    const m = scoreCorrectness(DR, gold, pred)
    expect(m.n).toBe(4)
    expect(m.unmatched_gold).toBe(1)
    expect(m.unmatchedGoldRows).toEqual([2])
    expect(m.ood).toBe(1)
    // Scored pairs: (yes,yes) (no,ood) (yes,no) (no,no): accuracy 2/4.
    expect(m.accuracy).toBe(0.5)
    // no: tp 1, pred 2, support 2 -> F1 0.5; yes: tp 1, pred 1, support 2 -> F1 2/3; ood: F1 0.
    expect(m.macro_f1).toBeCloseTo((0.5 + 2 / 3 + 0) / 3, 15)
    expect(m.weighted_f1).toBeCloseTo((0.5 * 2 + (2 / 3) * 2) / 4, 15)
    expect(m.micro_f1).toBeCloseTo(0.5, 15)
    expect(m.confusion.labels).toEqual(['no', 'yes', OOD])
    expect(m.confusion.matrix).toEqual([
      [1, 0, 1],
      [1, 1, 0],
      [0, 0, 0]
    ])
    expect(m.goldDistribution).toEqual({ no: 2, yes: 2, ood: 0 })
    expect(m.predictedDistribution).toEqual({ no: 2, yes: 1, ood: 1 })
  })

  it('without OOD, micro F1 equals accuracy', () => {
    const m = scoreCorrectness(DR, ['yes', 'no', 'yes'], ['yes', 'yes', 'yes'])
    expect(m.micro_f1).toBeCloseTo(m.accuracy, 15)
    expect(m.ood).toBe(0)
  })

  it('refuses lists of different lengths', () => {
    expect(() => scoreCorrectness(DR, ['yes'], ['yes', 'no'])).toThrow(/must align/)
  })
})
