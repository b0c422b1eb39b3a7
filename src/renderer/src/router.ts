import { useEffect, useState } from 'react'

/** Hash routes (#/browse, #/item/42, ...): deep links that work in Electron's file:// and in serve mode. */
export interface Route {
  path: string
  segments: string[]
  query: URLSearchParams
}

function parse(): Route {
  const raw = window.location.hash.replace(/^#/, '') || '/browse'
  const cut = raw.indexOf('?')
  const path = cut < 0 ? raw : raw.slice(0, cut)
  const qs = cut < 0 ? '' : raw.slice(cut + 1)
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

/** A query value: one string, several (repeated keys, e.g. ?dataset=DR&dataset=SAD), or absent. */
export type QueryValue = string | readonly string[] | undefined

export function buildHash(path: string, query?: Record<string, QueryValue> | URLSearchParams): string {
  let params: URLSearchParams
  if (query instanceof URLSearchParams) params = query
  else {
    params = new URLSearchParams()
    for (const [key, value] of Object.entries(query ?? {})) {
      if (value === undefined) continue
      if (typeof value === 'string') {
        if (value !== '') params.append(key, value)
      } else for (const v of value) params.append(key, v)
    }
  }
  const qs = params.toString()
  return qs ? `${path}?${qs}` : path
}

/**
 * Goes to a route. `replace` rewrites the current history entry instead of adding one (for
 * filters and typing, so Back leaves the page rather than undoing each keystroke).
 */
export function navigate(path: string, query?: Record<string, QueryValue> | URLSearchParams, opts: { replace?: boolean } = {}): void {
  const target = '#' + buildHash(path, query)
  if (target === window.location.hash) return
  if (opts.replace) {
    window.history.replaceState(window.history.state, '', target)
    window.dispatchEvent(new HashChangeEvent('hashchange'))
  } else window.location.hash = target
}
