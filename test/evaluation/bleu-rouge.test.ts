import { describe, expect, it } from 'vitest'
import { bleu, computeBleu } from '../../src/main/evaluation/bleu'
import { tokenize13a } from '../../src/main/evaluation/tokenize13a'
import { lcsLength, rougeCorpus, rougeN, rougePair, rougeTokenize } from '../../src/main/evaluation/rouge'

describe('tokenize13a (HF evaluate tokenizer_13a)', () => {
  it('splits punctuation, keeps decimals and apostrophes, splits a dash after a digit', () => {
    expect(tokenize13a("Hello, world! It's 3.5-4 km.")).toEqual(['Hello', ',', 'world', '!', "It's", '3.5', '-', '4', 'km', '.'])
  })
  it('unescapes the SGML entities and joins hyphenated line breaks', () => {
    expect(tokenize13a('a &amp; b &quot;c&quot; self-\nharm\nnext')).toEqual(['a', '&', 'b', '"', 'c', '"', 'selfharm', 'next'])
  })
})

describe('BLEU (HF evaluate bleu, max_order 4, no smoothing)', () => {
  it("matches evaluate's documented example", () => {
    const r = bleu(['hello there general kenobi', 'foo bar foobar'], [['hello there general kenobi', 'hello there !'], ['foo bar foobar']])
    expect(r.bleu).toBe(1)
    expect(r.precisions).toEqual([1, 1, 1, 1])
    expect(r.brevity_penalty).toBe(1)
    expect(r.length_ratio).toBeCloseTo(1.1666666666666667, 15)
    expect(r.translation_length).toBe(7)
    expect(r.reference_length).toBe(6)
  })

  it('is 0 when some n-gram order has no match (no smoothing)', () => {
    // 4-grams of "the cat sat on the mat" never occur in "the cat is on the mat".
    const r = bleu(['the cat sat on the mat'], ['the cat is on the mat'])
    expect(r.precisions).toEqual([5 / 6, 3 / 5, 1 / 4, 0])
    expect(r.bleu).toBe(0)
  })

  it('hand-worked brevity penalty: exp(1 - 6/4)', () => {
    const r = bleu(['a b c d'], ['a b c d e f'])
    expect(r.precisions).toEqual([1, 1, 1, 1])
    expect(r.brevity_penalty).toBeCloseTo(0.6065306597126334, 15)
    expect(r.bleu).toBeCloseTo(0.6065306597126334, 15)
  })

  it('hand-worked corpus sums: (8/9 * 5/7 * 3/5 * 1/3)^(1/4)', () => {
    const r = computeBleu([[['a', 'b', 'c', 'x', 'e']], [['a', 'b', 'c', 'd']]], [['a', 'b', 'c', 'd', 'e'], ['a', 'b', 'c', 'd']])
    expect(r.precisions).toEqual([8 / 9, 5 / 7, 3 / 5, 1 / 3])
    expect(r.brevity_penalty).toBe(1)
    expect(r.bleu).toBeCloseTo(0.5969491792019646, 14)
  })

  it('clips counts by the reference and reports empty sides instead of dividing by zero', () => {
    expect(bleu(['the the the the'], ['the cat']).precisions[0]).toBe(1 / 4)
    expect(bleu([''], ['a b']).bleu).toBeNull()
    expect(bleu(['a b'], ['']).error).toMatch(/references are empty/)
  })
})

describe('ROUGE (rouge_score, no stemming)', () => {
  it('tokenizes as rouge_score: lower case, non-alphanumerics to spaces', () => {
    expect(rougeTokenize("Hello, World! It's 3.5 — ok")).toEqual(['hello', 'world', 'it', 's', '3', '5', 'ok'])
  })

  it("matches rouge_score's README example", () => {
    const r = rougePair('The quick brown fox jumps over the lazy dog', 'The quick brown dog jumps on the log.')
    expect(r.rouge1.precision).toBe(0.75)
    expect(r.rouge1.recall).toBeCloseTo(0.6666666666666666, 15)
    expect(r.rouge1.fmeasure).toBeCloseTo(0.7058823529411765, 15)
    expect(r.rougeL.precision).toBe(0.625)
    expect(r.rougeL.recall).toBeCloseTo(0.5555555555555556, 15)
    expect(r.rougeL.fmeasure).toBeCloseTo(0.5882352941176471, 15)
  })

  it('hand-worked: ROUGE-1 5/6, ROUGE-2 3/5, ROUGE-L 5/6', () => {
    const r = rougePair('the cat is on the mat', 'the cat sat on the mat')
    expect(r.rouge1.fmeasure).toBeCloseTo(5 / 6, 15)
    expect(r.rouge2.fmeasure).toBeCloseTo(0.6, 15)
    expect(r.rougeL.fmeasure).toBeCloseTo(5 / 6, 15)
  })

  it('gives 0 for an empty side and averages F over pairs', () => {
    expect(rougePair('', 'x').rougeL.fmeasure).toBe(0)
    expect(rougePair('a b', '').rouge1.fmeasure).toBe(0)
    const c = rougeCorpus(['a b', 'a b'], ['a b', 'c d'])!
    expect(c.rouge1).toBe(0.5)
    expect(lcsLength(['a', 'b', 'c', 'd'], ['b', 'd', 'c'])).toBe(2)
  })
})

