import { Group, NativeSelect, NumberInput } from '@mantine/core'
import type { SamplingForm } from './form'

/**
 * The sampling options of a generation, as runs have them (temperature, top-p, top-k, seed, repeat
 * penalty, max tokens, context size, truncation); errors come from the shared schema (samplingParams).
 */
export function SamplingFields({ value, onChange, errors, size = 'xs', testIdPrefix = 'sampling' }: {
  value: SamplingForm
  onChange: (next: SamplingForm) => void
  errors: Partial<Record<keyof SamplingForm, string>>
  size?: 'xs' | 'sm'
  testIdPrefix?: string
}) {
  const set = <K extends keyof SamplingForm>(k: K, v: SamplingForm[K]) => onChange({ ...value, [k]: v })
  const greedy = Number(value.temperature) === 0
  return (
    <Group gap="xs" align="flex-start" wrap="wrap" role="group" aria-label="Sampling options">
      <NumberInput size={size} w={110} label="Temperature" description="0 = greedy" min={0} max={2} step={0.1} decimalScale={2} value={value.temperature} onChange={(v) => set('temperature', v)} error={errors.temperature} data-testid={`${testIdPrefix}-temperature`} />
      <NumberInput size={size} w={90} label="Top-p" description="1 = off" min={0} max={1} step={0.05} decimalScale={3} disabled={greedy} value={value.topP} onChange={(v) => set('topP', v)} error={errors.topP} data-testid={`${testIdPrefix}-top-p`} />
      <NumberInput size={size} w={90} label="Top-k" description="0 = off" min={0} max={1000} allowDecimal={false} disabled={greedy} value={value.topK} onChange={(v) => set('topK', v)} error={errors.topK} data-testid={`${testIdPrefix}-top-k`} />
      <NumberInput size={size} w={110} label="Seed" description={greedy ? 'used when T > 0' : 'repeatable'} min={0} allowDecimal={false} value={value.seed} onChange={(v) => set('seed', v)} error={errors.seed} data-testid={`${testIdPrefix}-seed`} />
      <NumberInput size={size} w={110} label="Repeat penalty" description="empty: none" placeholder="1" min={1} max={2} step={0.05} decimalScale={3} value={value.repeatPenalty} onChange={(v) => set('repeatPenalty', v)} error={errors.repeatPenalty} data-testid={`${testIdPrefix}-repeat-penalty`} />
      <NumberInput size={size} w={100} label="Max tokens" description="to generate" min={1} max={8192} allowDecimal={false} value={value.maxTokens} onChange={(v) => set('maxTokens', v)} error={errors.maxTokens} data-testid={`${testIdPrefix}-max-tokens`} />
      <NumberInput size={size} w={110} label="Context" description="empty: model's" placeholder="model's" min={64} max={131072} allowDecimal={false} value={value.contextSize} onChange={(v) => set('contextSize', v)} error={errors.contextSize} data-testid={`${testIdPrefix}-context`} />
      <NativeSelect size={size} w={170} label="Too long prompt" description="truncation" data={[{ value: 'middle', label: 'drop the middle' }, { value: 'error', label: 'refuse' }]} value={value.truncation} onChange={(e) => set('truncation', e.currentTarget.value as SamplingForm['truncation'])} data-testid={`${testIdPrefix}-truncation`} />
    </Group>
  )
}
