import { useState } from 'react'
import { Alert, Button, Card, Checkbox, Group, MultiSelect, NumberInput, Select, Stack, Text } from '@mantine/core'
import { useCall } from '@renderer/api/hooks'
import { api } from '@renderer/api/client'
import { useAppState } from '@renderer/api/appState'
import { notifyError, notifySuccess } from '@renderer/components/errors/notify'
import { SamplingFields } from '@renderer/components/sampling/SamplingFields'
import { DEFAULT_SAMPLING, samplingParams, type SamplingForm } from '@renderer/components/sampling/form'
import { PROMPT_FORMATS, RUN_SPLITS, type ModelInfo, type PromptFormat, type RunSplit } from '../../../../shared/api/inference'

const SPLIT_LABELS: Record<RunSplit, string> = {
  test_instruction: 'instruction (test_instruction)',
  test_complete: 'completion (test_complete)',
  expert: 'expert (35 per dataset)'
}

/** Starts a benchmark run: model (+ adapter), datasets, split, limit, parallel sequences, format, decoding. */
export function NewRunForm({ models, onStarted }: { models: ModelInfo[]; onStarted: () => void }) {
  const { facets } = useAppState()
  const bases = models.filter((m) => m.kind === 'model' && !m.missing)
  const [modelId, setModelId] = useState<string | null>(null)
  const [adapterId, setAdapterId] = useState<string | null>(null)
  const [datasets, setDatasets] = useState<string[]>([])
  const [split, setSplit] = useState<RunSplit>('test_instruction')
  const [limit, setLimit] = useState<number | string>('')
  const [parallel, setParallel] = useState<number | string>(1)
  const [format, setFormat] = useState<PromptFormat>('raw')
  const [samplingForm, setSamplingForm] = useState<SamplingForm>(DEFAULT_SAMPLING)
  const sampling = samplingParams(samplingForm)
  const [busy, setBusy] = useState(false)
  const adapters = models.filter((m) => m.kind === 'lora' && (!m.baseModelId || String(m.baseModelId) === modelId))
  const engines = useCall('inference.engines.list', {}).data ?? []
  const chosenModel = modelId ?? (bases.length === 1 && engines.length === 0 ? String(bases[0].id) : null)
  // A registered engine (a server, or a MentalBART/MentalT5 folder run here) is chosen as "server:ID" beside the local models.
  const engine = chosenModel?.startsWith('server:') ? (engines.find((e) => `server:${e.id}` === chosenModel) ?? null) : null
  // Only a remote server sends the posts over the network.
  const server = engine?.kind === 'openai' ? engine : null
  const seq2seq = engine?.kind === 'onnx-seq2seq' ? engine : null
  const [sendConfirmed, setSendConfirmed] = useState(false)

  const start = async () => {
    if (!chosenModel || datasets.length === 0 || (server && !sendConfirmed) || !sampling.params) return
    setBusy(true)
    try {
      const run = await api.call('inference.runs.create', {
        ...(engine ? { engineId: engine.id } : { modelId: Number(chosenModel), adapterId: adapterId ? Number(adapterId) : undefined }),
        datasets,
        split,
        limit: typeof limit === 'number' && limit > 0 ? limit : undefined,
        parallel: Number(parallel) || 1,
        format,
        params: sampling.params
      })
      notifySuccess(`${run.total} items`, `Run ${run.id} started`)
      // The next run to a server asks again.
      setSendConfirmed(false)
      onStarted()
    } catch (err) {
      notifyError(err, 'Cannot start the run')
    } finally {
      setBusy(false)
    }
  }

  return (
    <Card withBorder padding="sm" data-testid="new-run">
      <Stack gap="xs">
        <Text fw={600}>New benchmark run</Text>
        <Group align="flex-end" gap="xs">
          <Select
            label="Model"
            placeholder={bases.length || engines.length ? 'choose' : 'add a model first'}
            data={[
              { group: 'Local models', items: bases.map((m) => ({ value: String(m.id), label: m.fileName })) },
              { group: 'MentalBART / MentalT5 (ONNX, this machine)', items: engines.filter((e) => e.kind === 'onnx-seq2seq').map((e) => ({ value: `server:${e.id}`, label: e.name })) },
              { group: 'Remote servers', items: engines.filter((e) => e.kind === 'openai').map((e) => ({ value: `server:${e.id}`, label: `${e.name} (${e.model ?? 'server default'})` })) }
            ].filter((g) => g.items.length > 0)}
            value={chosenModel}
            onChange={(v) => {
              setModelId(v)
              setSendConfirmed(false)
              setAdapterId(null)
            }}
            w={260}
            data-testid="run-model"
          />
          <Select label="LoRA adapter" placeholder="none" clearable data={adapters.map((m) => ({ value: String(m.id), label: m.fileName }))} value={adapterId} onChange={setAdapterId} w={200} disabled={adapters.length === 0 || !!engine} />
          <MultiSelect
            label="Datasets"
            placeholder="choose"
            data={(facets?.datasets ?? []).map((d) => d.name)}
            value={datasets}
            onChange={setDatasets}
            w={300}
            searchable
            data-testid="run-datasets"
          />
          <Select label="Split" data={RUN_SPLITS.map((s) => ({ value: s, label: SPLIT_LABELS[s] }))} value={split} onChange={(v) => v && setSplit(v as RunSplit)} w={230} allowDeselect={false} />
        </Group>
        <Group align="flex-end" gap="xs">
          <NumberInput label="Limit per dataset" placeholder="all" min={1} value={limit} onChange={setLimit} w={140} />
          <NumberInput
            label={server ? 'Requests in flight' : seq2seq ? 'Batch size' : 'Parallel sequences'}
            description={server ? undefined : seq2seq ? 'IMHI.py: 24; 1: deterministic' : '1: deterministic (same text on a rerun)'}
            min={1}
            max={64}
            value={parallel}
            onChange={setParallel}
            w={150}
            data-testid="run-parallel"
          />
          <Select label="Prompt format" data={PROMPT_FORMATS.map((f) => ({ value: f, label: f === 'raw' ? 'raw (as IMHI.py)' : f }))} value={format} onChange={(v) => v && setFormat(v as PromptFormat)} w={170} allowDeselect={false} />
        </Group>
        <SamplingFields value={samplingForm} onChange={setSamplingForm} errors={sampling.errors} size="sm" testIdPrefix="run" />
        {server && (
          <Alert color="orange" variant="light" title="The posts will leave this machine" data-testid="run-network-warning">
            <Stack gap={6}>
              <Text size="sm">
                This run sends every post of {datasets.length ? datasets.join(', ') : 'the chosen datasets'} ({split}) to <b>{server.url}</b> (server “{server.name}”)
                {server.url.startsWith('https:') ? ' over HTTPS' : ' over plain HTTP, readable by anyone on the network path'}. The posts are about mental health; send them only to a server you may share them with.
              </Text>
              <Checkbox label={`Send the posts to ${server.name}`} checked={sendConfirmed} onChange={(e) => setSendConfirmed(e.currentTarget.checked)} data-testid="run-network-confirm" />
            </Stack>
          </Alert>
        )}
        <Group>
          <Button onClick={() => void start()} loading={busy} disabled={!chosenModel || datasets.length === 0 || (!!server && !sendConfirmed) || !sampling.params} data-testid="run-start">
            Start run
          </Button>
        </Group>
      </Stack>
    </Card>
  )
}
