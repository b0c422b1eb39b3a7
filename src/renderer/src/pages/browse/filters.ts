import type { z } from 'zod'
import type { searchInput } from '../../../../shared/api/imhi'
import type { Facets, Stats } from '../../../../shared/api/imhi'
import { SPLITS, type SplitName } from '../../../../shared/imhi/datasets'

/** The Browse view's state, kept in the hash query so a URL reproduces it. */
export interface BrowseFilters {
  q: string
  datasets: string[]
  splits: SplitName[]
  tasks: string[]
  labels: string[]
}

const KEYS = { datasets: 'dataset', splits: 'split', tasks: 'task', labels: 'label' } as const

export function filtersFromQuery(query: URLSearchParams): BrowseFilters {
  const list = (key: string) => [...new Set(query.getAll(key).filter((v) => v.length > 0))]
  return {
    q: query.get('q') ?? '',
    datasets: list(KEYS.datasets),
    splits: list(KEYS.splits).filter((s): s is SplitName => (SPLITS as readonly string[]).includes(s)),
    tasks: list(KEYS.tasks),
    labels: list(KEYS.labels)
  }
}

export function filtersToQuery(f: BrowseFilters): Record<string, string | string[]> {
  return { q: f.q.trim() === '' ? '' : f.q, [KEYS.datasets]: f.datasets, [KEYS.splits]: f.splits, [KEYS.tasks]: f.tasks, [KEYS.labels]: f.labels }
}

export function hasFilters(f: BrowseFilters): boolean {
  return f.q.trim() !== '' || f.datasets.length > 0 || f.splits.length > 0 || f.tasks.length > 0 || f.labels.length > 0
}

export type SearchFilters = Omit<z.input<typeof searchInput>, 'offset' | 'limit'>

/** The imhi.search input for these filters (empty lists mean "any"). */
export function toSearchInput(f: BrowseFilters): SearchFilters {
  const input: SearchFilters = {}
  if (f.q.trim() !== '') input.query = f.q.trim()
  if (f.datasets.length) input.datasets = f.datasets
  if (f.splits.length) input.splits = f.splits
  if (f.tasks.length) input.tasks = f.tasks
  if (f.labels.length) input.labels = f.labels
  return input
}

export interface FacetOption {
  value: string
  label: string
  count: number
}

/**
 * Options with counts for each filter. Counts come from imhi.stats and respect the other
 * filters (a dataset's count under the chosen splits, a label's under the chosen datasets and
 * splits); the text query is not counted in them.
 */
export function facetOptions(facets: Facets, stats: Stats | null, f: BrowseFilters) {
  const taskOf = new Map(facets.datasets.map((d) => [d.name, d.task as string]))
  const okDataset = (name: string, ignore?: 'datasets' | 'tasks') =>
    (ignore === 'datasets' || f.datasets.length === 0 || f.datasets.includes(name)) &&
    (ignore === 'tasks' || f.tasks.length === 0 || f.tasks.includes(taskOf.get(name) ?? ''))
  const okSplit = (s: string) => f.splits.length === 0 || (f.splits as string[]).includes(s)

  const count = (pred: (dataset: string, split: string) => boolean, label?: string): number => {
    if (!stats) return 0
    let n = 0
    for (const [dataset, d] of Object.entries(stats.datasets)) {
      for (const [split, s] of Object.entries(d.splits)) {
        if (!s || !pred(dataset, split)) continue
        n += label === undefined ? s.items : (s.labels[label] ?? 0)
      }
    }
    return n
  }

  const datasets: FacetOption[] = facets.datasets.map((d) => ({
    value: d.name,
    label: d.name,
    count: stats ? count((ds, sp) => ds === d.name && okDataset(ds, 'datasets') && okSplit(sp)) : d.items
  }))
  const splits: FacetOption[] = facets.splits.map((s) => ({
    value: s.name,
    label: s.name,
    count: stats ? count((ds, sp) => sp === s.name && okDataset(ds)) : s.items
  }))
  const tasks: FacetOption[] = facets.tasks.map((t) => ({
    value: t.id,
    label: t.title,
    count: stats ? count((ds, sp) => taskOf.get(ds) === t.id && okDataset(ds, 'tasks') && okSplit(sp)) : t.items
  }))
  // Labels of the datasets in view, in each dataset's canonical order.
  const labelNames: string[] = []
  for (const d of facets.datasets) {
    if (!okDataset(d.name)) continue
    for (const l of d.labels) if (!labelNames.includes(l)) labelNames.push(l)
  }
  for (const l of f.labels) if (!labelNames.includes(l)) labelNames.push(l)
  const labels: FacetOption[] = labelNames.map((l) => ({ value: l, label: l, count: count((ds, sp) => okDataset(ds) && okSplit(sp), l) }))
  return { datasets, splits, tasks, labels }
}
