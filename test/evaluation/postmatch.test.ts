import { describe, expect, it } from 'vitest'
import { join } from 'node:path'
import { cleanWords, PostMatcher, postKey, repairMojibake } from '../../src/main/evaluation/postmatch'
import { testServices } from '../support/services'
import { hasSharedImhi, SHARED_IMHI, sharedSkipReason } from '../support/shared'

/** UTF-8 bytes read as GBK: how the released DR_annotation files damaged their posts. */
function gbkMisread(text: string): string {
  return new TextDecoder('gbk').decode(new TextEncoder().encode(text))
}

const POST_A =
  'My friend wants to cut everybody off. I’m taken aback — we’ve known each other since primary school! I just don’t know what to say to her, she says it isn’t anything I did.'
const POST_B = 'Went to a therapy centre for the first time today. I hesitated so much before going, I almost went back too many times and I’m glad I didn’t.'
const POST_C = 'My son is married and I don’t like it. I raised him with traditional values, I hadn’t seen my son in three years after a disagreement.'

describe('matching rated posts to items', () => {
  it('undoes UTF-8 read as GBK, as in the released rating files ("I鈥檓" = "I’m")', () => {
    expect(gbkMisread('I’m')).toBe('I鈥檓')
    expect(repairMojibake('I鈥檓 fine')).toBe('I’m fine')
    expect(repairMojibake(gbkMisread(POST_B))).toBe(POST_B)
    // A dash before a space loses its last byte to the misreading ("鈥\ufffd"): its key still matches.
    expect(repairMojibake(gbkMisread(POST_A))).toContain('aback 鈥\ufffd we’ve known')
    expect(postKey(gbkMisread(POST_A))).toBe(postKey(POST_A))
    // Text that was never damaged stays as it is (a real ’, é, or CJK text that is not UTF-8 bytes).
    expect(repairMojibake('café ’quoted’ 中文')).toBe('café ’quoted’ 中文')
    expect(postKey(gbkMisread(POST_B))).toBe(postKey(POST_B))
  })

  it('leaves out the words damage touched, on both sides', () => {
    expect([...cleanWords('I__ a happy person, we__e known')]).toEqual(['a', 'happy', 'person', 'known'])
    expect([...cleanWords('I’m a happy person, we’ve known')]).toEqual(['a', 'happy', 'person', 'known'])
  })

  const candidates = [
    { post: POST_A, value: 'golden A (test_instruction)' },
    { post: POST_B, value: 'golden B (test_instruction)' },
    { post: POST_C, value: 'golden C (test_instruction)' },
    // The completion form of post A: the same post, slightly different text.
    { post: POST_A.replace('primary school', 'primary  school, you know'), value: 'golden A (test_complete)' },
    { post: POST_B, value: 'golden B (test_complete)' }
  ]
  const m = new PostMatcher(candidates)

  it('matches by normalized text first, preferring the earliest form', () => {
    expect(m.match(POST_B)).toEqual({ value: 'golden B (test_instruction)', how: 'exact', similarity: 1 })
    expect(m.match(gbkMisread(POST_C))).toMatchObject({ value: 'golden C (test_instruction)', how: 'exact' })
    expect(m.match(POST_A.toUpperCase().replace(/\./g, ' ...'))).toMatchObject({ value: 'golden A (test_instruction)', how: 'exact' })
  })

  it('matches "_"-damaged text on its undamaged words, even where the post exists in two forms', () => {
    const underscored = gbkMisread(POST_A).replace(/[^\x00-\x7f]/g, '_')
    expect(underscored).toContain('I__ taken aback')
    const r = m.match(underscored)
    expect(r).toMatchObject({ value: 'golden A (test_instruction)', how: 'close' })
  })

  it('reports what stays unmatched, with the reason', () => {
    expect(m.match('A completely different post about my cat and the weather today.')).toMatchObject({ value: null, how: 'none', reason: expect.stringMatching(/no post shares 80% of its words/) })
    expect(m.match('鈥鈥 __ ')).toMatchObject({ value: null, reason: expect.stringMatching(/no undamaged words/) })
    // Two different posts equally close: refused, not guessed.
    const base = 'w1 w2 w3 w4 w5 w6 w7 w8 w9 w10 w11 w12 w13 w14 w15 w16 w17 w18 w19 w20'
    const twins = new PostMatcher([
      { post: `${base} a1 a2 a3`, value: 'x' },
      { post: `${base} b1 b2 b3`, value: 'y' }
    ])
    expect(twins.match(`${base} a1 a2 b1 b2`)).toMatchObject({ value: null, reason: expect.stringMatching(/two different posts/) })
  })
})

describe.skipIf(!hasSharedImhi)('the released DR ratings (../shared/imhi)', () => {
  sharedSkipReason('imhi')
  const s = testServices()
  it('match all 285 rated explanations (121 + 43 + 121) to a DR post', async () => {
    await s.imhi.importPath(join(SHARED_IMHI, 'test_data'))
    await s.imhi.importPath(join(SHARED_IMHI, 'human_evaluation'))
    const r = await s.evaluation.correlations()
    expect(r.unmatchedRows).toEqual([])
    expect(r.n).toBe(285)
    expect(r.unmatched).toBe(0)
    expect(r.matched.exact + r.matched.close).toBe(285)
    const bySystem: Record<string, number> = {}
    for (const p of r.points) bySystem[p.system] = (bySystem[p.system] ?? 0) + 1
    expect(bySystem).toEqual({ chatgpt_data: 121, chatgpt_false_data: 43, gpt3_data: 121 })
  }, 120_000)
})
