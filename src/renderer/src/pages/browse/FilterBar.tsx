import { forwardRef, memo, useEffect, useState } from 'react'
import { Button, CloseButton, Group, Kbd, MultiSelect, Text, TextInput, type ComboboxItem, type MultiSelectProps } from '@mantine/core'
import { SearchIcon } from '@renderer/components/icons/icons'
import type { BrowseFilters, FacetOption } from './filters'

const fmt = new Intl.NumberFormat('en-US')

function FacetSelect({ label, options, value, onChange, testId, width }: { label: string; options: FacetOption[]; value: string[]; onChange: (v: string[]) => void; testId: string; width: number }) {
  const counts = new Map(options.map((o) => [o.value, o.count]))
  const renderOption: MultiSelectProps['renderOption'] = ({ option, checked }: { option: ComboboxItem; checked?: boolean }) => (
    <Group justify="space-between" wrap="nowrap" w="100%" gap="xs">
      <Text size="sm" fw={checked ? 600 : 400}>
        {option.label}
      </Text>
      <Text size="xs" c="dimmed" ff="monospace">
        {fmt.format(counts.get(option.value) ?? 0)}
      </Text>
    </Group>
  )
  return (
    <MultiSelect
      aria-label={label}
      placeholder={value.length ? undefined : label}
      data={options.map((o) => ({ value: o.value, label: o.label }))}
      value={value}
      onChange={onChange}
      renderOption={renderOption}
      clearable
      searchable
      checkIconPosition="left"
      maxDropdownHeight={360}
      comboboxProps={{ width: Math.max(width, 260), position: 'bottom-start' }}
      w={width}
      size="sm"
      data-testid={testId}
      hidePickedOptions={false}
    />
  )
}

export interface FilterBarProps {
  filters: BrowseFilters
  options: { datasets: FacetOption[]; splits: FacetOption[]; tasks: FacetOption[]; labels: FacetOption[] }
  onChange: (next: BrowseFilters) => void
  total: number | null
  /** False when `total` is where counting stopped: more items match (shown as "10,100+ items"). */
  totalExact?: boolean
  onSearchKeyDown?: (e: React.KeyboardEvent<HTMLInputElement>) => void
}

/** Search box and the four filters; the query is applied as the user pauses typing. */
export const FilterBar = memo(
  forwardRef<HTMLInputElement, FilterBarProps>(function FilterBar({ filters, options, onChange, total, totalExact = true, onSearchKeyDown }, ref) {
  const [text, setText] = useState(filters.q)
  // The URL is the source of truth: follow it when it changes from outside (Back, a deep link, Esc).
  useEffect(() => setText(filters.q), [filters.q])
  useEffect(() => {
    if (text === filters.q) return
    const t = setTimeout(() => onChange({ ...filters, q: text }), 200)
    return () => clearTimeout(t)
  }, [text, filters, onChange])

  const set = (patch: Partial<BrowseFilters>) => onChange({ ...filters, ...patch })
  const any = filters.q !== '' || filters.datasets.length + filters.splits.length + filters.tasks.length + filters.labels.length > 0
  return (
    <Group gap="xs" wrap="wrap" align="center" data-testid="filter-bar">
      <TextInput
        ref={ref}
        aria-label="Search the full text"
        placeholder="Search the full text…"
        leftSection={<SearchIcon size={15} />}
        rightSection={
          text ? (
            <CloseButton size="sm" aria-label="Clear the search" onClick={() => { setText(''); set({ q: '' }) }} />
          ) : (
            <Kbd size="xs">/</Kbd>
          )
        }
        value={text}
        onChange={(e) => setText(e.currentTarget.value)}
        onKeyDown={(e) => {
          if (e.key === 'Enter') onChange({ ...filters, q: text })
          onSearchKeyDown?.(e)
        }}
        w={300}
        data-testid="search-input"
        spellCheck={false}
        autoComplete="off"
      />
      <FacetSelect label="Dataset" options={options.datasets} value={filters.datasets} onChange={(v) => set({ datasets: v })} testId="filter-dataset" width={150} />
      <FacetSelect label="Split" options={options.splits} value={filters.splits} onChange={(v) => set({ splits: v as BrowseFilters['splits'] })} testId="filter-split" width={170} />
      <FacetSelect label="Task" options={options.tasks} value={filters.tasks} onChange={(v) => set({ tasks: v })} testId="filter-task" width={170} />
      <FacetSelect label="Gold label" options={options.labels} value={filters.labels} onChange={(v) => set({ labels: v })} testId="filter-label" width={170} />
      {any && (
        <Button variant="subtle" size="xs" onClick={() => { setText(''); onChange({ q: '', datasets: [], splits: [], tasks: [], labels: [] }) }} data-testid="clear-filters">
          Clear all
        </Button>
      )}
      <Text size="sm" c="dimmed" ml="auto" data-testid="result-count" aria-live="polite">
        {total === null ? 'Searching…' : `${fmt.format(total)}${totalExact ? '' : '+'} ${total === 1 && totalExact ? 'item' : 'items'}`}
      </Text>
    </Group>
  )
}))
