import type { ServiceContext } from '../services'
import { AppError } from '../../shared/api/errors'
import { DATASETS, findDataset, SPLITS, TASKS, type SplitName, type TaskId } from '../../shared/imhi/datasets'
import type { Facets, ItemDetail, SearchResult, Stats, StatsSplit } from '../../shared/api/imhi'
import { createImporter, type ImportOptions } from './importer'
import { createSearch, type SearchFilters } from './search'
import { createItemReads, ITEMS_WITH_POSTS, QUERY, VISIBLE_ITEM, withExplanation, type ItemRow } from './items'
import { goldExplanation } from './labels'

/** One benchmark item as other domains read it (runs feed `query` to a model; metrics use `goldLabel`). */
/** An item as listItems returns it (ItemRow without where it sits in its file). */
export type ItemRecord = Omit<ItemRow, 'sourceRow'>

export interface ReferenceRating {
  id: number
  system: string
  sourceRow: number
  /** The DR_annotation file the rating was imported from. */
  sourceFile: string
  post: string
  label: string | null
  explanation: string
  explanationColumn: string
  /** Per aspect, the 3 annotators' scores 0..3 in file order. */
  scores: Record<'fluency' | 'completeness' | 'reliability' | 'overall', number[]>
}

const splitOrder = new Map<string, number>(SPLITS.map((s, i) => [s, i]))
const datasetOrder = new Map<string, number>(DATASETS.map((d, i) => [d.name, i]))

