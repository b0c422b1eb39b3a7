import { Fragment, type ReactNode } from 'react'
import { HIGHLIGHT_END, HIGHLIGHT_START } from '../../../../shared/api/protocol'

/**
 * Splits a snippet on the search's HIGHLIGHT_START/END markers into text and <mark> elements.
 * The text is rendered as React text nodes, never as HTML.
 */
export function splitHighlights(snippet: string): { text: string; match: boolean }[] {
  const parts: { text: string; match: boolean }[] = []
  let rest = snippet
  while (rest.length > 0) {
    const start = rest.indexOf(HIGHLIGHT_START)
    if (start < 0) {
      parts.push({ text: rest, match: false })
      break
    }
    if (start > 0) parts.push({ text: rest.slice(0, start), match: false })
    const end = rest.indexOf(HIGHLIGHT_END, start + 1)
    if (end < 0) {
      // An unclosed marker: show the rest as a match rather than lose it.
      parts.push({ text: rest.slice(start + 1), match: true })
      break
    }
    parts.push({ text: rest.slice(start + 1, end), match: true })
    rest = rest.slice(end + 1)
  }
  return parts.filter((p) => p.text.length > 0)
}

export function Highlighted({ snippet }: { snippet: string }): ReactNode {
  return (
    <>
      {splitHighlights(snippet).map((p, i) => (p.match ? <mark key={i}>{p.text}</mark> : <Fragment key={i}>{p.text}</Fragment>))}
    </>
  )
}

/** Words of a search query worth marking in a full text (FTS syntax and short words dropped). */
export function queryTerms(query: string): string[] {
  const words = query
    .replace(/\b(AND|OR|NOT|NEAR)\b/g, ' ')
    .split(/[^\p{L}\p{N}']+/u)
    .map((w) => w.replace(/^'+|'+$/g, ''))
    .filter((w) => w.length >= 2)
  return [...new Set(words.map((w) => w.toLowerCase()))]
}

/** Marks each occurrence of the query's words (as word prefixes, like FTS) in a plain text. */
export function MarkTerms({ text, query }: { text: string; query: string }): ReactNode {
  const terms = queryTerms(query)
  if (terms.length === 0) return text
  const escaped = terms.map((t) => t.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
  const re = new RegExp(`(?<![\\p{L}\\p{N}])(${escaped.join('|')})[\\p{L}\\p{N}]*`, 'giu')
  const out: ReactNode[] = []
  let last = 0
  for (const m of text.matchAll(re)) {
    const at = m.index ?? 0
    if (at > last) out.push(text.slice(last, at))
    out.push(<mark key={at}>{m[0]}</mark>)
    last = at + m[0].length
  }
  if (last < text.length) out.push(text.slice(last))
  return <>{out}</>
}
