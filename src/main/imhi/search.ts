import type { Statement } from 'better-sqlite3'
import type { Db } from '../db/open'
import { AppError } from '../../shared/api/errors'
import { HIGHLIGHT_END, HIGHLIGHT_START } from '../../shared/api/protocol'
import { DATASETS, findDataset, TASKS, type SplitName, type TaskId } from '../../shared/imhi/datasets'
import { SEARCH_COUNT_AHEAD, type ItemSummary, type SearchResult } from '../../shared/api/imhi'
import { ITEMS_WITH_POSTS, VISIBLE_ITEM } from './items'

/**
 * Full-text search over post texts (SQLite FTS5, unicode61 tokenizer, diacritics folded) with
 * filters, a total count and offset/limit paging.
 *
 * Query syntax (never passed to FTS5 as is, so no input can make it throw):
 *   words           all must occur (any order):     sleep anxiety
 *   "a phrase"      the words in this order:        "can't sleep"
 *   prefix*         words starting with it:         insomn*
 *   OR              either side:                    panic OR anxiety
 *   -word           must not occur:                 sleep -pills
 * Anything else (parentheses, stray quotes, AND/NOT/NEAR, column filters) is read as plain words.
 */

interface Term {
  text: string
  prefix: boolean
}

const HAS_WORD = /[\p{L}\p{N}]/u

function ftsString(t: Term): string {
  return `"${t.text.replace(/"/g, '""')}"${t.prefix ? '*' : ''}`
}

type Tok = { kind: 'term'; term: Term; negated: boolean } | { kind: 'or' }

/** Turns what a user typed into a safe FTS5 MATCH expression; null when it holds no word. */
export function toFtsQuery(input: string): string | null {
  return buildFts(tokenize(input))
}

/**
 * The prefixes (`sle*`) a query asks for, folded as the unicode61 tokenizer folds the index (lower
 * case, no diacritics), each the last word of its term. Negated terms do not count.
 */
export function prefixesOf(input: string): string[] {
  return tokenize(input)
    .filter((t): t is Extract<Tok, { kind: 'term' }> => t.kind === 'term' && t.term.prefix && !t.negated)
    .map((t) => {
      const words = t.term.text.split(/[^\p{L}\p{N}]+/u).filter(Boolean)
      return (words[words.length - 1] ?? '').normalize('NFD').replace(/\p{M}/gu, '').toLowerCase()
    })
    .filter((p) => p.length > 0)
}

function tokenize(input: string): Tok[] {
  const s = input.normalize('NFKC')
  const toks: Tok[] = []
  let i = 0
  while (i < s.length) {
    while (i < s.length && /\s/.test(s[i])) i++
    if (i >= s.length) break
    let negated = false
    if (s[i] === '-' && i + 1 < s.length && !/\s/.test(s[i + 1])) {
      negated = true
      i++
    }
    if (s[i] === '"') {
      const close = s.indexOf('"', i + 1)
      const end = close < 0 ? s.length : close
      const text = s.slice(i + 1, end)
      i = close < 0 ? s.length : close + 1
      let prefix = false
      if (s[i] === '*') {
        prefix = true
        i++
      }
      if (HAS_WORD.test(text)) toks.push({ kind: 'term', term: { text: text.trim(), prefix }, negated })
      continue
    }
    let j = i
    while (j < s.length && !/\s/.test(s[j]) && s[j] !== '"') j++
    const word = s.slice(i, j)
    i = j
    if (!negated && word === 'OR') {
      toks.push({ kind: 'or' })
      continue
    }
    const prefix = /\*+$/.test(word)
    const core = word.replace(/\*+$/, '')
    if (HAS_WORD.test(core)) toks.push({ kind: 'term', term: { text: core, prefix }, negated })
  }
  return toks
}

