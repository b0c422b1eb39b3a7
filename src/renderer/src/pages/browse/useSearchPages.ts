import { useCallback, useEffect, useRef, useState } from 'react'
import type { ItemSummary } from '../../../../shared/api/imhi'
import { AppError } from '../../../../shared/api/errors'
import { api } from '@renderer/api/client'
import type { SearchFilters } from './filters'

export const PAGE_SIZE = 200

export interface SearchPages {
  /** null until the first page answers. */
  total: number | null
  /**
   * False while `total` is a lower bound: a text search counts a bounded number of matches past the
   * page asked for, so the list grows as later pages answer (each raises the bound).
   */
  totalExact: boolean
  error: AppError | null
  /** The item at a list position, or undefined while its page loads. */
  itemAt: (index: number) => ItemSummary | undefined
  /** Loads the pages covering [start, end] (list positions) if they are not loaded or loading. */
  ensureRange: (start: number, end: number) => void
  /** The list position of an item among the pages loaded so far, or -1. */
  indexOf: (id: number) => number
  /** Bumped when a page arrives, so the list re-renders. */
  version: number
}

/**
 * Pages through imhi.search with offset/limit as the list scrolls: only what is on screen (and a
 * little around it) is fetched, so 43k items cost a few small queries. A new filter starts over;
 * answers for an older filter are dropped. Nothing is asked while `enabled` is false (the data is
 * not known yet): Browse mounted before the facets arrived and searched once then and once more
 * when they did, the same search twice on every first paint.
 */
export function useSearchPages(filters: SearchFilters, dataVersion = 0, enabled = true): SearchPages {
  const key = JSON.stringify(filters)
  const pages = useRef(new Map<number, ItemSummary[]>())
  const loading = useRef(new Set<number>())
  const generation = useRef(0)
  const [total, setTotal] = useState<number | null>(null)
  const [totalExact, setTotalExact] = useState(true)
  const [error, setError] = useState<AppError | null>(null)
  const [version, setVersion] = useState(0)

  const load = useCallback(
    (page: number) => {
      if (pages.current.has(page) || loading.current.has(page)) return
      const gen = generation.current
      loading.current.add(page)
      const input = JSON.parse(key) as SearchFilters
      api.call('imhi.search', { ...input, offset: page * PAGE_SIZE, limit: PAGE_SIZE }).then(
        (r) => {
          if (gen !== generation.current) return
          loading.current.delete(page)
          pages.current.set(page, r.items)
          if (r.totalExact) setTotal(r.total)
          else setTotal((t) => Math.max(t ?? 0, r.total))
          setTotalExact(r.totalExact)
          setError(null)
          setVersion((v) => v + 1)
        },
        (err: unknown) => {
          if (gen !== generation.current) return
          loading.current.delete(page)
          setError(AppError.from(err))
        }
      )
    },
    [key]
  )

  useEffect(() => {
    generation.current++
    pages.current = new Map()
    loading.current = new Set()
    setTotal(null)
    setTotalExact(true)
    setError(null)
    setVersion((v) => v + 1)
    if (enabled) load(0)
  }, [key, load, dataVersion, enabled])

  const ensureRange = useCallback(
    (start: number, end: number) => {
      if (end < start) return
      for (let p = Math.floor(Math.max(0, start) / PAGE_SIZE); p <= Math.floor(end / PAGE_SIZE); p++) load(p)
    },
    [load]
  )

  const itemAt = useCallback((index: number) => pages.current.get(Math.floor(index / PAGE_SIZE))?.[index % PAGE_SIZE], [])

  const indexOf = useCallback((id: number) => {
    for (const [page, items] of pages.current) {
      const i = items.findIndex((it) => it.id === id)
      if (i >= 0) return page * PAGE_SIZE + i
    }
    return -1
  }, [])

  return { total, totalExact, error, itemAt, ensureRange, indexOf, version }
}
