import { forwardRef, memo, useCallback, useEffect, useImperativeHandle, useRef } from 'react'
import { useVirtualizer } from '@tanstack/react-virtual'
import type { ItemSummary } from '../../../../shared/api/imhi'
import { Highlighted } from '@renderer/components/highlight/Highlighted'
import type { SearchPages } from './useSearchPages'

export const ROW_HEIGHT = 78

export interface ResultListHandle {
  focus(): void
  scrollToIndex(index: number): void
}

interface Props {
  pages: SearchPages
  cursor: number
  openId: number | null
  onCursor: (index: number) => void
  onOpen: (item: ItemSummary, index: number) => void
}

/** The virtualized result list: only visible rows exist in the DOM; pages load as they come into view. */
interface RowProps {
  index: number
  start: number
  size: number
  item: ItemSummary | undefined
  selected: boolean
  open: boolean
  onClick: (index: number, item: ItemSummary | undefined) => void
}

/**
 * One row, in plain elements (scrolling re-renders the visible rows every frame, so they stay
 * cheap) and memoised: a row re-renders only when its item, position or state changes.
 */
const Row = memo(function Row({ index, start, size, item, selected, open, onClick }: RowProps) {
  return (
    <div
      id={`browse-row-${index}`}
      role="option"
      aria-selected={selected}
      data-open={open || undefined}
      data-selected={selected || undefined}
      data-item-id={item?.id}
      data-testid="result-row"
      className="imhi-browse-row"
      style={{ height: size, transform: `translateY(${start}px)` }}
      onClick={() => onClick(index, item)}
    >
      {item ? (
        <>
          <div className="imhi-browse-rowHead">
            <span className="imhi-browse-id">#{item.id}</span>
            <span className="imhi-browse-dataset">{item.dataset}</span>
            <span className="imhi-browse-split">{item.split}</span>
            <span className="imhi-browse-label" data-label={labelKind(item.goldLabel)}>
              {item.goldLabel ?? 'no gold label'}
            </span>
          </div>
          <div className="imhi-browse-snippet">
            <Highlighted snippet={item.snippet} />
          </div>
        </>
      ) : (
        <div className="imhi-browse-pending" aria-label="loading">
          <span />
          <span />
        </div>
      )}
    </div>
  )
})

/** How a gold label is coloured: absent, a negative class, or a positive one. */
export function labelKind(label: string | null): 'none' | 'negative' | 'positive' | 'class' {
  if (label === null) return 'none'
  if (label === 'no' || label === 'none') return 'negative'
  if (label === 'yes') return 'positive'
  return 'class'
}

export const ResultList = forwardRef<ResultListHandle, Props>(function ResultList({ pages, cursor, openId, onCursor, onOpen }, ref) {
  const parent = useRef<HTMLDivElement>(null)
  const count = pages.total ?? 0
  const virtualizer = useVirtualizer({
    count,
    getScrollElement: () => parent.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 12,
    getItemKey: (index) => pages.itemAt(index)?.id ?? `pending-${index}`
  })
  const rows = virtualizer.getVirtualItems()
  const first = rows[0]?.index ?? 0
  const last = rows[rows.length - 1]?.index ?? -1

  useEffect(() => {
    if (count > 0) pages.ensureRange(first, Math.min(last + 40, count - 1))
  }, [first, last, count, pages])

  useImperativeHandle(ref, () => ({
    focus: () => parent.current?.focus(),
    scrollToIndex: (index: number) => virtualizer.scrollToIndex(index, { align: 'auto' })
  }))

  const onClick = useCallback(
    (index: number, item: ItemSummary | undefined) => {
      onCursor(index)
      if (item) onOpen(item, index)
    },
    [onCursor, onOpen]
  )

  const activeId = cursor >= 0 && cursor < count ? `browse-row-${cursor}` : undefined
  return (
    <div
      ref={parent}
      className="imhi-browse-list"
      role="listbox"
      aria-label="Items"
      tabIndex={0}
      aria-activedescendant={activeId}
      data-testid="result-list"
    >
      <div style={{ height: virtualizer.getTotalSize(), position: 'relative', width: '100%' }}>
        {rows.map((row) => {
          const item = pages.itemAt(row.index)
          return (
            <Row
              key={row.key}
              index={row.index}
              start={row.start}
              size={row.size}
              item={item}
              selected={row.index === cursor}
              open={item !== undefined && item.id === openId}
              onClick={onClick}
            />
          )
        })}
      </div>
    </div>
  )
})
