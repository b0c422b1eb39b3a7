import { useEffect, useMemo, useState } from 'react'
import { Alert, Button, Group, Loader, NativeSelect, NumberInput, SimpleGrid, Stack, Text } from '@mantine/core'
import { api } from '@renderer/api/client'
import { useCall } from '@renderer/api/hooks'
import { notifyError, notifySuccess } from '@renderer/components/errors/notify'
import type { BackendChoice, FitEstimate, ModelSettings } from '../../../../../shared/api/modelSettings'
import type { ModelInfo } from '../../../../../shared/api/inference'
import { formatBytes } from '../format'

/** The form's text of a setting: '' = unset (auto / the host default). */
interface Form {
  backend: BackendChoice
  gpuLayers: string | number
  threads: string | number
  contextSize: string | number
  batchSize: string | number
}

function toForm(s: ModelSettings): Form {
  return {
    backend: s.backend,
    gpuLayers: s.gpuLayers === 'auto' ? '' : s.gpuLayers,
    threads: s.threads ?? '',
    contextSize: s.contextSize ?? '',
    batchSize: s.batchSize ?? ''
  }
}

const intOrNull = (v: string | number): number | null => (v === '' || v === null || v === undefined ? null : Number(v))

function toSettings(f: Form): ModelSettings {
  const gl = intOrNull(f.gpuLayers)
  return { backend: f.backend, gpuLayers: gl === null ? 'auto' : gl, threads: intOrNull(f.threads), contextSize: intOrNull(f.contextSize), batchSize: intOrNull(f.batchSize) }
}

/**
 * One model's inference settings (backend, GPU layers, threads, context, batch) with llama.cpp's
 * estimate of whether they fit this machine, updated as the fields change. Saved per model;
 * applied from the next generation or run of that model.
 */