/** The IMHI data: import, stats, facets, search, items. Plain Node over the app's SQLite store. */
export function createImhiService(ctx: ServiceContext) {
  const { db } = ctx
  const importer = createImporter(db)

  const countsStmt = db.prepare<[], { dataset: string; split: SplitName; label: string | null; n: number }>(
    `SELECT i.dataset, i.split, i.gold_label AS label, count(*) AS n FROM items i WHERE ${VISIBLE_ITEM} GROUP BY i.dataset, i.split, i.gold_label`
  )
  const ratingsCount = db.prepare<[], { n: number }>('SELECT count(*) AS n FROM reference_ratings')
  const itemStmt = db.prepare<
    [number],
    {
      id: number
      dataset: string
      split: SplitName
      query: string
      post: string
      question: string | null
      gold_response: string | null
      gold_label: string | null
      source_row: number
      path: string
    }
  >(
    `SELECT i.id, i.dataset, i.split, ${QUERY} AS query, p.text AS post, i.question, i.gold_response, i.gold_label, i.source_row, s.path
     FROM ${ITEMS_WITH_POSTS} JOIN source_files s ON s.id = i.source_file_id WHERE i.id = ? AND ${VISIBLE_ITEM}`
  )
  const listStmt = db.prepare(
    `SELECT i.id, i.dataset, i.split, ${QUERY} AS query, p.text AS post, i.question, i.gold_response AS goldResponse, i.gold_label AS goldLabel
     FROM ${ITEMS_WITH_POSTS} WHERE i.dataset = ? AND i.split = ? AND ${VISIBLE_ITEM} ORDER BY i.source_file_id, i.source_row LIMIT ?`
  )
  const ratingsStmt = db.prepare(
    `SELECT r.id, r.system, r.source_row AS sourceRow, f.path AS sourceFile, r.post, r.label, r.explanation, r.explanation_column AS explanationColumn,
       r.fluency, r.completeness, r.reliability, r.overall
     FROM reference_ratings r JOIN source_files f ON f.id = r.source_file_id ORDER BY r.system, r.source_row`
  )

  /**
   * What the database shows changes only by an import, and a file's items become visible in the
   * same transaction that completes its source_files row (from this process or another: `imhi
   * import` beside the app); a file being written, or discarded, is never complete. The count and
   * last id of complete files are read in microseconds, so the GROUP BY behind stats and facets
   * runs once per file imported, not once per call (Browse's first paint asked for both).
   */
  const generationStmt = db.prepare<[], { last: number; n: number }>('SELECT coalesce(max(id), 0) AS last, count(*) AS n FROM source_files WHERE complete = 1')
  // Totals of searches without text come from the same counts once they are cached (Browse asks for
  // facets first); a one-shot CLI search counts with SQL instead of paying for the whole GROUP BY.
  const searcher = createSearch(db, {
    counts: () => {
      if (!cached) return null
      const g = generationStmt.get()!
      return cached.key === `${g.last}:${g.n}` ? cached.rows : null
    }
  })
  type Counts = { key: string; rows: { dataset: string; split: SplitName; label: string | null; n: number }[]; ratings: number }
  let cached: Counts | null = null
  function counts(): Counts {
    const g = generationStmt.get()!
    const key = `${g.last}:${g.n}`
    if (cached?.key === key) return cached
    const rows = countsStmt.all().sort(
      (a, b) => (datasetOrder.get(a.dataset) ?? 99) - (datasetOrder.get(b.dataset) ?? 99) || (splitOrder.get(a.split) ?? 99) - (splitOrder.get(b.split) ?? 99)
    )
    cached = { key, rows, ratings: ratingsCount.get()!.n }
    return cached
  }

  /** Items and gold-label counts per dataset and split; labels in the dataset's canonical order. */
  function stats(): Stats {
    const datasets: Stats['datasets'] = {}
    const { rows, ratings } = counts()
    for (const r of rows) {
      const info = findDataset(r.dataset)
      const ds = (datasets[r.dataset] ??= { task: (info?.task ?? 'disorders') as TaskId, splits: {} })
      const sp: StatsSplit = (ds.splits[r.split] ??= { items: 0, labels: {} })
      sp.items += r.n
      if (r.label !== null) sp.labels[r.label] = (sp.labels[r.label] ?? 0) + r.n
    }
    for (const [name, ds] of Object.entries(datasets)) {
      const order = findDataset(name)?.labels ?? []
      for (const sp of Object.values(ds.splits)) {
        const sorted: Record<string, number> = {}
        for (const l of order) if (sp!.labels[l] !== undefined) sorted[l] = sp!.labels[l]
        for (const [l, n] of Object.entries(sp!.labels)) if (sorted[l] === undefined) sorted[l] = n
        sp!.labels = sorted
      }
    }
    return { datasets, referenceRatings: ratings }
  }

  function facets(): Facets {
    const byDataset = new Map<string, number>()
    const bySplit = new Map<SplitName, number>()
    let total = 0
    for (const r of counts().rows) {
      byDataset.set(r.dataset, (byDataset.get(r.dataset) ?? 0) + r.n)
      bySplit.set(r.split, (bySplit.get(r.split) ?? 0) + r.n)
      total += r.n
    }
    const byTask = new Map<TaskId, number>()
    for (const d of DATASETS) byTask.set(d.task, (byTask.get(d.task) ?? 0) + (byDataset.get(d.name) ?? 0))
    return {
      datasets: DATASETS.filter((d) => byDataset.has(d.name)).map((d) => ({ name: d.name, task: d.task, labels: d.labels, items: byDataset.get(d.name)! })),
      splits: SPLITS.filter((s) => bySplit.has(s)).map((s) => ({ name: s, items: bySplit.get(s)! })),
      tasks: (Object.keys(TASKS) as TaskId[]).filter((t) => (byTask.get(t) ?? 0) > 0).map((t) => ({ id: t, title: TASKS[t], items: byTask.get(t)! })),
      total
    }
  }

  function item(id: number): ItemDetail {
    const r = itemStmt.get(id)
    if (!r) throw new AppError('not_found', `No item with id ${id}.`, { id })
    const info = findDataset(r.dataset)
    return {
      id: r.id,
      dataset: r.dataset,
      split: r.split,
      task: (info?.task ?? 'disorders') as TaskId,
      query: r.query,
      post: r.post,
      question: r.question,
      goldResponse: r.gold_response,
      goldLabel: r.gold_label,
      goldExplanation: goldExplanation(r.gold_response),
      sourceFile: r.path,
      sourceRow: r.source_row,
      labels: info?.labels ?? []
    }
  }

  /** The items of one dataset and split in file order (what a benchmark run iterates over). */
  function listItems(dataset: string, split: SplitName, limit?: number): ItemRecord[] {
    const d = findDataset(dataset)
    if (!d) throw new AppError('invalid_input', `Unknown dataset "${dataset}".`, { field: 'dataset' })
    return (listStmt.all(d.name, split, limit ?? -1) as Omit<ItemRecord, 'goldExplanation'>[]).map(withExplanation)
  }

  /** The released DR_annotation ratings (3 annotators x 4 aspects per explanation). */
  function referenceRatings(): ReferenceRating[] {
    type Raw = Omit<ReferenceRating, 'scores'> & Record<'fluency' | 'completeness' | 'reliability' | 'overall', string>
    return (ratingsStmt.all() as Raw[]).map(({ fluency, completeness, reliability, overall, ...rest }) => ({
      ...rest,
      scores: {
        fluency: JSON.parse(fluency) as number[],
        completeness: JSON.parse(completeness) as number[],
        reliability: JSON.parse(reliability) as number[],
        overall: JSON.parse(overall) as number[]
      }
    }))
  }

  return {
    importPath: async (path: string, opts?: ImportOptions) => {
      try {
        return await importer.importPath(path, opts)
      } finally {
        cached = null
      }
    },
    cancelImport: (): boolean => importer.cancel(),
    stats,
    facets,
    search: (f: SearchFilters): SearchResult => searcher.search(f),
    item,
    listItems,
    referenceRatings,
    // Item reads for the other domains (items.ts).
    ...createItemReads(db)
  }
}
export type ImhiService = ReturnType<typeof createImhiService>
