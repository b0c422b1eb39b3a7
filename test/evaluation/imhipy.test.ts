import { describe, expect, it } from 'vitest'
import { execFileSync, spawnSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import Papa from 'papaparse'
import { imhiPyCalculate, imhiPyLabels, pyFloat, pyRound2 } from '../../src/main/evaluation/imhipy'
import { hasSharedImhi, SHARED_IMHI, sharedSkipReason } from '../support/shared'

// Reference: test/support/python/imhi_py_reference.py runs IMHI.py's own calculate_f1 (copied
// verbatim) with scikit-learn and wrote this fixture; regenerate with
//   /usr/bin/python3 test/support/python/imhi_py_reference.py ../shared/imhi > test/evaluation/fixtures/imhi-py-reference.json
interface Reference {
  sklearn: string
  cases: { name: string; dataset: string; goldens: string[]; outputs: string[]; line: string | null; error: string | null }[]
  examples: { file: string; dataset: string; perturbation: string; rows: number; line: string | null; error: string | null }[]
}
const FIXTURE = resolve(__dirname, 'fixtures', 'imhi-py-reference.json')
const reference = JSON.parse(readFileSync(FIXTURE, 'utf8')) as Reference
const SCRIPT = resolve(__dirname, '..', 'support', 'python', 'imhi_py_reference.py')

/** The perturbations of imhi_py_reference.py's perturb(), the same string operations. */
function perturb(name: string, goldens: string[], outputs: string[]): [string[], string[]] {
  let g = [...goldens]
  let o = [...outputs]
  if (name === 'reasoning_renamed') o = o.map((x, i) => (i % 3 === 0 ? x.replaceAll('Reasoning:', 'Explanation:') : x))
  else if (name === 'empty_responses') o = o.map((x, i) => (i % 4 === 1 ? '' : x))
  else if (name === 'yes_to_no') o = o.map((x, i) => (i % 2 === 0 ? x.replaceAll('Yes', 'No') : x))
  else if (name === 'unclear_label') o = o.map((x, i) => (i % 5 === 2 ? 'Unclear. Reasoning: ' + x : x))
  else if (name === 'golden_unlabelled') g = g.map((x, i) => (i === 3 ? 'Unclear. Reasoning: ' + x : x))
  else if (name === 'fewer_outputs') o = o.slice(0, -2)
  else if (name !== 'released') throw new Error(name)
  return [g, o]
}

/** What the TypeScript gives, in the fixture's terms: the printed line, or "ValueError: <sklearn's message>". */
function asScript(dataset: string, goldens: string[], outputs: string[]): { line: string | null; error: string | null } {
  const r = imhiPyCalculate(dataset, goldens, outputs)
  const m = r.error ? /^scikit-learn raises (ValueError: [^;]*)/.exec(r.error) : null
  return { line: r.line, error: r.error ? (m ? m[1] : r.error) : null }
}

describe('IMHI.py rules (calculate_f1 as released)', () => {
  it(`the fixture was made by scikit-learn ${reference.sklearn} and holds every dataset`, () => {
    expect(new Set(reference.cases.map((c) => c.dataset))).toEqual(new Set(['DR', 'dreaddit', 'loneliness', 'Irf', 'MultiWD', 'SAD', 'CAMS', 't-sid', 'swmh']))
    expect(reference.cases.filter((c) => c.error).length).toBeGreaterThanOrEqual(4)
  })

  for (const c of reference.cases) {
    it(`hand-written case: ${c.name}`, () => {
      expect(asScript(c.dataset, c.goldens, c.outputs)).toEqual({ line: c.line, error: c.error })
    })
  }

  it('quirks: substrings, "Reasoning:" case, the OOD class, swmh dropping a row', () => {
    const l = imhiPyLabels('DR', ['Yes.', 'No.', 'Yes.'], ['I know.', 'Her eyes.', 'REASONING: yes'])
    expect(l.output).toEqual([0, 1, 1])
    expect(l.oodCount).toBe(0)
    expect(imhiPyLabels('SAD', ['other causes'], ['???']).output).toEqual([8])
    const s = imhiPyLabels('swmh', ['no mental', 'hmm', 'anxiety'], ['xx', 'anxiety', 'anxiety'])
    expect(s).toMatchObject({ golden: [0, 3], output: [0, 3], oodCount: 1, unmatchedGoldenRows: [2] })
  })

  it("Python's round(x, 2) and str(float)", () => {
    expect(pyRound2(12.125)).toBe(12.12)
    expect(pyRound2(12.875)).toBe(12.88)
    expect(pyRound2(37.5)).toBe(37.5)
    expect(pyRound2((100 * 2) / 3)).toBe(66.67)
    expect(pyRound2(100 * (24 / 35))).toBe(68.57)
    expect(pyFloat(100)).toBe('100.0')
    expect(pyFloat(0)).toBe('0.0')
    expect(pyFloat(Number.NaN)).toBe('nan')
    expect(pyFloat(82.86)).toBe('82.86')
  })

  it('a failing dataset says why and gives no number', () => {
    const r = imhiPyCalculate('DR', ['Yes.', 'Maybe.', 'No.'], ['Yes.', 'No.', 'No.'])
    expect(r).toMatchObject({ accuracy: null, weighted_f1: null, micro_f1: null, macro_f1: null, line: null, golden_labels: 2, output_labels: 3, unmatched_golden_rows: [2] })
    expect(r.error).toMatch(/inconsistent numbers of samples: \[2, 3\].*row 2/)
  })

  const skip = sharedSkipReason('imhi')
  const examples = resolve(SHARED_IMHI, 'examples', 'response_generation_examples')
  describe.skipIf(!hasSharedImhi || !existsSync(examples))('on the released example outputs (../shared/imhi), as released and perturbed', () => {
    it('equals the script on every file and perturbation', () => {
      expect(reference.examples.length).toBeGreaterThan(0)
      for (const e of reference.examples) {
        const rows = Papa.parse<Record<string, string>>(readFileSync(join(examples, e.file), 'utf8').replace(/^\ufeff/, ''), { header: true, skipEmptyLines: true }).data
        const [g, o] = perturb(
          e.perturbation,
          rows.map((r) => r.goldens),
          rows.map((r) => r.generated_text)
        )
        expect(o.length, `${e.file} ${e.perturbation}`).toBe(e.rows)
        expect(asScript(e.dataset, g, o), `${e.file} ${e.perturbation}`).toEqual({ line: e.line, error: e.error })
      }
    })
  })
  if (skip) it.skip(`released examples: ${skip}`, () => undefined)

  // Live: the same function in Python on cases made here (random mixes of the fixture's texts).
  const py = spawnSync('/usr/bin/python3', ['-c', 'import sklearn, pandas'], { encoding: 'utf8' })
  const hasSklearn = py.status === 0
  if (!hasSklearn) console.warn('skipped: /usr/bin/python3 with scikit-learn and pandas not found; the live IMHI.py comparison needs them (the fixture tests above still run)')
  it.skipIf(!hasSklearn)('equals calculate_f1 run live in Python on 60 random mixes', () => {
    let seed = 7
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648)
    const pool = reference.cases
    const cases = Array.from({ length: 60 }, () => {
      const base = pool[Math.floor(rand() * pool.length)]
      const same = pool.filter((c) => c.dataset === base.dataset).flatMap((c) => c.goldens.map((g, i) => [g, c.outputs[i]] as const))
      const n = 1 + Math.floor(rand() * 12)
      const rows = Array.from({ length: n }, () => same[Math.floor(rand() * same.length)] ?? ['Yes.', 'No.'])
      // Now and then a golden that names nothing, or an empty response.
      const goldens = rows.map(([g]) => (rand() < 0.05 ? 'Unclear. Reasoning: none.' : g))
      const outputs = rows.map(([, o]) => (rand() < 0.1 ? '' : o))
      return { dataset: base.dataset, goldens, outputs }
    })
    const out = JSON.parse(execFileSync('/usr/bin/python3', [SCRIPT, '--stdin'], { input: JSON.stringify(cases), encoding: 'utf8' })) as { line: string | null; error: string | null }[]
    cases.forEach((c, i) => expect(asScript(c.dataset, c.goldens, c.outputs), JSON.stringify(c)).toEqual(out[i]))
    expect(out.some((o) => o.error)).toBe(true)
  })
})