export function ModelSettingsPanel({ model, onClose }: { model: ModelInfo; onClose: () => void }) {
  const view = useCall('inference.settings.get', { modelId: model.id })
  const [form, setForm] = useState<Form | null>(null)
  const [fit, setFit] = useState<FitEstimate | null>(null)
  const [fitError, setFitError] = useState<string | null>(null)
  const [estimating, setEstimating] = useState(false)
  const [busy, setBusy] = useState(false)

  useEffect(() => {
    if (view.data && form === null) setForm(toForm(view.data.settings))
  }, [view.data, form])

  const settings = useMemo(() => (form ? toSettings(form) : null), [form])
  const key = settings ? JSON.stringify(settings) : null

  // The fit estimate follows the form, a moment after the last change.
  useEffect(() => {
    if (!key) return
    let stale = false
    setEstimating(true)
    const t = setTimeout(() => {
      api.call('inference.settings.estimate', { modelId: model.id, settings: JSON.parse(key) as ModelSettings }).then(
        (f) => {
          if (stale) return
          setFit(f)
          setFitError(null)
          setEstimating(false)
        },
        (err: unknown) => {
          if (stale) return
          setFit(null)
          setFitError(err instanceof Error ? err.message : String(err))
          setEstimating(false)
        }
      )
    }, 300)
    return () => {
      stale = true
      clearTimeout(t)
    }
  }, [key, model.id])

  if (view.error) return <Alert color="red">{view.error.message}</Alert>
  if (!view.data || !form) return <Loader size="sm" aria-label="Loading the settings" />
  const v = view.data
  const set = <K extends keyof Form>(k: K, value: Form[K]) => setForm((f) => (f ? { ...f, [k]: value } : f))
  const chosen = v.backends.find((b) => b.value === form.backend)
  const layers = model.metadata.layers

  const save = async () => {
    if (!settings) return
    setBusy(true)
    try {
      await api.call('inference.settings.set', { modelId: model.id, settings })
      notifySuccess(`Applied from the next generation or run of ${model.fileName}.`, 'Settings saved')
      view.reload()
      onClose()
    } catch (err) {
      notifyError(err, 'Cannot save the settings')
    } finally {
      setBusy(false)
    }
  }

  const reset = async () => {
    setBusy(true)
    try {
      const r = await api.call('inference.settings.reset', { modelId: model.id })
      setForm(toForm(r.settings))
      notifySuccess(`${model.fileName} uses this machine's defaults again.`, 'Settings reset')
      view.reload()
    } catch (err) {
      notifyError(err, 'Cannot reset the settings')
    } finally {
      setBusy(false)
    }
  }

  return (
    <Stack gap="sm" data-testid="model-settings">
      <Text size="sm" c="dimmed">
        Saved for this model and applied whenever it is loaded: runs, single posts, the LM score and <code>imhi serve --engine</code>. Empty fields use this machine's defaults.
        {v.updatedAt ? ` Last saved ${new Date(v.updatedAt).toLocaleString()}.` : ' Nothing saved yet.'}
      </Text>
      <SimpleGrid cols={{ base: 1, sm: 2 }} spacing="sm">
        <NativeSelect
          label="Backend"
          description={chosen?.note}
          data={v.backends.map((b) => ({ value: b.value, label: b.available ? b.label : `${b.label} (untested here)` }))}
          value={form.backend}
          onChange={(e) => set('backend', e.currentTarget.value as BackendChoice)}
          data-testid="settings-backend"
        />
        <NumberInput
          label="GPU layers"
          description={`Empty: auto (${v.hostDefaults.gpuLayers}); 0 = CPU only${layers ? `; the model has ${layers} layers + output` : ''}`}
          placeholder="auto"
          min={0}
          max={1000}
          allowDecimal={false}
          allowNegative={false}
          value={form.gpuLayers}
          onChange={(x) => set('gpuLayers', x)}
          data-testid="settings-gpu-layers"
        />
        <NumberInput
          label="Threads"
          description={`Empty: ${v.hostDefaults.threads} (this machine's default)`}
          placeholder={String(v.hostDefaults.threads)}
          min={1}
          max={512}
          allowDecimal={false}
          allowNegative={false}
          value={form.threads}
          onChange={(x) => set('threads', x)}
          data-testid="settings-threads"
        />
        <NumberInput
          label="Context size (tokens)"
          description={`Empty: ${v.hostDefaults.contextSize}${model.metadata.contextLength ? `; trained on ${model.metadata.contextLength.toLocaleString('en')}` : ''}`}
          placeholder="default"
          min={64}
          max={131072}
          step={512}
          allowDecimal={false}
          allowNegative={false}
          value={form.contextSize}
          onChange={(x) => set('contextSize', x)}
          data-testid="settings-context"
        />
        <NumberInput
          label="Batch size (tokens per decode)"
          description={`Empty: ${v.hostDefaults.batchSize}`}
          placeholder="default"
          min={16}
          max={65536}
          step={64}
          allowDecimal={false}
          allowNegative={false}
          value={form.batchSize}
          onChange={(x) => set('batchSize', x)}
          data-testid="settings-batch"
        />
      </SimpleGrid>

      <div aria-live="polite" data-testid="settings-fit">
        {fitError ? (
          <Alert color="red" variant="light" title="Cannot estimate">
            {fitError}
          </Alert>
        ) : fit ? (
          <Alert color={fit.fits ? 'teal' : 'red'} variant="light" title={fit.fits ? 'Fits this machine' : 'Does not fit this machine'}>
            <Stack gap={6}>
              <Text size="sm">{fit.message}</Text>
              <Text size="xs" c="dimmed">
                Estimate (llama.cpp): RAM {formatBytes(fit.ramBytes)} of {formatBytes(fit.ramFreeBytes)}
                {fit.gpuLayers > 0 ? `, VRAM ${formatBytes(fit.vramBytes)} of ${formatBytes(fit.vramFreeBytes)} free` : ''}
                {estimating ? ' · updating…' : ''}
              </Text>
              {fit.alternatives.length > 0 && (
                <Group gap="xs">
                  {fit.alternatives.map((a) => (
                    <Button
                      key={a.label}
                      size="xs"
                      variant="default"
                      onClick={() => setForm((f) => (f ? { ...f, gpuLayers: a.gpuLayers, contextSize: a.contextSize } : f))}
                      data-testid="settings-alternative"
                    >
                      Use {a.label}
                    </Button>
                  ))}
                </Group>
              )}
            </Stack>
          </Alert>
        ) : (
          <Text size="sm" c="dimmed">
            Estimating the memory…
          </Text>
        )}
      </div>

      <Group justify="space-between">
        <Button variant="subtle" color="gray" onClick={() => void reset()} disabled={busy || v.updatedAt === null} data-testid="settings-reset">
          Reset to defaults
        </Button>
        <Group gap="xs">
          <Button variant="default" onClick={onClose}>
            Cancel
          </Button>
          <Button onClick={() => void save()} loading={busy} data-testid="settings-save">
            Save settings
          </Button>
        </Group>
      </Group>
    </Stack>
  )
}
