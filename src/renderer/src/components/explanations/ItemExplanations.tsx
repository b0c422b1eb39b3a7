import { useCallback, useEffect, useRef, useState } from 'react'
import { Alert, Badge, Button, Card, Group, Paper, SegmentedControl, Select, Stack, Text, Tooltip } from '@mantine/core'
import { api } from '@renderer/api/client'
import { useCall } from '@renderer/api/hooks'
import { notifyError } from '../errors/notify'
import type { ExplanationInfo, GenerationParamsInput, PromptFormat } from '../../../../shared/api/inference'
import { SamplingFields } from '../sampling/SamplingFields'
import { samplingForm, samplingParams, type SamplingForm } from '../sampling/form'

const PREFS_KEY = 'imhi-generate-prefs'

interface Prefs {
  modelId: string | null
  adapterId: string | null
  format: PromptFormat
  /** The sampling options, as runs have them (validated by the same schema). */
  sampling: SamplingForm
}

function loadPrefs(): Prefs {
  try {
    const p = JSON.parse(localStorage.getItem(PREFS_KEY) ?? '{}') as Partial<Prefs> & { maxTokens?: number }
    // Earlier versions kept only max tokens.
    return { modelId: p.modelId ?? null, adapterId: p.adapterId ?? null, format: p.format ?? 'raw', sampling: p.sampling ? { ...samplingForm(undefined), ...p.sampling } : samplingForm(p.maxTokens ? { maxTokens: p.maxTokens } : undefined) }
  } catch {
    return { modelId: null, adapterId: null, format: 'raw', sampling: samplingForm(undefined) }
  }
}

function newRequestId(): string {
  return `gen-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`
}

/** One stored explanation with how it was made. */
function ExplanationCard({ e, onRegenerate, onDelete, busy }: { e: ExplanationInfo; onRegenerate: () => void; onDelete: () => void; busy: boolean }) {
  const p = e.provenance
  return (
    <Card withBorder padding="xs" data-testid="explanation">
      <Stack gap={4}>
        <Group gap={6} justify="space-between" wrap="nowrap">
          <Group gap={6}>
            <Badge size="sm" variant="light">{p.promptFormat}</Badge>
            {e.runId !== null && <Badge size="sm" variant="light" color="grape">run {e.runId}</Badge>}
            {p.finish !== 'eog' && (
              <Badge size="sm" variant="light" color={p.finish === 'stopped' ? 'yellow' : 'gray'}>
                {p.finish === 'stopped' ? 'stopped' : 'max tokens'}
              </Badge>
            )}
            {p.truncation && (
              <Tooltip label={`Prompt of ${p.truncation.promptTokens} tokens: ${p.truncation.droppedTokens} dropped from the middle (policy ${p.truncation.policy})`}>
                <Badge size="sm" variant="light" color="orange">truncated</Badge>
              </Tooltip>
            )}
            <Text size="xs" c="dimmed">{new Date(e.createdAt).toLocaleString()}</Text>
          </Group>
          <Group gap={4} wrap="nowrap">
            <Button size="compact-xs" variant="subtle" onClick={onRegenerate} disabled={busy}>
              Regenerate
            </Button>
            {e.runId === null && (
              <Button size="compact-xs" variant="subtle" color="red" onClick={onDelete} disabled={busy}>
                Delete
              </Button>
            )}
          </Group>
        </Group>
        <Text size="sm" style={{ whiteSpace: 'pre-wrap', wordBreak: 'break-word' }} data-testid="explanation-text">
          {e.text || <Text span c="dimmed">(empty)</Text>}
        </Text>
        <Text size="xs" c="dimmed" data-testid="explanation-provenance">
          {p.modelFile}
          {p.sha256 ? ` (sha256 ${p.sha256.slice(0, 12)}…)` : ''}
          {p.adapterFile ? ` + ${p.adapterFile}` : ''} · {p.params.temperature > 0 ? `T ${p.params.temperature}, top-p ${p.params.topP}, seed ${p.seed}` : 'greedy'}
          {p.params.repeatPenalty ? `, repeat penalty ${p.params.repeatPenalty}` : ''} · {p.promptTokens} prompt +{' '}
          {p.generatedTokens} generated tokens ·{' '}
          {p.remote
            ? `server ${p.remote.server} (${p.remote.url}, ${p.remote.endpoint}, ${p.remote.attempts} attempt${p.remote.attempts === 1 ? '' : 's'})`
            : p.seq2seq
              ? `${p.seq2seq.name} (ONNX seq2seq, decoder ${p.seq2seq.decoder}, batch ${p.seq2seq.batchSize}) · ${p.tokensPerSecond.toFixed(1)} tokens/s · ${p.backend}`
              : `first token ${Math.round(p.timeToFirstTokenMs)} ms · ${p.tokensPerSecond.toFixed(1)} tokens/s · ${p.backend} · context ${p.contextSize}${
                  p.load ? ` · ${p.load.gpuLayers} GPU layers, ${p.load.threads} thread${p.load.threads === 1 ? '' : 's'}, batch ${p.load.batchSize}` : ''
                }`}
        </Text>
      </Stack>
    </Card>
  )
}

