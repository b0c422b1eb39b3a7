import { PathField } from '@renderer/components/paths/PathField'
import { useCallback, useState } from 'react'
import { Alert, Badge, Button, Code, Group, Modal, Progress, ScrollArea, Select, Stack, Table, Text, Title, Tooltip } from '@mantine/core'
import type { Route } from '@renderer/router'
import { api } from '@renderer/api/client'
import { useCall } from '@renderer/api/hooks'
import { notifyError, notifySuccess } from '@renderer/components/errors/notify'
import type { ModelInfo } from '../../../../shared/api/inference'
import { BackendCard } from './BackendCard'
import { ServersPanel } from './ServersPanel'
import { ModelSettingsPanel } from './settings/ModelSettingsPanel'
import { Seq2seqPanel } from './Seq2seqPanel'
import { formatBytes, formatFileType, formatParams } from './format'
import { useDownloads, useInferenceStatus } from './useInference'

function isRemote(source: string): boolean {
  return /^(hf:|https?:\/\/)/i.test(source.trim())
}

function Fits({ m }: { m: ModelInfo }) {
  const mem = m.metadata.memory
  if (!mem) return <Text size="xs" c="dimmed">—</Text>
  return (
    <Group gap={4}>
      <Tooltip label={`Weights on CPU: ${formatBytes(mem.cpuRamBytes)}; 2,048-token context: ${formatBytes(mem.contextBytes)}`}>
        <Badge size="sm" variant="light" color={mem.fitsInRam ? 'teal' : 'red'}>
          RAM {mem.fitsInRam ? 'fits' : 'too big'}
        </Badge>
      </Tooltip>
      {mem.fitsInGpu !== null && (
        <Tooltip label={`Full GPU offload: ${formatBytes(mem.gpuVramBytes)}`}>
          <Badge size="sm" variant="light" color={mem.fitsInGpu ? 'teal' : 'yellow'}>
            GPU {mem.fitsInGpu ? 'fits' : 'partial'}
          </Badge>
        </Tooltip>
      )}
    </Group>
  )
}

