import { describe, expect, it } from 'vitest'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { testServices } from '../support/services'
import { tempDir } from '../support/tmp'
import { openDatabase } from '../../src/main/db/open'
import { createServices } from '../../src/main/services'
import { APP_VERSION } from '../../src/main/version'

// Stats, facets and the totals of searches without text come from one cached GROUP BY, which an
// import invalidates, whether it runs in this service or in another process on the same file.

function folder(dir: string, name: string, rows: number): string {
  const root = join(dir, `f-${name}`)
  const file = join(root, 'test_data', 'test_instruction', `${name}.csv`)
  mkdirSync(join(file, '..'), { recursive: true })
  writeFileSync(
    file,
    'query,gpt-3.5-turbo\n' + Array.from({ length: rows }, (_, i) => `"Consider this post: ""${name} ${i}"" Question: Does the poster suffer from depression?","${i % 2 ? 'yes' : 'no'}. Reasoning: r."`).join('\n') + '\n'
  )
  return root
}

describe('stats, facets and filter totals: cached, invalidated by any import', () => {
  it('an import here and an import by another connection are both seen', async () => {
    const dir = tempDir()
    const s = testServices()
    await s.imhi.importPath(folder(dir, 'DR', 4))
    expect(s.imhi.facets().total).toBe(4)
    expect(s.imhi.search({ labels: ['yes'], offset: 0, limit: 1 }).total).toBe(2)
    await s.imhi.importPath(folder(dir, 'SAD', 6))
    expect(s.imhi.facets().total).toBe(10)
    expect(s.imhi.stats().datasets.SAD.splits.test_instruction?.items).toBe(6)

    // Another process (here: another connection and service) imports into the same file.
    const other = createServices({ db: openDatabase(s.platform.dbFile), dataDir: dir, platform: { transport: 'test', version: APP_VERSION, dbFile: s.platform.dbFile } })
    await other.imhi.importPath(folder(dir, 'CAMS', 3))
    await other.close()
    expect(s.imhi.facets().total).toBe(13)
    expect(s.imhi.search({ datasets: ['CAMS'], offset: 0, limit: 1 }).total).toBe(3)
    expect(s.imhi.search({ splits: ['test_instruction'], labels: ['YES '], offset: 0, limit: 50 })).toMatchObject({ total: 2, totalExact: true })
    expect(s.imhi.search({ datasets: ['DR'], splits: ['test_complete'], offset: 0, limit: 5 }).total).toBe(0)
  })
})
