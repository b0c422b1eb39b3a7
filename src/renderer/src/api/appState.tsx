import { createContext, useCallback, useContext, useEffect, useState, type ReactNode } from 'react'
import type { AppInfo } from '../../../shared/api/app'
import type { Facets, Stats } from '../../../shared/api/imhi'
import { AppError } from '../../../shared/api/errors'
import { api } from './client'

/** What the whole shell needs to know: who we are, and what data the database holds. */
export interface AppState {
  info: AppInfo | null
  facets: Facets | null
  stats: Stats | null
  /** Why the facets could not be loaded (the shell shows it instead of guessing "empty"). */
  error: AppError | null
  loading: boolean
  /** Bumped each time the data is re-read (after an import): views holding results refetch. */
  dataVersion: number
  /** Re-reads facets and stats (after an import). */
  reload: () => Promise<void>
}

const Ctx = createContext<AppState | null>(null)

export function AppStateProvider({ children }: { children: ReactNode }) {
  const [info, setInfo] = useState<AppInfo | null>(null)
  const [facets, setFacets] = useState<Facets | null>(null)
  const [stats, setStats] = useState<Stats | null>(null)
  const [error, setError] = useState<AppError | null>(null)
  const [loading, setLoading] = useState(true)
  const [dataVersion, setDataVersion] = useState(0)

  const reload = useCallback(async () => {
    setLoading(true)
    try {
      const i = await api.call('app.info', {})
      setInfo(i)
      if (i.role !== 'owner') {
        // An annotator's token may read only what annotation needs.
        setFacets(null)
        setStats(null)
        setError(null)
        return
      }
      const [f, s] = await Promise.all([api.call('imhi.facets', {}), api.call('imhi.stats', {})])
      setFacets(f)
      setStats(s)
      setError(null)
      setDataVersion((v) => v + 1)
    } catch (err) {
      setError(AppError.from(err))
    } finally {
      setLoading(false)
    }
  }, [])

  useEffect(() => {
    void reload()
  }, [reload])

  return <Ctx.Provider value={{ info, facets, stats, error, loading, dataVersion, reload }}>{children}</Ctx.Provider>
}

export function useAppState(): AppState {
  const s = useContext(Ctx)
  if (!s) throw new Error('useAppState outside AppStateProvider')
  return s
}
