import { Select } from '@mantine/core'
import { useCall } from '@renderer/api/hooks'

/**
 * A model from the library (Models page), not a typed path. The value is the model file's path,
 * which is what the evaluation API takes. LoRA adapters and files that went missing are not offered.
 */
export function ModelPicker(props: { label: string; value: string; onChange: (path: string) => void; w?: number; size?: 'xs' | 'sm'; testId?: string; description?: string }) {
  const models = useCall('inference.models.list', {})
  const usable = (models.data ?? []).filter((m) => m.kind === 'model' && !m.missing)
  const empty = !models.loading && usable.length === 0
  return (
    <Select
      size={props.size ?? 'xs'}
      label={props.label}
      description={empty ? 'Add a model on the Models page first.' : props.description}
      w={props.w ?? 300}
      placeholder={models.loading ? 'loading…' : empty ? 'no models in the library' : 'none'}
      clearable
      searchable
      nothingFoundMessage="no such model"
      data={usable.map((m) => ({ value: m.path, label: m.fileName }))}
      value={props.value || null}
      onChange={(v) => props.onChange(v ?? '')}
      error={models.error?.message}
      data-testid={props.testId}
    />
  )
}
