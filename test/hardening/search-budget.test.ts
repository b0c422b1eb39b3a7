import { describe, expect, it } from 'vitest'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { testServices } from '../support/services'
import { tempDir } from '../support/tmp'
import { openDatabase } from '../../src/main/db/open'
import { createSearch, prefixesOf } from '../../src/main/imhi/search'
import { AppError } from '../../src/shared/api/errors'

// Defect 4: single-letter prefix searches held the one event loop for up to 1.8 s. A prefix too
// broad to run is refused with a clear message before it runs; any search past the query-time
// budget is stopped inside SQLite, not waited for.

describe('search: a query-time budget', () => {
  const dir = tempDir()
  const s = testServices()
  const root = join(dir, 'imhi')
  const file = join(root, 'test_data', 'test_instruction', 'DR.csv')
  mkdirSync(join(file, '..'), { recursive: true })
  // 3,000 posts, each with its own word starting with "s" (3,000 words behind "s*") and "sleep".
  const rows = Array.from({ length: 3000 }, (_, i) => `"Consider this post: ""I cannot sleep, s${i}x, night ${i}"" Question: Does the poster suffer from depression?","yes. Reasoning: r."`)
  writeFileSync(file, `query,gpt-3.5-turbo\n${rows.join('\n')}\n`)

  const searchOf = async (opts: Parameters<typeof createSearch>[1]) => {
    if (s.imhi.search({ offset: 0, limit: 1 }).total === 0) await s.imhi.importPath(root)
    // A connection of its own (the budget function is per connection).
    const db = openDatabase(s.platform.dbFile)
    return createSearch(db, opts)
  }

  it('a one-letter prefix with too many expansions is refused before it runs, saying to add letters', async () => {
    const search = await searchOf({})
    const err = (() => {
      try {
        search.search({ query: 'S*', offset: 0, limit: 20 })
      } catch (e) {
        return e as AppError
      }
      return null
    })()
    expect(err).toBeInstanceOf(AppError)
    expect(err!.code).toBe('invalid_input')
    expect(err!.message).toMatch(/^Too many matches for a one-letter prefix \(3,0\d\d words in [\d,]+ posts\): add letters\.$/)
    // A longer prefix, plain words and the same prefix negated still run.
    expect(search.search({ query: 's1*', offset: 0, limit: 20 }).total).toBe(1111)
    expect(search.search({ query: 'sleep', offset: 0, limit: 20 }).total).toBe(3000)
    expect(search.search({ query: 'sleep -s*', offset: 0, limit: 20 }).total).toBe(0)
  })

  it('a search past the budget is stopped inside SQLite and answered with a clear message', async () => {
    const search = await searchOf({ budgetMs: 0 })
    const started = performance.now()
    let err: AppError | null = null
    try {
      search.search({ query: 'sleep', offset: 0, limit: 1000 })
    } catch (e) {
      err = AppError.from(e)
    }
    expect(err?.code).toBe('cancelled')
    expect(err?.message).toMatch(/^The search "sleep" took over 0 s and was stopped: narrow it/)
    // Stopped early: the statement did not run to the end first.
    expect(performance.now() - started).toBeLessThan(2000)
    // The next search on the same connection runs normally once the budget allows it.
    const normal = await searchOf({})
    expect(normal.search({ query: 'sleep', offset: 0, limit: 5 }).items).toHaveLength(5)
  })

  it('prefixesOf folds case and diacritics as the index does and ignores negated terms', () => {
    expect(prefixesOf('Café* -sle* "panic att"* plain')).toEqual(['cafe', 'att'])
  })
})
