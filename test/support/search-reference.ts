/**
 * The search as it was before ranking moved inside FTS5 (commit 26ab95c, src/main/imhi/search.ts):
 * every page counted every match and ranked every (post, item) pair, then took LIMIT/OFFSET. Kept
 * only as the reference the new search must equal (test/imhi/search-identity.test.ts); it is
 * slow on purpose. It parses queries with the same toFtsQuery, so the comparison is about
 * ranking, counting and paging, and filters are rebuilt here as the old code built them.
 */
import type { Db } from '../../src/main/db/open'
import { HIGHLIGHT_END, HIGHLIGHT_START } from '../../src/shared/api/protocol'
import { DATASETS, findDataset } from '../../src/shared/imhi/datasets'
import { toFtsQuery, type SearchFilters } from '../../src/main/imhi/search'

export interface ReferenceItem {
  id: number
  dataset: string
  split: string
  goldLabel: string | null
  snippet: string
}

export function referenceSearch(db: Db) {
  const PREVIEW_CHARS = 300
  function filterSql(f: SearchFilters): { where: string[]; params: unknown[] } | null {
    const where: string[] = []
    const params: unknown[] = []
    let datasets: string[] | null = f.datasets && f.datasets.length > 0 ? f.datasets.map((n) => findDataset(n)!.name) : null
    if (f.tasks && f.tasks.length > 0) {
      const byTask = DATASETS.filter((d) => f.tasks!.includes(d.task)).map((d) => d.name)
      datasets = datasets ? datasets.filter((d) => byTask.includes(d)) : byTask
    }
    if (datasets) {
      if (datasets.length === 0) return null
      where.push(`i.dataset IN (${datasets.map(() => '?').join(',')})`)
      params.push(...datasets)
    }
    if (f.splits && f.splits.length > 0) {
      where.push(`i.split IN (${f.splits.map(() => '?').join(',')})`)
      params.push(...f.splits)
    }
    if (f.labels && f.labels.length > 0) {
      where.push(`i.gold_label IN (${f.labels.map(() => '?').join(',')})`)
      params.push(...f.labels.map((l) => l.trim().toLowerCase()))
    }
    return { where, params }
  }

  type Row = { id: number; dataset: string; split: string; gold_label: string | null; post_id: number }
  const item = (r: Row, snippet: string): ReferenceItem => ({ id: r.id, dataset: r.dataset, split: r.split, goldLabel: r.gold_label, snippet })

  return function search(f: SearchFilters): { total: number; items: ReferenceItem[] } {
    const filters = filterSql(f)
    if (!filters) return { total: 0, items: [] }
    const fts = f.query && f.query.trim() ? toFtsQuery(f.query) : null
    if (f.query && f.query.trim() && fts === null) return { total: 0, items: [] }
    if (fts === null) {
      const where = filters.where.length ? `WHERE ${filters.where.join(' AND ')}` : ''
      const total = (db.prepare(`SELECT count(*) AS n FROM items i ${where}`).get(...filters.params) as { n: number }).n
      if (total === 0 || f.offset >= total) return { total, items: [] }
      const ids = db.prepare(`SELECT i.id FROM items i ${where} ORDER BY i.id LIMIT ? OFFSET ?`).pluck().all(...filters.params, f.limit, f.offset) as number[]
      const rows = db.prepare(`SELECT i.id, i.dataset, i.split, i.gold_label, i.post_id, substr(p.text, 1, ${PREVIEW_CHARS + 1}) AS preview FROM items i JOIN posts p ON p.id = i.post_id WHERE i.id IN (SELECT value FROM json_each(?))`).all(JSON.stringify(ids)) as (Row & { preview: string })[]
      const byId = new Map(rows.map((r) => [r.id, r]))
      return {
        total,
        items: ids.map((id) => {
          const r = byId.get(id)!
          return item(r, r.preview.length > PREVIEW_CHARS ? r.preview.slice(0, PREVIEW_CHARS) + '…' : r.preview)
        })
      }
    }
    const where = ['posts_fts MATCH ?', ...filters.where].join(' AND ')
    const params = [fts, ...filters.params]
    const total = (db.prepare(`SELECT count(*) AS n FROM posts_fts JOIN items i ON i.post_id = posts_fts.rowid WHERE ${where}`).get(...params) as { n: number }).n
    if (total === 0 || f.offset >= total) return { total, items: [] }
    const rows = db
      .prepare(`SELECT i.id, i.dataset, i.split, i.gold_label, i.post_id FROM posts_fts JOIN items i ON i.post_id = posts_fts.rowid WHERE ${where} ORDER BY posts_fts.rank, i.id LIMIT ? OFFSET ?`)
      .all(...params, f.limit, f.offset) as Row[]
    const postIds = [...new Set(rows.map((r) => r.post_id))]
    const snippets = new Map<number, string>()
    if (postIds.length > 0) {
      const snip = db
        .prepare(`SELECT rowid AS id, snippet(posts_fts, 0, ?, ?, '…', 32) AS s FROM posts_fts WHERE posts_fts MATCH ? AND rowid IN (SELECT value FROM json_each(?))`)
        .all(HIGHLIGHT_START, HIGHLIGHT_END, fts, JSON.stringify(postIds)) as { id: number; s: string }[]
      for (const r of snip) snippets.set(r.id, r.s)
    }
    return { total, items: rows.map((r) => item(r, snippets.get(r.post_id) ?? '')) }
  }
}
