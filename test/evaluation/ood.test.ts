import { describe, expect, it } from 'vitest'
import { benchmarkOodLabel, scoreCorrectness } from '../../src/main/evaluation/correctness'
import { DATASETS, findDataset } from '../../src/shared/imhi/datasets'
import { IMHI_PY_CLASSES, imhiPyLabels } from '../../src/main/evaluation/imhipy'

const DR = findDataset('DR')!
const SAD = findDataset('SAD')!

// Reference values from scikit-learn 1.2.1 (accuracy_score, f1_score weighted/micro/macro) on the
// same lists, OOD written as the string 'ood' (workbench) or as the benchmark's class (benchmark):
//   accuracy_score(g, p), f1_score(g, p, average=...)
describe('OOD conventions', () => {
  const gold = ['yes', 'no', 'yes', 'no', 'no', 'yes']
  const pred = ['yes', null, null, 'no', 'yes', 'yes']

  it('workbench: an extra wrong class "ood" (sklearn on p = yes, ood, ood, no, yes, yes)', () => {
    const m = scoreCorrectness(DR, gold, pred, 'workbench')
    expect(m.ood_convention).toBe('workbench')
    expect(m.ood).toBe(2)
    expect(m.accuracy).toBeCloseTo(0.5, 15)
    expect(m.weighted_f1).toBeCloseTo(0.5833333333333334, 15)
    expect(m.micro_f1).toBeCloseTo(0.5, 15)
    // by hand: no F1 = 2*1/(3+1) = 0.5, yes F1 = 2*2/(3+3) = 2/3, ood 0: (0.5 + 0.6667 + 0) / 3
    expect(m.macro_f1).toBeCloseTo(0.38888888888888884, 15)
    expect(m.confusion.labels).toEqual(['no', 'yes', 'ood'])
  })

  it('benchmark: OOD is class 0, "no" (sklearn on p = yes, no, no, no, yes, yes)', () => {
    const m = scoreCorrectness(DR, gold, pred, 'benchmark')
    expect(m.ood_convention).toBe('benchmark')
    expect(m.ood).toBe(2)
    expect(m.accuracy).toBeCloseTo(0.6666666666666666, 15)
    expect(m.weighted_f1).toBeCloseTo(0.6666666666666666, 15)
    expect(m.micro_f1).toBeCloseTo(0.6666666666666666, 15)
    expect(m.macro_f1).toBeCloseTo(0.6666666666666666, 15)
    expect(m.confusion.labels).toEqual(['no', 'yes'])
    expect(m.predictedDistribution).toEqual({ no: 3, yes: 3 })
  })

  it('SAD: the benchmark gives OOD class 8, "other stress causes", not class 0', () => {
    const g = ['school', 'work', 'other stress causes', 'work', 'family issues']
    const p = ['school', null, null, 'work', 'school']
    const w = scoreCorrectness(SAD, g, p, 'workbench')
    expect([w.accuracy, w.weighted_f1, w.micro_f1, w.macro_f1].map((x) => +x.toFixed(12))).toEqual([0.4, 0.4, 0.4, 0.266666666667])
    const b = scoreCorrectness(SAD, g, p, 'benchmark')
    expect([b.accuracy, b.weighted_f1, b.micro_f1, b.macro_f1].map((x) => +x.toFixed(12))).toEqual([0.6, 0.533333333333, 0.6, 0.5])
  })

  it("the benchmark's OOD class is the one IMHI.py's calculate_f1 assigns, on every dataset", () => {
    for (const info of DATASETS) {
      const classes = IMHI_PY_CLASSES[info.name as keyof typeof IMHI_PY_CLASSES]
      const l = imhiPyLabels(info.name as keyof typeof IMHI_PY_CLASSES, [classes[0]], ['Hmm.'])
      expect(l.oodCount).toBe(1)
      const cls = classes[l.output[0]]
      const ours = benchmarkOodLabel(info)
      // IMHI.py's class words are shorter forms of this app's label names ("no mental" = none, "other" = other stress causes).
      const same: Record<string, string> = { 'no mental': 'none', 'no mental disorders': 'none', other: 'other stress causes' }
      expect(same[cls] ?? cls, info.name).toBe(ours)
    }
  })
})