function Details({ m, onClose }: { m: ModelInfo | null; onClose: () => void }) {
  if (!m) return null
  const md = m.metadata
  const rows: [string, string][] = [
    ['Path', m.path],
    ['Kind', m.kind === 'lora' ? `LoRA adapter (${md.adapterType})` : 'model'],
    ['Architecture', md.architecture],
    ['Name', md.name ?? '—'],
    ['Parameters', `${formatParams(md.parameters)} (${md.parameters.toLocaleString('en')})`],
    ['Quantization (file type)', formatFileType(md.fileType)],
    ['Tensor types (share of parameters)', Object.entries(md.tensorTypes).map(([k, v]) => `${k} ${(v * 100).toFixed(1)}%`).join(', ')],
    ['Context length (trained)', md.contextLength?.toLocaleString('en') ?? '—'],
    ['Layers', String(md.layers ?? '—')],
    ['Vocabulary', md.vocabSize?.toLocaleString('en') ?? '—'],
    ['GGUF version', String(md.ggufVersion)],
    ['File size', `${formatBytes(m.sizeBytes)} (${m.sizeBytes.toLocaleString('en')} bytes)`],
    ['SHA-256', m.sha256 ?? '—']
  ]
  if (md.memory) {
    rows.push(['Memory on CPU (weights)', formatBytes(md.memory.cpuRamBytes)])
    rows.push(['VRAM for full offload', formatBytes(md.memory.gpuVramBytes)])
    rows.push(['2,048-token context', formatBytes(md.memory.contextBytes)])
  }
  return (
    <Modal opened onClose={onClose} title={m.fileName} size="xl">
      <Stack gap="sm">
        <Table withRowBorders={false} verticalSpacing={4}>
          <Table.Tbody>
            {rows.map(([k, v]) => (
              <Table.Tr key={k}>
                <Table.Td w={240}>
                  <Text size="sm" c="dimmed">{k}</Text>
                </Table.Td>
                <Table.Td>
                  <Text size="sm" style={{ wordBreak: 'break-all' }}>{v}</Text>
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
        <Text size="sm" fw={600}>Chat template</Text>
        {md.chatTemplate ? (
          <ScrollArea h={200} viewportProps={{ tabIndex: 0, role: 'region', 'aria-label': 'Chat template' }}>
            <Code block>{md.chatTemplate}</Code>
          </ScrollArea>
        ) : (
          <Text size="sm" c="dimmed">None in the file: the chat format falls back to a wrapper chosen by the model's name.</Text>
        )}
      </Stack>
    </Modal>
  )
}

export default function ModelsPage(_props: { route: Route }) {
  const models = useCall('inference.models.list', {})
  const { status, reload: reloadStatus } = useInferenceStatus(true)
  const reloadModels = models.reload
  const downloads = useDownloads(status?.downloads, reloadModels)
  const [source, setSource] = useState('')
  const [base, setBase] = useState<string | null>(null)
  const [busy, setBusy] = useState<string | null>(null)
  const [details, setDetails] = useState<ModelInfo | null>(null)
  const [settingsOf, setSettingsOf] = useState<ModelInfo | null>(null)
  const list = models.data ?? []
  const bases = list.filter((m) => m.kind === 'model')

  const add = useCallback(async () => {
    const s = source.trim()
    if (!s) return
    setBusy('add')
    try {
      const baseModelId = base ? Number(base) : undefined
      if (isRemote(s)) {
        await api.call('inference.models.download', { uri: s, baseModelId })
        notifySuccess(`Downloading ${s}`, 'Download started')
      } else {
        const m = await api.call('inference.models.add', { path: s, baseModelId })
        notifySuccess(`${m.fileName}: ${m.metadata.architecture}, ${formatParams(m.metadata.parameters)} parameters`, 'Model added')
        reloadModels()
      }
      setSource('')
      reloadStatus()
    } catch (err) {
      notifyError(err, 'Cannot add the model')
    } finally {
      setBusy(null)
    }
  }, [source, base, reloadModels, reloadStatus])

  const act = async (key: string, body: () => Promise<unknown>, failTitle: string) => {
    setBusy(key)
    try {
      await body()
      reloadModels()
      reloadStatus()
    } catch (err) {
      notifyError(err, failTitle)
    } finally {
      setBusy(null)
    }
  }


  return (
    <Stack gap="md" data-testid="models-page">
      <Title order={3}>Models</Title>
      <BackendCard status={status} onUnload={() => void act('unload', () => api.call('inference.models.unload', {}), 'Cannot unload')} />

      <Group align="flex-end" gap="xs">
        <PathField
          label="Add a model"
          kind="file"
          title="Choose a .gguf model"
          description="A path to a .gguf file, an https:// URL, or hf:user/repo:quant (e.g. hf:user/MentaLLaMA-chat-7B-GGUF:Q4_K_M)."
          placeholder="/models/MentaLLaMA-chat-7B.Q4_K_M.gguf"
          value={source}
          onChange={setSource}
          onEnter={() => void add()}
          testId="model-source"
        />
        <Select
          label="Base model (for a LoRA adapter)"
          placeholder="none"
          clearable
          data={bases.map((m) => ({ value: String(m.id), label: m.fileName }))}
          value={base}
          onChange={setBase}
          w={260}
        />
        <Button onClick={() => void add()} loading={busy === 'add'} disabled={!source.trim()} data-testid="model-add">
          {isRemote(source) ? 'Download' : 'Add'}
        </Button>
      </Group>

      {downloads.length > 0 && (
        <Stack gap={6} data-testid="downloads">
          {downloads.map((d) => (
            <Stack key={d.downloadId} gap={2} data-testid="download-row">
              <Group gap="sm" wrap="nowrap">
                <Text size="sm" w={360} truncate>{d.uri}</Text>
                <Progress value={d.totalBytes ? (100 * d.downloadedBytes) / d.totalBytes : 0} aria-label="Download progress" style={{ flex: 1 }} animated={d.status === 'downloading'} color={d.status === 'failed' ? 'red' : 'teal'} />
                <Text size="xs" w={200}>
                  {d.status === 'downloading' ? `${formatBytes(d.downloadedBytes)} of ${d.totalBytes ? formatBytes(d.totalBytes) : '?'}` : d.status}
                </Text>
                {d.status === 'downloading' ? (
                  <Button size="xs" variant="default" onClick={() => void act(d.downloadId, () => api.call('inference.models.cancelDownload', { downloadId: d.downloadId }), 'Cannot cancel')}>
                    Cancel
                  </Button>
                ) : (
                  <Button size="xs" variant="subtle" color="gray" aria-label={`Dismiss ${d.uri}`} data-testid="download-dismiss" onClick={() => void act(d.downloadId, () => api.call('inference.models.dismissDownload', { downloadId: d.downloadId }), 'Cannot dismiss')}>
                    Dismiss
                  </Button>
                )}
              </Group>
              {d.error && (
                <Text size="xs" c="red" style={{ overflowWrap: 'anywhere' }}>
                  {d.error}
                </Text>
              )}
            </Stack>
          ))}
        </Stack>
      )}

      {models.error && <Alert color="red">{models.error.message}</Alert>}
      {list.length === 0 && !models.loading ? (
        <Text c="dimmed" data-testid="models-empty">
          No models yet. Add a GGUF file (for example a MentaLLaMA conversion) above.
        </Text>
      ) : (
        <Table striped highlightOnHover data-testid="models-table">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>File</Table.Th>
              <Table.Th>Architecture</Table.Th>
              <Table.Th>Parameters</Table.Th>
              <Table.Th>Quantization</Table.Th>
              <Table.Th>Context</Table.Th>
              <Table.Th>Size</Table.Th>
              <Table.Th>Memory</Table.Th>
              <Table.Th />
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {list.map((m) => {
              const loaded = status?.model.modelId === m.id && status.model.status === 'loaded'
              return (
                <Table.Tr key={m.id} data-testid={`model-row-${m.id}`}>
                  <Table.Td>
                    <Group gap={6}>
                      <Text size="sm" fw={500}>{m.fileName}</Text>
                      {m.kind === 'lora' && <Badge size="xs" color="grape">LoRA</Badge>}
                      {loaded && <Badge size="xs" color="teal">loaded</Badge>}
                      {m.missing && <Badge size="xs" color="red">file missing</Badge>}
                    </Group>
                    {m.kind === 'lora' && m.baseModelId && (
                      <Text size="xs" c="dimmed">on {list.find((b) => b.id === m.baseModelId)?.fileName ?? `model ${m.baseModelId}`}</Text>
                    )}
                  </Table.Td>
                  <Table.Td>{m.architecture}</Table.Td>
                  <Table.Td>{formatParams(m.metadata.parameters)}</Table.Td>
                  <Table.Td>{formatFileType(m.metadata.fileType)}</Table.Td>
                  <Table.Td>{m.metadata.contextLength?.toLocaleString('en') ?? '—'}</Table.Td>
                  <Table.Td>{formatBytes(m.sizeBytes)}</Table.Td>
                  <Table.Td>
                    <Fits m={m} />
                  </Table.Td>
                  <Table.Td>
                    <Group gap={4} justify="flex-end" wrap="nowrap">
                      <Button size="xs" variant="subtle" onClick={() => setDetails(m)}>
                        Details
                      </Button>
                      {m.kind === 'model' && (
                        <Button size="xs" variant="subtle" disabled={m.missing} onClick={() => setSettingsOf(m)} aria-label={`Settings of ${m.fileName}`} data-testid="model-settings-open">
                          Settings
                        </Button>
                      )}
                      {m.kind === 'model' && (
                        <Button
                          size="xs"
                          variant="light"
                          loading={busy === `load-${m.id}`}
                          disabled={loaded || m.missing}
                          onClick={() => void act(`load-${m.id}`, () => api.call('inference.models.load', { id: m.id }), `Cannot load ${m.fileName}`)}
                        >
                          Load
                        </Button>
                      )}
                      <Button
                        size="xs"
                        variant="subtle"
                        color="red"
                        loading={busy === `rm-${m.id}`}
                        onClick={() => {
                          if (window.confirm(`Remove ${m.fileName} from the library? Its explanations keep the file name and SHA-256.`)) {
                            void act(`rm-${m.id}`, () => api.call('inference.models.remove', { id: m.id }), `Cannot remove ${m.fileName}`)
                          }
                        }}
                      >
                        Remove
                      </Button>
                    </Group>
                  </Table.Td>
                </Table.Tr>
              )
            })}
          </Table.Tbody>
        </Table>
      )}
      <Details m={details} onClose={() => setDetails(null)} />
      <Modal opened={settingsOf !== null} onClose={() => setSettingsOf(null)} title={settingsOf ? `Inference settings: ${settingsOf.fileName}` : ''} size="lg">
        {settingsOf && <ModelSettingsPanel model={settingsOf} onClose={() => setSettingsOf(null)} />}
      </Modal>
      <Seq2seqPanel />
      <ServersPanel />
    </Stack>
  )
}