function buildFts(toks: Tok[]): string | null {
  // Positive terms joined by implicit AND or by OR; negated terms subtract at the end.
  const parts: string[] = []
  let pendingOr = false
  for (const t of toks) {
    if (t.kind === 'or') {
      pendingOr = parts.length > 0
      continue
    }
    if (t.negated) continue
    if (parts.length > 0) parts.push(pendingOr ? 'OR' : 'AND')
    parts.push(ftsString(t.term))
    pendingOr = false
  }
  if (parts.length === 0) return null
  const negatives = toks.filter((t): t is Extract<Tok, { kind: 'term' }> => t.kind === 'term' && t.negated).map((t) => ftsString(t.term))
  const positive = parts.length > 1 ? `(${parts.join(' ')})` : parts[0]
  return negatives.length ? `${positive} NOT ${negatives.join(' NOT ')}` : positive
}

export interface SearchFilters {
  query?: string
  datasets?: readonly string[]
  splits?: readonly SplitName[]
  tasks?: readonly string[]
  labels?: readonly string[]
  offset: number
  limit: number
}

const PREVIEW_CHARS = 300

/**
 * The query-time budget. A search that runs past it is stopped inside SQLite (a function in the
 * WHERE clause checks the clock as rows are visited and aborts the statement) and answered with a
 * clear message, so one slow query cannot hold the event loop that answers everyone else.
 */
export const SEARCH_BUDGET_MS = 500
/**
 * A prefix that expands to more words, or to more (word, post) pairs, than these is refused before
 * it runs: FTS5 merges every expansion's posting list before the first row, which no clock check
 * can interrupt (`s*`: 2,509 words in 69,660 postings of the IMHI release; `sle*`: 18 in 929).
 */
export const MAX_PREFIX_WORDS = 1500
export const MAX_PREFIX_POSTINGS = 40_000

class OverBudget extends Error {}

export interface SearchOptions {
  budgetMs?: number
  maxPrefixWords?: number
  maxPrefixPostings?: number
  /**
   * Items per (dataset, split, gold label), as the service caches them for stats and facets (null
   * while not cached): a search with filters and no text takes its total from them instead of
   * counting up to 435K index entries (10x the release) on every page.
   */
  counts?: () => readonly { dataset: string; split: string; label: string | null; n: number }[] | null
}

