import { forwardRef, useEffect, useImperativeHandle, useRef } from 'react'
import { Badge, Box, Group, Skeleton, Text } from '@mantine/core'
import { useVirtualizer } from '@tanstack/react-virtual'
import type { ItemSummary } from '../../../../shared/api/imhi'
import { Highlighted } from '../../components/highlight/Highlighted'
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

export function labelColor(label: string | null): string {
  if (label === null) return 'gray'
  if (label === 'no' || label === 'none') return 'gray'
  if (label === 'yes') return 'red'
  return 'grape'
}

/** The virtualized result list: only visible rows exist in the DOM; pages load as they come into view. */
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
          const selected = row.index === cursor
          const open = item !== undefined && item.id === openId
          return (
            <div
              key={row.key}
              id={`browse-row-${row.index}`}
              role="option"
              aria-selected={selected}
              data-open={open || undefined}
              data-selected={selected || undefined}
              data-item-id={item?.id}
              data-testid="result-row"
              className="imhi-browse-row"
              style={{ height: row.size, transform: `translateY(${row.start}px)` }}
              onClick={() => {
                onCursor(row.index)
                if (item) onOpen(item, row.index)
              }}
            >
              {item ? (
                <>
                  <Group gap={6} wrap="nowrap" mb={4}>
                    <Text size="xs" c="dimmed" ff="monospace" w={52}>
                      #{item.id}
                    </Text>
                    <Badge size="xs" variant="outline" color="blue" radius="sm" tt="none">
                      {item.dataset}
                    </Badge>
                    <Text size="xs" c="dimmed" truncate>
                      {item.split}
                    </Text>
                    <Box ml="auto">
                      {item.goldLabel !== null ? (
                        <Badge size="xs" variant="light" color={labelColor(item.goldLabel)} radius="sm" tt="none">
                          {item.goldLabel}
                        </Badge>
                      ) : (
                        <Badge size="xs" variant="default" radius="sm" tt="none">
                          no gold label
                        </Badge>
                      )}
                    </Box>
                  </Group>
                  <Text size="sm" lineClamp={2} className="imhi-browse-snippet">
                    <Highlighted snippet={item.snippet} />
                  </Text>
                </>
              ) : (
                <>
                  <Skeleton height={10} width="40%" mb={8} />
                  <Skeleton height={10} mb={6} />
                  <Skeleton height={10} width="80%" />
                </>
              )}
            </div>
          )
        })}
      </div>
    </div>
  )
})
