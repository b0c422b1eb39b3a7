import { PathField } from '@renderer/components/paths/PathField'
import { useEffect, useState } from 'react'
import { Alert, Badge, Button, Group, Modal, Progress, Stack, Table, Text, Title, Tooltip } from '@mantine/core'
import type { Route } from '@renderer/router'
import { api } from '@renderer/api/client'
import { useCall } from '@renderer/api/hooks'
import { notifyError, notifySuccess } from '@renderer/components/errors/notify'
import type { RunInfo, RunProgress, RunStatus } from '../../../../shared/api/inference'
import { formatSeconds } from '../models/format'
import { NewRunForm } from './NewRunForm'

const STATUS_COLOR: Record<RunStatus, string> = {
  pending: 'gray',
  running: 'blue',
  paused: 'yellow',
  cancelled: 'gray',
  completed: 'teal',
  failed: 'red'
}

function ExportModal({ run, onClose }: { run: RunInfo | null; onClose: () => void }) {
  const [dir, setDir] = useState('')
  const [busy, setBusy] = useState(false)
  if (!run) return null
  const doExport = async () => {
    setBusy(true)
    try {
      const r = await api.call('inference.runs.export', { id: run.id, dir })
      notifySuccess(r.files.map((f) => `${f.path} (${f.rows} rows)`).join('\n'), `Run ${run.id} exported`)
      onClose()
    } catch (err) {
      notifyError(err, 'Cannot export')
    } finally {
      setBusy(false)
    }
  }
  return (
    <Modal opened onClose={onClose} title={`Export run ${run.id}`}>
      <Stack gap="xs">
        <Text size="sm">
          Writes one <code>DATASET.csv</code> per dataset with the columns <code>goldens,generated_text</code>, one row per item in the test file's order, as the
          benchmark's IMHI.py does.
        </Text>
        <PathField label="Folder" kind="folder" title="Export folder" placeholder="/path/to/outputs" value={dir} onChange={setDir} onEnter={() => void doExport()} testId="export-dir" />
        <Button onClick={() => void doExport()} loading={busy} disabled={!dir.trim()} data-testid="export-go">
          Export
        </Button>
      </Stack>
    </Modal>
  )
}

export default function RunsPage(_props: { route: Route }) {
  const runs = useCall('inference.runs.list', {})
  const models = useCall('inference.models.list', {})
  const [progress, setProgress] = useState<Record<number, RunProgress & { at: number }>>({})
  const [exporting, setExporting] = useState<RunInfo | null>(null)
  // Whichever is newer wins: the list as last fetched, or a run's last progress event.
  const [listAt, setListAt] = useState(0)
  useEffect(() => setListAt(performance.now()), [runs.data])
  const reload = runs.reload
  useEffect(
    () =>
      api.on('inference.runProgress', (p) => {
        setProgress((m) => ({ ...m, [p.runId]: { ...p, at: performance.now() } }))
        if (p.status !== 'running' || p.done === p.total) reload()
      }),
    [reload]
  )

  const act = async (body: () => Promise<unknown>, title: string) => {
    try {
      await body()
    } catch (err) {
      notifyError(err, title)
    } finally {
      reload()
    }
  }

  return (
    <Stack gap="md" data-testid="runs-page">
      <Title order={3}>Benchmark runs</Title>
      <NewRunForm models={models.data ?? []} onStarted={reload} />
      {runs.error && <Alert color="red">{runs.error.message}</Alert>}
      {(runs.data ?? []).length === 0 && !runs.loading ? (
        <Text c="dimmed">No runs yet.</Text>
      ) : (
        <Table striped data-testid="runs-table">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>#</Table.Th>
              <Table.Th>Run</Table.Th>
              <Table.Th>Status</Table.Th>
              <Table.Th w={320}>Progress</Table.Th>
              <Table.Th />
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {(runs.data ?? []).map((r) => {
              const p = progress[r.id]
              const fresh = p && p.at > listAt
              const status = fresh ? p.status : r.status
              const done = fresh ? p.done : r.done
              const pct = r.total ? (100 * done) / r.total : 0
              return (
                <Table.Tr key={r.id} data-testid={`run-row-${r.id}`}>
                  <Table.Td>{r.id}</Table.Td>
                  <Table.Td>
                    <Text size="sm" fw={500}>{r.name}</Text>
                    <Text size="xs" c="dimmed">
                      {r.promptFormat} · {r.params.parallel} {r.backend === 'onnx-seq2seq' || r.backend?.startsWith('onnxruntime') ? 'per batch' : r.engineId !== null || r.backend?.startsWith('remote:') ? 'in flight' : 'parallel'} · max {r.params.maxTokens} tokens · {r.params.temperature > 0 ? `T ${r.params.temperature}, seed ${r.params.seed}` : 'greedy'}
                      {r.backend ? ` · ${r.backend}` : ''}
                    </Text>
                  </Table.Td>
                  <Table.Td>
                    <Tooltip label={r.error ?? p?.error ?? ''} disabled={!(r.error ?? p?.error)} multiline w={360}>
                      <Badge color={STATUS_COLOR[status]} data-testid={`run-status-${r.id}`}>
                        {status}
                      </Badge>
                    </Tooltip>
                  </Table.Td>
                  <Table.Td>
                    <Progress value={pct} animated={status === 'running'} color={STATUS_COLOR[status]} aria-label={`Run ${r.id} progress`} />
                    <Text size="xs" c="dimmed" data-testid={`run-progress-${r.id}`}>
                      {done}/{r.total} items
                      {status === 'running' && p ? ` · ${p.itemsPerSecond.toFixed(2)} items/s · ${p.tokensPerSecond.toFixed(0)} tokens/s · ETA ${formatSeconds(p.etaSeconds)}` : ''}
                      {status !== 'running' && r.seconds > 0 ? ` · ${r.generatedTokens.toLocaleString('en')} tokens in ${formatSeconds(r.seconds)}` : ''}
                    </Text>
                  </Table.Td>
                  <Table.Td>
                    <Group gap={4} justify="flex-end" wrap="nowrap">
                      {status === 'running' && (
                        <Button size="xs" variant="light" onClick={() => void act(() => api.call('inference.runs.pause', { id: r.id }), 'Cannot pause')}>
                          Pause
                        </Button>
                      )}
                      {(status === 'paused' || status === 'failed' || status === 'pending') && (
                        <Button size="xs" variant="light" onClick={() => void act(() => api.call('inference.runs.resume', { id: r.id }), 'Cannot resume')}>
                          Resume
                        </Button>
                      )}
                      {status !== 'completed' && status !== 'cancelled' && (
                        <Button
                          size="xs"
                          variant="subtle"
                          color="red"
                          onClick={() => {
                            if (window.confirm(`Cancel run ${r.id}? Finished items are kept, but a cancelled run cannot resume.`)) {
                              void act(() => api.call('inference.runs.cancel', { id: r.id }), 'Cannot cancel')
                            }
                          }}
                        >
                          Cancel
                        </Button>
                      )}
                      <Button size="xs" variant="default" disabled={done === 0} onClick={() => setExporting(r)}>
                        Export
                      </Button>
                    </Group>
                  </Table.Td>
                </Table.Tr>
              )
            })}
          </Table.Tbody>
        </Table>
      )}
      <ExportModal run={exporting} onClose={() => setExporting(null)} />
    </Stack>
  )
}
