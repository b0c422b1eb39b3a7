import { z } from 'zod'
import { method } from './define'
import { SPLITS, type SplitName, type TaskId } from '../imhi/datasets'

export interface ImportFileReport {
  /** Path relative to the imported folder (or the file name for a single CSV). */
  file: string
  kind: 'items' | 'reference_ratings' | 'outputs' | 'skipped'
  dataset: string | null
  split: SplitName | null
  rows: number
  added: number
  /** Already present from an earlier import of the same file (idempotent re-import). */
  unchanged: number
  error: string | null
  /** Why a file was skipped (kind 'outputs' or 'skipped'). */
  reason?: string
  /** Items whose gold response names no label of the dataset (0 for every released file). */
  unlabeled?: number
  /** A byte-identical copy of this file already imported: its path (nothing imported twice). */
  duplicateOf?: string
}

export interface ImportReport {
  root: string
  files: ImportFileReport[]
  added: number
  unchanged: number
  errors: number
  seconds: number
  /** Set when the import was cancelled: the files listed are in (each whole), `notRead` were not. */
  cancelled?: true
  notRead?: number
}

export interface StatsSplit {
  items: number
  labels: Record<string, number>
}
export interface Stats {
  datasets: Record<string, { task: TaskId; splits: Partial<Record<SplitName, StatsSplit>> }>
  referenceRatings: number
}

export interface ItemSummary {
  id: number
  dataset: string
  split: SplitName
  task: TaskId
  goldLabel: string | null
  /** Post text, or an FTS snippet with matches between HIGHLIGHT_START/END markers. */
  snippet: string
}

export interface ItemDetail {
  id: number
  dataset: string
  split: SplitName
  task: TaskId
  query: string
  post: string
  question: string | null
  goldResponse: string | null
  goldLabel: string | null
  goldExplanation: string | null
  sourceFile: string
  sourceRow: number
  labels: readonly string[]
}

export interface SearchResult {
  /**
   * Matching items. Exact when `totalExact`; otherwise counting stopped there (the UI shows "N+"):
   * a text search counts at most SEARCH_COUNT_AHEAD items past the requested page, so a very common
   * word costs a bounded count, and asking for later pages raises the bound.
   */
  total: number
  /** False when `total` is a lower bound (more items match; ask for a later page to count further). */
  totalExact: boolean
  items: ItemSummary[]
}

/** How many matches past the end of the requested page a text search counts before it stops ("N+"). */
export const SEARCH_COUNT_AHEAD = 10_000

const splitSchema = z.enum(SPLITS)

export const searchInput = z
  .object({
    query: z.string().max(1000).optional(),
    datasets: z.array(z.string().max(64)).max(32).optional(),
    splits: z.array(splitSchema).max(16).optional(),
    tasks: z.array(z.string().max(64)).max(16).optional(),
    labels: z.array(z.string().max(128)).max(64).optional(),
    offset: z.number().int().min(0).default(0),
    limit: z.number().int().min(1).max(1000).default(100)
  })
  .strict()

export interface Facets {
  datasets: { name: string; task: TaskId; labels: readonly string[]; items: number }[]
  splits: { name: SplitName; items: number }[]
  tasks: { id: TaskId; title: string; items: number }[]
  total: number
}

export const imhiMethods = {
  'imhi.import': method<ImportReport>()(z.object({ path: z.string().min(1).max(4096) }).strict()),
  /** Stops the running import after its current file (or at its next progress point inside it). */
  'imhi.cancelImport': method<{ cancelled: boolean }>()(z.object({}).strict()),
  'imhi.stats': method<Stats>()(z.object({}).strict()),
  'imhi.facets': method<Facets>()(z.object({}).strict()),
  'imhi.search': method<SearchResult>()(searchInput),
  'imhi.item': method<ItemDetail>()(z.object({ id: z.number().int().positive() }).strict())
}

export interface ImhiEvents {
  'imhi.importProgress': { file: string; filesDone: number; filesTotal: number; rows: number }
}
