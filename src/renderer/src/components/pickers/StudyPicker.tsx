import { Select } from '@mantine/core'
import { useCall } from '@renderer/api/hooks'

/** An annotation study from the list (its name and id), not a typed id. Empty = none. */
export function StudyPicker(props: { label: string; value: string; onChange: (studyId: string) => void; w?: number; size?: 'xs' | 'sm'; testId?: string; placeholder?: string }) {
  const studies = useCall('annotation.studies', {})
  const list = studies.data ?? []
  return (
    <Select
      size={props.size ?? 'xs'}
      label={props.label}
      w={props.w ?? 260}
      placeholder={studies.loading ? 'loading…' : list.length === 0 ? 'no studies yet' : (props.placeholder ?? 'none')}
      clearable
      searchable
      nothingFoundMessage="no such study"
      data={list.map((s) => ({ value: String(s.id), label: `${s.name} (#${s.id})` }))}
      value={props.value || null}
      onChange={(v) => props.onChange(v ?? '')}
      error={studies.error?.message}
      data-testid={props.testId}
    />
  )
}
