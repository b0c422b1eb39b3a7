import { describe, expect, it } from 'vitest'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { testServices } from '../support/services'
import { tempDir } from '../support/tmp'
import { writeImhiFixture } from '../support/imhi-fixture'
import { hasSharedImhi, sharedSkipReason, SHARED_IMHI } from '../support/shared'
import { openDatabase } from '../../src/main/db/open'
import { referenceSearch } from '../support/search-reference'
import type { SearchFilters } from '../../src/main/imhi/search'
import type { Services } from '../../src/main/services'
import { SEARCH_COUNT_AHEAD, type SearchResult } from '../../src/shared/api/imhi'

// Search ranks inside FTS5 with a LIMIT and counts up to a bound; the old search counted and
// ranked every match on every page. On a fixed query set the pages must be the same items, in
// the same order, with the same snippets, and the totals the same wherever they are exact.

function compare(s: Services, queries: SearchFilters[]): number {
  const ref = referenceSearch(openDatabase(s.platform.dbFile, { readonly: true }))
  // Warm the stats/facets counts: totals without text then come from them (as in Browse).
  s.imhi.facets()
  let compared = 0
  for (const q of queries) {
    const now: SearchResult = s.imhi.search(q)
    const old = ref(q)
    const what = JSON.stringify(q)
    expect(now.items.map((i) => [i.id, i.dataset, i.split, i.goldLabel, i.snippet]), what).toEqual(old.items.map((i) => [i.id, i.dataset, i.split, i.goldLabel, i.snippet]))
    if (now.totalExact) expect(now.total, what).toBe(old.total)
    else {
      // A bound: counting stopped SEARCH_COUNT_AHEAD past the page, and more match than that.
      expect(now.total, what).toBe(q.offset + q.limit + SEARCH_COUNT_AHEAD)
      expect(old.total, what).toBeGreaterThanOrEqual(now.total)
    }
    compared++
  }
  return compared
}

/** Words, phrases, prefixes, OR, NOT, filters, deep pages and odd input, each at a few page positions. */
function querySet(words: string[], deep: number[]): SearchFilters[] {
  const [a, b, c, d, e] = words
  const q: SearchFilters[] = []
  const texts = [a, b, `${a} ${b}`, `"${a} ${b}"`, `${c.slice(0, 3)}*`, `${a} OR ${d}`, `${a} -${b}`, `${c} OR ${d.slice(0, 3)}* -${e}`, `"${d}"`, `${e}*`, 'AND OR (', '"unclosed', '-only']
  for (const query of texts) {
    for (const offset of [0, ...deep]) for (const limit of [1, 7, 100]) q.push({ query, offset, limit })
  }
  const filters: Omit<SearchFilters, 'offset' | 'limit'>[] = [
    { datasets: ['DR'] },
    { splits: ['test_complete'] },
    { datasets: ['DR', 'dreaddit'], splits: ['test_instruction'], labels: ['yes'] },
    { tasks: ['stress_cause'] },
    { tasks: ['depression'], datasets: ['SAD'] }
  ]
  for (const f of filters) {
    for (const query of [a, `${b} OR ${c}`, `${d.slice(0, 3)}*`, undefined]) for (const offset of [0, ...deep]) q.push({ ...f, query, offset, limit: 50 })
  }
  return q
}

describe('search: the same results as ranking and counting every match', () => {
  it('a synthetic folder with many posts tied in rank, each post in two splits (items interleave by id)', async () => {
    const s = testServices()
    const dir = tempDir()
    const root = join(dir, 'ties')
    // Posts of equal length holding "sleep" once tie exactly in bm25; each post is in both the
    // instruction and the completion file, so a post's two items are far apart in id.
    const posts = Array.from({ length: 700 }, (_, i) => (i % 3 === 0 ? `I cannot sleep at night number ${1000 + i}` : i % 3 === 1 ? `sleep sleep mood mood ${1000 + i} and work` : `my mood and my work today ${1000 + i}`))
    for (const [split, cell] of [
      ['test_instruction', (p: string) => `"Consider this post: ""${p}"" Question: Does the poster suffer from depression?"`],
      ['test_complete', (p: string) => `"Post: ${p}  Question: Does the poster suffer from depression?"`]
    ] as const) {
      const file = join(root, 'test_data', split, 'DR.csv')
      mkdirSync(join(file, '..'), { recursive: true })
      writeFileSync(file, 'query,gpt-3.5-turbo\n' + posts.map((p, i) => `${cell(p)},"${i % 2 ? 'yes' : 'no'}. Reasoning: r."`).join('\n') + '\n')
    }
    expect((await s.imhi.importPath(root)).errors).toBe(0)
    const queries = querySet(['sleep', 'mood', 'work', 'night', 'today'], [3, 250, 699, 1390])
    expect(compare(s, queries)).toBe(queries.length)
  })

  it('the committed fixture (quirky files, every split)', async () => {
    const s = testServices()
    expect((await s.imhi.importPath(writeImhiFixture(tempDir()))).errors).toBe(0)
    const queries = querySet(['sleep', 'mom', 'depression', 'job', 'night'], [2, 9])
    expect(compare(s, queries)).toBe(queries.length)
  })

  it.skipIf(!hasSharedImhi)('the released IMHI data (../shared/imhi)', async () => {
    const s = testServices()
    expect((await s.imhi.importPath(SHARED_IMHI)).errors).toBe(0)
    const queries = [
      ...querySet(['i', 'sleep', 'family', 'anxiety', 'job'], [1000, 12_345]),
      ...querySet(['the', 'depression', 'school', 'money', 'alone'], [500]),
      { query: '"i feel like"', offset: 3000, limit: 200 },
      { query: 'insomn*', offset: 0, limit: 1000 },
      { query: 'suic* OR "want to die"', offset: 0, limit: 200, splits: ['test_instruction' as const] },
      { query: 'the', offset: 30_000, limit: 100 }
    ]
    expect(compare(s, queries)).toBe(queries.length)
  }, 300_000)
  if (!hasSharedImhi) it.skip(sharedSkipReason('imhi') ?? 'skipped', () => {})
})