/** The textbook algorithms, written plainly, to check the fast ones against on random data. */
function naiveBleu(refs: string[][][], hyps: string[][]): { matches: number[]; possible: number[] } {
  const matches = [0, 0, 0, 0]
  const possible = [0, 0, 0, 0]
  const grams = (t: string[], n: number) => {
    const m = new Map<string, number>()
    for (let i = 0; i + n <= t.length; i++) m.set(t.slice(i, i + n).join(' '), (m.get(t.slice(i, i + n).join(' ')) ?? 0) + 1)
    return m
  }
  hyps.forEach((h, k) => {
    for (let n = 1; n <= 4; n++) {
      const merged = new Map<string, number>()
      for (const r of refs[k]) for (const [g, c] of grams(r, n)) merged.set(g, Math.max(merged.get(g) ?? 0, c))
      for (const [g, c] of grams(h, n)) matches[n - 1] += Math.min(c, merged.get(g) ?? 0)
      if (h.length - n + 1 > 0) possible[n - 1] += h.length - n + 1
    }
  })
  return { matches, possible }
}
function naiveLcs(a: string[], b: string[]): number {
  const t = Array.from({ length: a.length + 1 }, () => new Array<number>(b.length + 1).fill(0))
  for (let i = 1; i <= a.length; i++) for (let j = 1; j <= b.length; j++) t[i][j] = a[i - 1] === b[j - 1] ? t[i - 1][j - 1] + 1 : Math.max(t[i - 1][j], t[i][j - 1])
  return t[a.length][b.length]
}

describe('fast BLEU counting and bit-parallel LCS equal the textbook algorithms', () => {
  let seed = 7
  const rand = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648)
  const words = (n: number, v: number) => Array.from({ length: n }, () => `w${Math.floor(rand() * v)}`)

  it('on 2,000 random pairs (1-3 references, lengths 0-120, crossing 32/64-bit words)', () => {
    const refs: string[][][] = []
    const hyps: string[][] = []
    for (let k = 0; k < 2000; k++) {
      const v = 2 + Math.floor(rand() * 30)
      refs.push(Array.from({ length: 1 + Math.floor(rand() * (k % 4 === 0 ? 3 : 1)) }, () => words(Math.floor(rand() * 120), v)))
      hyps.push(words(Math.floor(rand() * 120), v))
      const a = refs[k][0]
      expect(lcsLength(a, hyps[k])).toBe(naiveLcs(a, hyps[k]))
      for (const n of [1, 2]) {
        const slow = naiveBleu([[a]], [hyps[k]])
        const overlap = slow.matches[n - 1]
        const r = rougeN(a, hyps[k], n)
        expect(r.precision).toBe(overlap / Math.max(hyps[k].length - n + 1, 1))
        expect(r.recall).toBe(overlap / Math.max(a.length - n + 1, 1))
      }
    }
    const fast = computeBleu(refs, hyps)
    const slow = naiveBleu(refs, hyps)
    expect(fast.precisions).toEqual(slow.matches.map((m, i) => (slow.possible[i] > 0 ? m / slow.possible[i] : 0)))
  })
})

describe('tokenize13a equals the literal sacrebleu/evaluate rules', () => {
  // The rules exactly as tokenizer_13a.py writes them (the space padded by the first rule).
  const literal = (input: string): string[] => {
    let line = input.replaceAll('<skipped>', '').replaceAll('-\n', '').replaceAll('\n', ' ')
    line = line.replaceAll('&quot;', '"').replaceAll('&amp;', '&').replaceAll('&lt;', '<').replaceAll('&gt;', '>')
    line = ` ${line} `
    line = line.replace(/([{-~[-` -&(-+:-@/])/g, ' $1 ')
    line = line.replace(/([^0-9])([.,])/g, '$1 $2 ')
    line = line.replace(/([.,])([^0-9])/g, ' $1 $2')
    line = line.replace(/([0-9])(-)/g, '$1 $2 ')
    return line.split(/[\t\n\v\f\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+/).filter(Boolean)
  }
  it('on 20,000 random punctuation-heavy strings', () => {
    let seed = 11
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648)
    const alphabet = ' \t\n.,-0123456789ab!?"\'&;<>()[]{}~`@/:\u00a0\u2019\u0085\r'
    for (let k = 0; k < 20000; k++) {
      const s = Array.from({ length: Math.floor(rand() * 40) }, () => alphabet[Math.floor(rand() * alphabet.length)]).join('')
      expect(tokenize13a(s)).toEqual(literal(s))
    }
  })
})