export function createSearch(db: Db, opts: SearchOptions = {}) {
  const budgetMs = opts.budgetMs ?? SEARCH_BUDGET_MS
  const maxWords = opts.maxPrefixWords ?? MAX_PREFIX_WORDS
  const maxPostings = opts.maxPrefixPostings ?? MAX_PREFIX_POSTINGS
  let deadline = Infinity
  db.function('imhi_within_budget', { deterministic: false }, () => {
    if (performance.now() > deadline) throw new OverBudget('over budget')
    return 1
  })
  /**
   * The budget check in a WHERE clause, called for one post in 16 only (`OR` stops at its first
   * true side): a call into JavaScript per matching row cost a fifth of a common word's ranking.
   */
  const BUDGET = '(posts_fts.rowid % 16 <> 0 OR imhi_within_budget())'
  // The index's vocabulary, to price a prefix before running it (a temp table: no schema change).
  db.exec("CREATE VIRTUAL TABLE IF NOT EXISTS temp.posts_fts_vocab USING fts5vocab(main, 'posts_fts', 'row')")
  const vocab = db.prepare<[string, string], { words: number; postings: number }>(
    'SELECT count(*) AS words, coalesce(sum(doc), 0) AS postings FROM temp.posts_fts_vocab WHERE term >= ? AND term < ?'
  )

  /** Refuses a prefix too broad to run within the budget, saying what to do. */
  function checkPrefixes(query: string): void {
    for (const p of prefixesOf(query)) {
      const { words, postings } = vocab.get(p, p + '\uffff')!
      if (words > maxWords || postings > maxPostings) {
        const what = [...p].length === 1 ? 'a one-letter prefix' : `the prefix "${p}*"`
        throw new AppError(
          'invalid_input',
          `Too many matches for ${what} (${words.toLocaleString('en-US')} words in ${postings.toLocaleString('en-US')} posts): add letters.`,
          { field: 'query', prefix: p, words, postings }
        )
      }
    }
  }

  const cache = new Map<string, Statement>()
  const stmt = (sql: string): Statement => {
    let s = cache.get(sql)
    if (!s) {
      // One statement per shape of filter (how many datasets, labels, ...): few in practice; bounded anyway.
      if (cache.size >= 256) cache.clear()
      s = db.prepare(sql)
      cache.set(sql, s)
    }
    return s
  }

  type Keep = { datasets: Set<string> | null; splits: Set<string> | null; labels: Set<string> | null }
  /** WHERE clauses and parameters for the filters (and the same as sets); null when a filter can match nothing. */
  function filterSql(f: SearchFilters): { where: string[]; params: unknown[]; keep: Keep } | null {
    // Only items of complete files (an import may be writing one, chunk after chunk).
    const where: string[] = [VISIBLE_ITEM]
    const params: unknown[] = []
    const keep: Keep = { datasets: null, splits: null, labels: null }
    let datasets: string[] | null = null
    if (f.datasets && f.datasets.length > 0) {
      datasets = f.datasets.map((name) => {
        const d = findDataset(name)
        if (!d) throw new AppError('invalid_input', `Unknown dataset "${name}"; IMHI datasets are ${DATASETS.map((x) => x.name).join(', ')}.`, { field: 'datasets' })
        return d.name
      })
    }
    if (f.tasks && f.tasks.length > 0) {
      for (const t of f.tasks) {
        if (!Object.prototype.hasOwnProperty.call(TASKS, t)) {
          throw new AppError('invalid_input', `Unknown task "${t}"; tasks are ${Object.keys(TASKS).join(', ')}.`, { field: 'tasks' })
        }
      }
      const byTask = DATASETS.filter((d) => f.tasks!.includes(d.task)).map((d) => d.name)
      datasets = datasets ? datasets.filter((d) => byTask.includes(d)) : byTask
    }
    if (datasets) {
      if (datasets.length === 0) return null
      where.push(`i.dataset IN (${datasets.map(() => '?').join(',')})`)
      params.push(...datasets)
      keep.datasets = new Set(datasets)
    }
    if (f.splits && f.splits.length > 0) {
      where.push(`i.split IN (${f.splits.map(() => '?').join(',')})`)
      params.push(...f.splits)
      keep.splits = new Set(f.splits)
    }
    if (f.labels && f.labels.length > 0) {
      const labels = f.labels.map((l) => l.trim().toLowerCase())
      where.push(`i.gold_label IN (${f.labels.map(() => '?').join(',')})`)
      params.push(...labels)
      keep.labels = new Set(labels)
    }
    return { where, params, keep }
  }

  /** Items the filters keep, summed from the per (dataset, split, label) counts (SQL's IN: a null label is in no list). */
  function countFromCounts(rows: readonly { dataset: string; split: string; label: string | null; n: number }[], keep: Keep): number {
    let n = 0
    for (const r of rows) {
      if (keep.datasets && !keep.datasets.has(r.dataset)) continue
      if (keep.splits && !keep.splits.has(r.split)) continue
      if (keep.labels && (r.label === null || !keep.labels.has(r.label))) continue
      n += r.n
    }
    return n
  }

  const taskOf = (dataset: string): TaskId => findDataset(dataset)?.task ?? ('disorders' as TaskId)

  type Row = { id: number; dataset: string; split: SplitName; gold_label: string | null; post_id: number }

  const pageRows = (ids: number[]): Map<number, Row & { preview: string }> => {
    const rows = stmt(
      `SELECT i.id, i.dataset, i.split, i.gold_label, i.post_id, substr(p.text, 1, ${PREVIEW_CHARS + 1}) AS preview FROM ${ITEMS_WITH_POSTS} WHERE i.id IN (SELECT value FROM json_each(?))`
    ).all(JSON.stringify(ids)) as (Row & { preview: string })[]
    return new Map(rows.map((r) => [r.id, r]))
  }

  function search(f: SearchFilters): SearchResult {
    deadline = performance.now() + budgetMs
    try {
      return run(f)
    } catch (err) {
      if (err instanceof OverBudget || (err as Error)?.message === 'over budget') {
        throw new AppError(
          'cancelled',
          `The search ${JSON.stringify(f.query ?? '')} took over ${budgetMs / 1000} s and was stopped: narrow it (more letters or words, a dataset or split filter).`,
          { field: 'query', budgetMs }
        )
      }
      throw err
    } finally {
      deadline = Infinity
    }
  }

  function run(f: SearchFilters): SearchResult {
    const filters = filterSql(f)
    if (!filters) return { total: 0, totalExact: true, items: [] }
    const fts = f.query && f.query.trim() ? toFtsQuery(f.query) : null
    if (f.query && f.query.trim() && fts === null) return { total: 0, totalExact: true, items: [] }

    if (fts === null) {
      // Ids from the narrow covering indexes first, then the wide rows of this page only. The count
      // reads a covering index (435K items: a few ms), so it stays exact.
      const where = filters.where.length ? `WHERE ${filters.where.join(' AND ')}` : ''
      const known = opts.counts?.() ?? null
      const total = known ? countFromCounts(known, filters.keep) : (stmt(`SELECT count(*) AS n FROM items i ${where}`).get(...filters.params) as { n: number }).n
      if (total === 0 || f.offset >= total) return { total, totalExact: true, items: [] }
      const ids = (stmt(`SELECT i.id FROM items i ${where} ORDER BY i.id LIMIT ? OFFSET ?`).pluck().all(...filters.params, f.limit, f.offset) as number[])
      const rows = pageRows(ids)
      return {
        total,
        totalExact: true,
        items: ids.map((id) => {
          const r = rows.get(id)!
          return summary(r, r.preview.length > PREVIEW_CHARS ? r.preview.slice(0, PREVIEW_CHARS) + '…' : r.preview)
        })
      }
    }

    checkPrefixes(f.query!)
    try {
      const { total, totalExact } = countMatches(fts, filters, f.offset + f.limit + SEARCH_COUNT_AHEAD)
      if (total === 0 || f.offset >= total) return { total, totalExact, items: [] }
      const rows = rankedPage(fts, filters, f.offset, f.limit)
      const postIds = [...new Set(rows.map((r) => r.post_id))]
      const snippets = new Map<number, string>()
      // `+rowid`: the id list filters the matches as they stream out. A plain `rowid IN` is handed
      // to FTS5, which then runs the whole MATCH once per id: a prefix (`fam*`) re-expanded 100
      // times took 80 ms at 10x the release, 1.4 ms this way.
      if (postIds.length > 0) {
        const snip = stmt(
          `SELECT rowid AS id, snippet(posts_fts, 0, ?, ?, '…', 32) AS s FROM posts_fts WHERE posts_fts MATCH ? AND +rowid IN (SELECT value FROM json_each(?))`
        ).all(HIGHLIGHT_START, HIGHLIGHT_END, fts, JSON.stringify(postIds)) as { id: number; s: string }[]
        for (const r of snip) snippets.set(r.id, r.s)
      }
      return { total, totalExact, items: rows.map((r) => summary(r, snippets.get(r.post_id) ?? '')) }
    } catch (err) {
      if (err instanceof OverBudget || (err as Error)?.message === 'over budget') throw err
      // toFtsQuery only emits quoted strings, so this is not the user's syntax; say so plainly.
      throw new AppError('internal', `Search failed for ${JSON.stringify(f.query)}: ${(err as Error).message}`)
    }
  }

  /**
   * Matching items, counted in index order (no ranking) and stopped at `cap`: exact below it, a
   * lower bound at it. A very common word costs at most `cap` item lookups instead of all of them.
   */
  function countMatches(fts: string, filters: { where: string[]; params: unknown[] }, cap: number): { total: number; totalExact: boolean } {
    const where = ['posts_fts MATCH ?', ...filters.where, BUDGET].join(' AND ')
    const n = (
      stmt(`SELECT count(*) AS n FROM (SELECT 1 FROM posts_fts JOIN items i ON i.post_id = posts_fts.rowid WHERE ${where} LIMIT ?)`).get(fts, ...filters.params, cap) as { n: number }
    ).n
    return { total: n, totalExact: n < cap }
  }

  /**
   * One page of matching items in rank order: best bm25 first, then item id (as when every match
   * was joined and sorted). Posts are ranked inside FTS5 with a LIMIT (SQLite keeps only the best
   * `window` in its sorter), restricted to posts with at least one item the filters keep; only then
   * are the items of those posts read. Each such post gives at least one item, so the first
   * `offset + limit` posts cover the page, except that posts tied in rank at the edge may hold items
   * with smaller ids: the window is taken larger than needed and is valid once it reaches past the
   * edge's tie group (else it grows and runs again; rare, and bounded by the matches).
   */
  function rankedPage(fts: string, filters: { where: string[]; params: unknown[] }, offset: number, limit: number): Row[] {
    const need = offset + limit
    // Every post in the index has a visible item (a post is indexed once no file is left incomplete,
    // and only posts no visible item has are ever deleted), so VISIBLE_ITEM alone needs no EXISTS.
    const keep = filters.where.length > 1
      ? ` AND EXISTS (SELECT 1 FROM items i INDEXED BY items_post WHERE i.post_id = posts_fts.rowid AND ${filters.where.join(' AND ')})`
      : ''
    const rank = stmt(
      `SELECT rowid AS post, bm25(posts_fts) AS r FROM posts_fts WHERE posts_fts MATCH ?${keep} AND ${BUDGET} ORDER BY r, rowid LIMIT ?`
    )
    let window = Math.max(2 * need, 64)
    let ranked: { post: number; r: number }[]
    for (;;) {
      ranked = rank.all(fts, ...filters.params, window) as { post: number; r: number }[]
      if (ranked.length < window) break
      const edge = ranked[need - 1].r
      if (ranked[window - 1].r !== edge) {
        ranked = ranked.filter((p) => p.r <= edge)
        break
      }
      window *= 4
    }
    if (ranked.length === 0) return []
    // The items of those posts, best posts first, in growing batches: a post often has several
    // items (both test styles, training copies), so the page is usually covered by far fewer posts
    // than `need`. Stop once the first `need` items cannot change: the next post ranks strictly
    // after the last of them (a post tied with it may still hold a smaller item id).
    const rankOf = new Map(ranked.map((p) => [p.post, p.r]))
    const where = filters.where.length ? ` AND ${filters.where.join(' AND ')}` : ''
    const itemsOf = stmt(
      `SELECT i.id, i.dataset, i.split, i.gold_label, i.post_id FROM items i INDEXED BY items_post WHERE i.post_id IN (SELECT value FROM json_each(?))${where}`
    )
    const order = (a: Row, b: Row) => rankOf.get(a.post_id)! - rankOf.get(b.post_id)! || a.id - b.id
    let items: Row[] = []
    let batch = Math.max(32, Math.ceil(need / 8))
    for (let from = 0; from < ranked.length; batch *= 2) {
      const posts = ranked.slice(from, from + batch)
      from += posts.length
      items = items.concat(itemsOf.all(JSON.stringify(posts.map((p) => p.post)), ...filters.params) as Row[])
      if (items.length < need || from >= ranked.length) continue
      items.sort(order)
      if (ranked[from].r > rankOf.get(items[need - 1].post_id)!) break
    }
    items.sort(order)
    return items.slice(offset, need)
  }

  function summary(r: Pick<Row, 'id' | 'dataset' | 'split' | 'gold_label'>, snippet: string): ItemSummary {
    return { id: r.id, dataset: r.dataset, split: r.split, task: taskOf(r.dataset), goldLabel: r.gold_label, snippet }
  }

  return { search }
}