/** Model explanations of one item: generate (streamed), stop, regenerate, and the stored ones with provenance. */
export function ItemExplanations({ itemId }: { itemId: number }) {
  const models = useCall('inference.models.list', {})
  const stored = useCall('inference.explanations', { itemId })
  const [prefs, setPrefs] = useState<Prefs>(loadPrefs)
  const [streaming, setStreaming] = useState<{ requestId: string; text: string; tokens: number } | null>(null)
  const sampling = samplingParams(prefs.sampling)
  const requestRef = useRef<string | null>(null)
  const reloadStored = stored.reload

  const bases = (models.data ?? []).filter((m) => m.kind === 'model' && !m.missing)
  const engines = useCall('inference.engines.list', {}).data ?? []
  // A registered engine (a server, or a MentalBART/MentalT5 folder run here) is chosen as "server:ID" beside the local models.
  const engine = engines.find((e) => `server:${e.id}` === prefs.modelId) ?? null
  // Only a remote server sends the post over the network.
  const server = engine?.kind === 'openai' ? engine : null
  const modelId = engine || (prefs.modelId && bases.some((m) => String(m.id) === prefs.modelId)) ? prefs.modelId : bases[0] ? String(bases[0].id) : null
  const adapters = (models.data ?? []).filter((m) => m.kind === 'lora' && (!m.baseModelId || String(m.baseModelId) === modelId))

  const update = (p: Partial<Prefs>) =>
    setPrefs((old) => {
      const next = { ...old, ...p }
      localStorage.setItem(PREFS_KEY, JSON.stringify(next))
      return next
    })

  useEffect(
    () =>
      api.on('inference.token', (t) => {
        if (t.requestId !== requestRef.current) return
        setStreaming((s) => (s && s.requestId === t.requestId ? { ...s, text: s.text + t.text, tokens: t.tokens } : s))
      }),
    []
  )

  // Switching items stops nothing: the generation finishes and is stored under its own item.
  useEffect(() => {
    requestRef.current = null
    setStreaming(null)
  }, [itemId])

  const generate = useCallback(
    async (opts: { modelId: string; adapterId: string | null; format: PromptFormat; params: GenerationParamsInput }) => {
      const requestId = newRequestId()
      requestRef.current = requestId
      setStreaming({ requestId, text: '', tokens: 0 })
      try {
        await api.call('inference.generate', {
          requestId,
          itemId,
          ...(opts.modelId.startsWith('server:')
            ? { engineId: Number(opts.modelId.slice('server:'.length)) }
            : { modelId: Number(opts.modelId), adapterId: opts.adapterId ? Number(opts.adapterId) : undefined }),
          format: opts.format,
          params: opts.params
        })
      } catch (err) {
        notifyError(err, 'Generation failed')
      } finally {
        if (requestRef.current === requestId) {
          requestRef.current = null
          setStreaming(null)
        }
        reloadStored()
      }
    },
    [itemId, reloadStored]
  )

  const stop = async () => {
    const id = requestRef.current
    if (id) await api.call('inference.stop', { requestId: id }).catch((e) => notifyError(e))
  }

  const remove = async (id: number) => {
    try {
      await api.call('inference.explanations.delete', { id })
    } catch (err) {
      notifyError(err, 'Cannot delete')
    }
    reloadStored()
  }

  if (models.data && bases.length === 0 && engines.length === 0) {
    return (
      <Text size="sm" c="dimmed" data-testid="explanations-no-model">
        Add a model on the Models page to generate explanations of this post.
      </Text>
    )
  }

  return (
    <Stack gap="xs" data-testid="item-explanations">
      <Group gap="xs" align="flex-end">
        <Select
          label="Model"
          size="xs"
          w={240}
          data={[
            { group: 'Local models', items: bases.map((m) => ({ value: String(m.id), label: m.fileName })) },
            { group: 'MentalBART / MentalT5 (ONNX)', items: engines.filter((e) => e.kind === 'onnx-seq2seq').map((e) => ({ value: `server:${e.id}`, label: e.name })) },
            { group: 'Remote servers', items: engines.filter((e) => e.kind === 'openai').map((e) => ({ value: `server:${e.id}`, label: `${e.name} (${e.model ?? 'server default'})` })) }
          ].filter((g) => g.items.length > 0)}
          value={modelId}
          onChange={(v) => update({ modelId: v, adapterId: null })}
          allowDeselect={false}
          data-testid="gen-model"
        />
        {adapters.length > 0 && !engine && (
          <Select label="LoRA" size="xs" w={180} clearable placeholder="none" data={adapters.map((m) => ({ value: String(m.id), label: m.fileName }))} value={prefs.adapterId} onChange={(v) => update({ adapterId: v })} />
        )}
        <Stack gap={2}>
          <Text size="xs" fw={500}>Prompt template</Text>
          <SegmentedControl size="xs" aria-label="Prompt template" data={["raw", "chat", "completion"]} value={prefs.format} onChange={(v) => update({ format: v as PromptFormat })} />
        </Stack>
        {streaming ? (
          <Button size="xs" color="red" variant="light" onClick={() => void stop()} data-testid="gen-stop">
            Stop
          </Button>
        ) : (
          <Button
            size="xs"
            disabled={!modelId || !sampling.params}
            onClick={() => modelId && sampling.params && void generate({ modelId, adapterId: prefs.adapterId, format: prefs.format, params: sampling.params })}
            data-testid="gen-start"
          >
            Generate
          </Button>
        )}
      </Group>
      <SamplingFields value={prefs.sampling} onChange={(v) => update({ sampling: v })} errors={sampling.errors} testIdPrefix="gen" />
      {server && (
        <Text size="xs" c="orange" data-testid="gen-network-warning">
          Generate sends this post over the network to {server.url} (server “{server.name}”{server.url.startsWith('https:') ? ', HTTPS' : ', plain HTTP'}).
        </Text>
      )}
      {streaming && (
        <Paper withBorder p="xs" data-testid="gen-stream">
          <Text size="sm" style={{ whiteSpace: 'pre-wrap', wordBreak: 'break-word' }} data-testid="gen-stream-text">
            {streaming.text}
            <Text span c="teal">▍</Text>
          </Text>
          <Text size="xs" c="dimmed">{streaming.tokens} tokens</Text>
        </Paper>
      )}
      {stored.error && <Alert color="red">{stored.error.message}</Alert>}
      {(stored.data ?? []).map((e) => (
        <ExplanationCard
          key={e.id}
          e={e}
          busy={!!streaming}
          onDelete={() => void remove(e.id)}
          onRegenerate={() => {
            const byName = e.provenance.remote?.server ?? e.provenance.seq2seq?.name
            const server = byName ? engines.find((x) => x.name === byName) : undefined
            if (server) return void generate({ modelId: `server:${server.id}`, adapterId: null, format: e.promptFormat, params: e.provenance.params })
            return e.modelId !== null
              ? void generate({
                  modelId: String(e.modelId),
                  adapterId: e.provenance.adapterFile ? String((models.data ?? []).find((m) => m.kind === 'lora' && m.fileName === e.provenance.adapterFile)?.id ?? '') || null : null,
                  format: e.promptFormat,
                  params: e.provenance.params
                })
              : notifyError(new Error(`${e.modelFile} is no longer in the library${e.provenance.remote ? ' (its server is no longer registered)' : ''}.`))
          }}
        />
      ))}
      {stored.data && stored.data.length === 0 && !streaming && (
        <Text size="sm" c="dimmed">No explanations of this post yet.</Text>
      )}
    </Stack>
  )
}
