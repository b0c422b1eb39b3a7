import { describe, expect, it } from 'vitest'
import { readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { decodeUtf8, parseCsv, readLimited } from '../../src/main/imhi/csv'
import { shapeOf } from '../../src/main/imhi/columns'
import { placeByPath } from '../../src/main/imhi/layout'
import { testServices } from '../support/services'
import { tempDir } from '../support/tmp'
import { writeImhiFixture } from '../support/imhi-fixture'
import { hasSharedImhi, SHARED_IMHI } from '../support/shared'
import type { SplitName } from '../../src/shared/imhi/datasets'

/**
 * Items store an instruction query that is exactly the template over their post and question as ''
 * and rebuild it on read (imhi/items.ts storedQuery / QUERY). The query a run feeds a model must be
 * the file's text to the byte: every item's query, read back through the service, equals the file's
 * query cell (instruction style) or post + question cells (completion style), row by row.
 */
function csvFiles(root: string): string[] {
  const out: string[] = []
  const walk = (d: string) => {
    for (const n of readdirSync(d).sort()) {
      const p = join(d, n)
      if (statSync(p).isDirectory()) walk(p)
      else if (n.toLowerCase().endsWith('.csv')) out.push(p)
    }
  }
  walk(root)
  return out
}

async function expectQueriesAsInFiles(root: string): Promise<{ items: number; rebuilt: number }> {
  const s = testServices('queries.db')
  const report = await s.imhi.importPath(root)
  expect(report.errors).toBe(0)
  let items = 0
  for (const file of csvFiles(root)) {
    const place = placeByPath(file)
    if (!place || place.kind !== 'items' || !place.dataset) continue
    const { header, rows } = parseCsv(decodeUtf8(readLimited(file, file), file), file)
    const shape = shapeOf(header, file)
    if (shape.kind !== 'instruction' && shape.kind !== 'complete') continue
    const expected = rows.map((r) => (shape.kind === 'instruction' ? r[shape.query] : r[shape.post] + r[shape.question]))
    const stored = s.imhi.listItems(place.dataset, place.split as SplitName)
    expect(stored.map((i) => i.query), file).toEqual(expected)
    // The other reads rebuild it the same way.
    const byIds = s.imhi.itemsByIds(stored.map((i) => i.id))
    expect(new Map(byIds.map((i) => [i.id, i.query])), file).toEqual(new Map(stored.map((i) => [i.id, i.query])))
    if (stored.length > 0) expect(s.imhi.item(stored[stored.length - 1].id).query).toBe(expected[expected.length - 1])
    items += stored.length
  }
  const rebuilt = (s.db.prepare("SELECT count(*) AS n FROM items WHERE query = ''").get() as { n: number }).n
  return { items, rebuilt }
}

describe('the query of every item reads as in its file, to the byte', () => {
  it('the committed fixture (quirky files, every split)', async () => {
    const r = await expectQueriesAsInFiles(writeImhiFixture(tempDir()))
    expect(r.items).toBeGreaterThan(0)
    expect(r.rebuilt).toBeGreaterThan(0)
  })

  it.skipIf(!hasSharedImhi)('the released IMHI data (../shared/imhi)', async () => {
    const r = await expectQueriesAsInFiles(SHARED_IMHI)
    expect(r.items).toBe(43_089)
    // About half of them (the instruction-style items whose query is the template) are rebuilt.
    expect(r.rebuilt).toBeGreaterThan(20_000)
  })
})
