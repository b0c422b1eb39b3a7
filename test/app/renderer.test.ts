import { describe, expect, it } from 'vitest'
import { splitHighlights, queryTerms } from '../../src/renderer/src/components/highlight/Highlighted'
import { filtersFromQuery, filtersToQuery, toSearchInput, facetOptions } from '../../src/renderer/src/pages/browse/filters'
import { HIGHLIGHT_END as E, HIGHLIGHT_START as S } from '../../src/shared/api/protocol'
import type { Facets, Stats } from '../../src/shared/api/imhi'

describe('search snippet highlighting', () => {
  it('splits on the markers into text and matches', () => {
    expect(splitHighlights(`I can't ${S}sleep${E}, again ${S}sleeping${E}`)).toEqual([
      { text: "I can't ", match: false },
      { text: 'sleep', match: true },
      { text: ', again ', match: false },
      { text: 'sleeping', match: true }
    ])
  })

  it('keeps markup as text (React renders it as text nodes)', () => {
    expect(splitHighlights(`<img src=x onerror=alert(1)> ${S}<b>${E}`)).toEqual([
      { text: '<img src=x onerror=alert(1)> ', match: false },
      { text: '<b>', match: true }
    ])
  })

  it('survives an unclosed marker and empty input without losing text', () => {
    expect(splitHighlights(`a ${S}b`)).toEqual([
      { text: 'a ', match: false },
      { text: 'b', match: true }
    ])
    expect(splitHighlights('')).toEqual([])
    expect(splitHighlights(`${S}${E}x`)).toEqual([{ text: 'x', match: false }])
  })

  it('takes the words of a query, without FTS operators', () => {
    expect(queryTerms('sleep AND "my mom" OR x')).toEqual(['sleep', 'my', 'mom'])
  })
})

describe('browse filters in the URL', () => {
  it('round-trips through the hash query', () => {
    const q = new URLSearchParams('q=sleep&dataset=DR&dataset=SAD&split=expert&split=bogus&label=yes')
    const f = filtersFromQuery(q)
    expect(f).toEqual({ q: 'sleep', datasets: ['DR', 'SAD'], splits: ['expert'], tasks: [], labels: ['yes'] })
    expect(filtersToQuery(f)).toEqual({ q: 'sleep', dataset: ['DR', 'SAD'], split: ['expert'], task: [], label: ['yes'] })
    expect(toSearchInput(f)).toEqual({ query: 'sleep', datasets: ['DR', 'SAD'], splits: ['expert'], labels: ['yes'] })
    expect(toSearchInput(filtersFromQuery(new URLSearchParams('q=%20%20')))).toEqual({})
  })

  it('counts each option under the other filters', () => {
    const facets: Facets = {
      datasets: [
        { name: 'DR', task: 'depression', labels: ['no', 'yes'], items: 7 },
        { name: 'SAD', task: 'stress_cause', labels: ['school', 'work'], items: 5 }
      ],
      splits: [
        { name: 'test_instruction', items: 8 },
        { name: 'expert', items: 4 }
      ],
      tasks: [
        { id: 'depression', title: 'Depression detection', items: 7 },
        { id: 'stress_cause', title: 'Stress cause detection', items: 5 }
      ],
      total: 12
    }
    const stats: Stats = {
      datasets: {
        DR: { task: 'depression', splits: { test_instruction: { items: 5, labels: { yes: 3, no: 2 } }, expert: { items: 2, labels: { yes: 1, no: 1 } } } },
        SAD: { task: 'stress_cause', splits: { test_instruction: { items: 3, labels: { school: 2, work: 1 } }, expert: { items: 2, labels: { work: 2 } } } }
      },
      referenceRatings: 0
    }
    const none = filtersFromQuery(new URLSearchParams(''))
    const all = facetOptions(facets, stats, none)
    expect(all.datasets.map((o) => [o.value, o.count])).toEqual([['DR', 7], ['SAD', 5]])
    expect(all.labels.map((o) => [o.value, o.count])).toEqual([['no', 3], ['yes', 4], ['school', 2], ['work', 3]])

    const expertSad = facetOptions(facets, stats, filtersFromQuery(new URLSearchParams('split=expert&dataset=SAD')))
    // A dataset's count ignores the dataset filter itself but follows the split filter.
    expect(expertSad.datasets.map((o) => [o.value, o.count])).toEqual([['DR', 2], ['SAD', 2]])
    expect(expertSad.splits.map((o) => [o.value, o.count])).toEqual([['test_instruction', 3], ['expert', 2]])
    expect(expertSad.labels.map((o) => [o.value, o.count])).toEqual([['school', 0], ['work', 2]])
    // Tasks follow the dataset filter (SAD only): depression has nothing left.
    expect(expertSad.tasks.map((o) => [o.value, o.count])).toEqual([['depression', 0], ['stress_cause', 2]])
  })
})

describe('hash routes', () => {
  it('builds #path?query with repeated keys and no empty values', async () => {
    const { buildHash } = await import('../../src/renderer/src/router')
    expect(buildHash('/browse')).toBe('/browse')
    expect(buildHash('/item/42', { q: 'my mom', dataset: ['DR', 'SAD'], split: [], label: undefined, task: '' })).toBe('/item/42?q=my+mom&dataset=DR&dataset=SAD')
    expect(buildHash('/browse', new URLSearchParams('q=a%26b'))).toBe('/browse?q=a%26b')
  })
})
