import { useCallback, useEffect, useMemo, useRef, useState } from 'react'
import { Alert, Button, Center, Group, Loader, Modal, Text } from '@mantine/core'
import type { ImportReport } from '../../../../shared/api/imhi'
import { ImportReportView } from '@renderer/components/import/ImportReportView'
import type { Route } from '@renderer/router'
import { navigate } from '@renderer/router'
import { useAppState } from '@renderer/api/appState'
import { FirstRun } from '@renderer/components/import/FirstRun'
import { FilterBar } from './FilterBar'
import { ResultList, type ResultListHandle } from './ResultList'
import { ItemPane, NoItem } from './ItemPane'
import { facetOptions, filtersFromQuery, filtersToQuery, toSearchInput, type BrowseFilters } from './filters'
import { useSearchPages } from './useSearchPages'
import { activatesControl, useHotkeyLayer } from '@renderer/keyboard/hotkeys'
import './browse.css'

/** The item a route opens: #/item/42. */
export function itemIdOf(route: Route): number | null {
  if (route.segments[0] !== 'item') return null
  const id = Number(route.segments[1])
  return Number.isInteger(id) && id > 0 ? id : null
}


export default function BrowsePage({ route }: { route: Route }) {
  const { facets, stats, error: stateError, loading: stateLoading, reload, dataVersion } = useAppState()
  const queryString = route.query.toString()
  const filters = useMemo(() => filtersFromQuery(new URLSearchParams(queryString)), [queryString])
  const searchInput = useMemo(() => toSearchInput(filters), [filters])
  const openId = itemIdOf(route)
  // Only once the facets say there is data: the first search is sent once, after they arrive.
  const pages = useSearchPages(searchInput, dataVersion, facets !== null && facets.total > 0)
  const [cursor, setCursor] = useState(-1)
  const list = useRef<ResultListHandle>(null)
  const synced = useRef<number | null>(null)
  const search = useRef<HTMLInputElement>(null)
  const path = route.path
  // The first import's report, shown over the list that replaces the first-run screen.
  const [firstReport, setFirstReport] = useState<ImportReport | null>(null)

  const setFilters = useCallback(
    (next: BrowseFilters) => navigate(path.startsWith('/item/') ? path : '/browse', filtersToQuery(next), { replace: true }),
    [path]
  )
  // A new result set starts at its top.
  useEffect(() => {
    setCursor(-1)
    synced.current = null
  }, [searchInput])
  // The open item (a click, Back/Forward, a deep link) is the selected row once its page is loaded.
  // Once per opened item, so moving the cursor away afterwards is not undone by later page loads.
  const { indexOf, version } = pages
  useEffect(() => {
    if (openId === null || synced.current === openId) return
    const at = indexOf(openId)
    if (at < 0) return
    synced.current = openId
    setCursor(at)
    list.current?.scrollToIndex(at)
  }, [openId, indexOf, version])

  const open = useCallback((id: number) => navigate(`/item/${id}`, new URLSearchParams(queryString)), [queryString])
  const close = useCallback(() => navigate('/browse', new URLSearchParams(queryString)), [queryString])

  const moveTo = useCallback(
    (index: number) => {
      const total = pages.total ?? 0
      if (total === 0) return
      const next = Math.max(0, Math.min(total - 1, index))
      setCursor(next)
      list.current?.scrollToIndex(next)
    },
    [pages.total]
  )

  // Keyboard: ↑/↓ or j/k move, Enter/→ open, ← close, / search, Esc clears the search (then closes the item).
  // Under the app's keyboard rule: nothing while typing or while a dialog is open.
  useHotkeyLayer((e) => {
    const key = e.key
    if (key === 'ArrowDown' || key === 'j') moveTo(cursor + 1)
    else if (key === 'ArrowUp' || key === 'k') moveTo(cursor < 0 ? 0 : cursor - 1)
    else if (key === 'PageDown') moveTo(cursor + 10)
    else if (key === 'PageUp') moveTo(cursor - 10)
    else if (key === 'Home') moveTo(0)
    else if (key === 'End') moveTo((pages.total ?? 1) - 1)
    else if (key === 'Enter' || key === 'ArrowRight') {
      // Enter on a button of the open item (Generate, Regenerate, Stop...) presses that button; it
      // does not open the cursor's item. Elsewhere (the header, after a click) Enter keeps opening.
      if (activatesControl(e) && e.target instanceof Element && e.target.closest('[data-testid="item-detail"]')) return false
      const item = cursor >= 0 ? pages.itemAt(cursor) : undefined
      if (item) open(item.id)
      else return false
    } else if (key === 'ArrowLeft') {
      if (openId === null) return false
      close()
    } else if (key === '/') search.current?.focus()
    else if (key === 'Escape') {
      if (filters.q !== '') setFilters({ ...filters, q: '' })
      else if (openId !== null) close()
      else return false
    } else return false
    return true
  })

  const onSearchKeyDownNow = (e: React.KeyboardEvent<HTMLInputElement>): void => {
    if (e.key === 'Escape') {
      e.preventDefault()
      if (e.currentTarget.value !== '') setFilters({ ...filters, q: '' })
      e.currentTarget.blur()
      list.current?.focus()
    } else if (e.key === 'ArrowDown' || (e.key === 'Enter' && !e.nativeEvent.isComposing)) {
      // From the search box straight into the results.
      if (e.key === 'ArrowDown') e.preventDefault()
      list.current?.focus()
      if (cursor < 0) moveTo(0)
    }
  }

  // A stable handler for the memoised filter bar that always sees the current state.
  const searchKeyDown = useRef(onSearchKeyDownNow)
  searchKeyDown.current = onSearchKeyDownNow
  const onSearchKeyDown = useCallback((e: React.KeyboardEvent<HTMLInputElement>) => searchKeyDown.current(e), [])
  const onOpenRow = useCallback((item: { id: number }) => open(item.id), [open])

  const options = useMemo(() => (facets ? facetOptions(facets, stats, filters) : null), [facets, stats, filters])

  if (stateError) {
    return (
      <Alert color="red" variant="light" title="Cannot read the database" role="alert" data-testid="browse-error">
        <Text size="sm">{stateError.message}</Text>
        <Button size="xs" variant="default" mt="sm" onClick={() => void reload()}>
          Try again
        </Button>
      </Alert>
    )
  }
  if (!facets || !options) {
    return <Center h="100%">{stateLoading && <Loader />}</Center>
  }
  if (facets.total === 0) return <FirstRun onImported={setFirstReport} />

  return (
    <div className="imhi-browse-page" data-testid="browse-page">
      <FilterBar ref={search} filters={filters} options={options} onChange={setFilters} total={pages.total} totalExact={pages.totalExact} onSearchKeyDown={onSearchKeyDown} />
      <div className="imhi-browse-panes">
        <div className="imhi-browse-listPane">
          {pages.error ? (
            <Alert color="red" variant="light" m="sm" title="Search failed" role="alert" data-testid="search-error">
              {pages.error.message}
            </Alert>
          ) : pages.total === 0 ? (
            <Center h="100%" p="md" data-testid="no-results">
              <Text c="dimmed" size="sm" ta="center">
                No item matches {filters.q ? `“${filters.q}”` : 'these filters'}.
              </Text>
            </Center>
          ) : (
            <ResultList ref={list} pages={pages} cursor={cursor} openId={openId} onCursor={setCursor} onOpen={onOpenRow} />
          )}
          <Group className="imhi-browse-listFooter" justify="space-between">
            <Text size="xs" c="dimmed">
              {cursor >= 0 && pages.total ? `${(cursor + 1).toLocaleString('en-US')} of ${pages.total.toLocaleString('en-US')}${pages.totalExact ? '' : '+'}` : ' '}
            </Text>
            <Text size="xs" c="dimmed">
              ↑↓ jk move · Enter open · / search · Esc clear
            </Text>
          </Group>
        </div>
        <Modal opened={firstReport !== null} onClose={() => setFirstReport(null)} title="Import report" size="70rem">
          {firstReport && <ImportReportView report={firstReport} />}
        </Modal>
        <div className="imhi-browse-detailPane">{openId !== null ? <ItemPane key={openId} id={openId} query={filters.q} onClose={close} /> : <NoItem />}</div>
      </div>
    </div>
  )
}
