import { useEffect, useState } from 'react'

/** Hash routes (#/browse, #/item/42, ...): deep links that work in Electron's file:// and in serve mode. */
export interface Route {
  path: string
  segments: string[]
  query: URLSearchParams
}

function parse(): Route {
  const raw = window.location.hash.replace(/^#/, '') || '/browse'
  const [path, qs = ''] = raw.split('?')
  return { path, segments: path.split('/').filter(Boolean), query: new URLSearchParams(qs) }
}

export function useRoute(): Route {
  const [route, setRoute] = useState(parse)
  useEffect(() => {
    const on = () => setRoute(parse())
    window.addEventListener('hashchange', on)
    return () => window.removeEventListener('hashchange', on)
  }, [])
  return route
}

export function navigate(path: string, query?: Record<string, string | undefined>): void {
  const qs = query ? new URLSearchParams(Object.entries(query).filter((e): e is [string, string] => e[1] !== undefined)).toString() : ''
  window.location.hash = qs ? `${path}?${qs}` : path
}
