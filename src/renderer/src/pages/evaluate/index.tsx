import { progressText } from './progressText'
import { LmModelPicker } from '@renderer/components/pickers/LmModelPicker'
import { useEffect, useMemo, useState } from 'react'
import { Alert, Button, Card, Group, List, SegmentedControl, Select, Stack, Tabs, Text, TextInput, Title } from '@mantine/core'
import type { Route } from '@renderer/router'
import { navigate } from '@renderer/router'
import { api } from '@renderer/api/client'
import { useCall } from '@renderer/api/hooks'
import { useAppState } from '@renderer/api/appState'
import { notifyError, notifySuccess } from '@renderer/components/errors/notify'
import type { EvaluationEvents } from '../../../../shared/api/evaluation'
import { MetricsTable } from './MetricsTable'
import { DatasetDetail } from './DatasetDetail'
import { Compare } from './Compare'
import { Classifiers } from './Classifiers'
import { Agreement } from './Agreement'
import { DEFINITIONS } from './definitions'
import { LabellerSummary } from './LabellerSummary'
import type { MetricsView } from './format'

function NewEvaluation({ onDone }: { onDone: (id: number) => void }) {
  const { info } = useAppState()
  const runs = useCall('evaluation.runs', {})
  const [source, setSource] = useState<'run' | 'outputs'>('outputs')
  const [runId, setRunId] = useState<string | null>(null)
  const [path, setPath] = useState('')
  const [datasetAs, setDatasetAs] = useState('')
  const [model, setModel] = useState('')
  const [bartModel, setBartModel] = useState('')
  const [bertModel, setBertModel] = useState('')
  const [bertLayer, setBertLayer] = useState('')
  const [bertBaseline, setBertBaseline] = useState('')
  const [labeller, setLabeller] = useState<'tfidf' | 'mentalbert'>('tfidf')
  const [mentalbertPath, setMentalbertPath] = useState('')
  const [busy, setBusy] = useState(false)
  const [progress, setProgress] = useState<EvaluationEvents['evaluation.progress'] | null>(null)
  const [request, setRequest] = useState<string | null>(null)

  useEffect(() => api.on('evaluation.progress', setProgress), [])
  useEffect(() => {
    if (runs.data && runs.data.length > 0 && source === 'outputs' && !path) setSource('run')
    // Only the first load decides the default source.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [runs.data])

  const pick = async () => {
    try {
      const r = await api.call('app.pickPath', { kind: 'folder', title: 'Folder of DATASET.csv model outputs' })
      if (r.path) setPath(r.path)
    } catch (e) {
      notifyError(e)
    }
  }

  const pickMentalbert = async () => {
    try {
      const r = await api.call('app.pickPath', { kind: 'folder', title: 'Folder of converted MentalBERT classifiers (DIR/DR, DIR/SAD, ...)' })
      if (r.path) setMentalbertPath(r.path)
    } catch (e) {
      notifyError(e)
    }
  }

  const evaluate = async () => {
    setBusy(true)
    setProgress(null)
    const requestId = `evaluate-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`
    setRequest(requestId)
    try {
      const target = source === 'run' ? { runId: Number(runId) } : { path: path.trim(), ...(datasetAs.trim() ? { datasetAs: datasetAs.trim() } : {}) }
      const report = await api.call('evaluation.evaluate', {
        target,
        requestId,
        ...(model.trim() ? { lmModel: model.trim() } : {}),
        ...(bartModel.trim() ? { bartModel: bartModel.trim() } : {}),
        ...(bertModel.trim() ? { bertscoreModel: bertModel.trim() } : {}),
        ...(bertModel.trim() && bertLayer ? { bertscoreLayer: Number(bertLayer) } : {}),
        ...(bertModel.trim() && bertBaseline.trim() ? { bertscoreBaseline: bertBaseline.trim() } : {}),
        ...(labeller === 'mentalbert' ? { labeller: { kind: 'mentalbert' as const, modelPath: mentalbertPath.trim() } } : {})
      })
      notifySuccess(`${Object.keys(report.datasets).length} dataset(s) evaluated`, report.name)
      onDone(report.id!)
    } catch (e) {
      notifyError(e, 'Evaluation failed')
    } finally {
      setBusy(false)
      setProgress(null)
      setRequest(null)
    }
  }
  const cancel = (): void => {
    if (request) void api.call('evaluation.cancel', { requestId: request }).catch((e: unknown) => notifyError(e, 'Cannot cancel'))
  }

  const ready = (source === 'run' ? runId !== null : path.trim().length > 0) && (labeller === 'tfidf' || mentalbertPath.trim().length > 0)
  return (
    <Card withBorder padding="sm">
      <Stack gap="xs">
        <Group justify="space-between">
          <Text fw={600} size="sm">
            New evaluation
          </Text>
          <SegmentedControl
            size="xs"
            value={source}
            onChange={(v) => setSource(v as 'run' | 'outputs')}
            data={[
              { label: 'A run', value: 'run' },
              { label: 'An output folder / CSV', value: 'outputs' }
            ]}
          />
        </Group>
        <Group align="end" wrap="wrap">
          {source === 'run' ? (
            <Select
              size="xs"
              label="Run"
              w={380}
              placeholder={runs.data?.length ? 'Choose a run' : 'No runs yet (Runs page)'}
              data={(runs.data ?? []).map((r) => ({ value: String(r.id), label: `#${r.id} ${r.name} (${r.explanations} explanations, ${r.status})`, disabled: r.explanations === 0 }))}
              value={runId}
              onChange={setRunId}
              searchable
              data-testid="run-select"
            />
          ) : (
            <>
              <TextInput
                size="xs"
                label="Folder of DATASET.csv files (goldens,generated_text) or one CSV"
                w={420}
                value={path}
                onChange={(e) => setPath(e.currentTarget.value)}
                placeholder="/path/to/model_output/my-model"
                data-testid="outputs-path"
                onKeyDown={(e) => e.key === 'Enter' && ready && !busy && evaluate()}
              />
              {info?.canPickFolder && (
                <Button size="xs" variant="default" onClick={pick}>
                  Choose…
                </Button>
              )}
              <TextInput size="xs" label="Dataset (if the file name is not one)" w={200} value={datasetAs} onChange={(e) => setDatasetAs(e.currentTarget.value)} placeholder="e.g. DR" />
            </>
          )}
        </Group>
        <Group align="end" wrap="wrap">
          <Select
            size="xs"
            label="Labeller (who labels the responses)"
            w={300}
            data={[
              { value: 'tfidf', label: 'Built-in TF-IDF classifiers' },
              { value: 'mentalbert', label: 'MentalBERT (label_inference.py, ONNX)' }
            ]}
            value={labeller}
            onChange={(v) => v && setLabeller(v as 'tfidf' | 'mentalbert')}
            allowDeselect={false}
            data-testid="labeller-select"
          />
          {labeller === 'mentalbert' && (
            <>
              <TextInput
                size="xs"
                label="Folder of converted MentalBERT classifiers (DIR/DR, DIR/SAD, …)"
                w={420}
                value={mentalbertPath}
                onChange={(e) => setMentalbertPath(e.currentTarget.value)}
                placeholder="/path/to/mentalbert-onnx"
                data-testid="mentalbert-path"
                onKeyDown={(e) => e.key === 'Enter' && ready && !busy && evaluate()}
              />
              {info?.canPickFolder && (
                <Button size="xs" variant="default" onClick={pickMentalbert}>
                  Choose…
                </Button>
              )}
            </>
          )}
          <LmModelPicker label="Model for the LM score (optional, slow)" value={model} onChange={setModel} testId="lm-model" />
        </Group>
        <Group align="end" wrap="wrap">
          <TextInput
            size="xs"
            label="BART export folder for BART-score (optional)"
            w={330}
            value={bartModel}
            onChange={(e) => setBartModel(e.currentTarget.value)}
            placeholder="/path/to/bart-large-cnn-bartscore-onnx"
            data-testid="bart-model"
          />
          <TextInput
            size="xs"
            label="Encoder export folder for BERTScore (optional)"
            w={330}
            value={bertModel}
            onChange={(e) => setBertModel(e.currentTarget.value)}
            placeholder="/path/to/roberta-large-L17-onnx"
            data-testid="bertscore-model"
          />
          <TextInput
            size="xs"
            label="Layer"
            w={70}
            value={bertLayer}
            onChange={(e) => setBertLayer(e.currentTarget.value.replace(/\D/g, ''))}
            placeholder="export's"
            disabled={!bertModel.trim()}
            data-testid="bertscore-layer"
          />
          <TextInput
            size="xs"
            label="Baseline file (rescale; score.py does not)"
            w={240}
            value={bertBaseline}
            onChange={(e) => setBertBaseline(e.currentTarget.value)}
            placeholder="rescale_baseline/en/roberta-large.tsv"
            disabled={!bertModel.trim()}
            data-testid="bertscore-baseline"
          />
          <Button size="xs" onClick={evaluate} loading={busy} disabled={!ready} data-testid="evaluate-button">
            Evaluate
          </Button>
          {busy && (
            <Button size="xs" variant="default" color="red" onClick={cancel} data-testid="cancel-evaluation">
              Cancel
            </Button>
          )}
        </Group>
        {busy && (
          <Group gap="sm" data-testid="evaluate-progress" aria-live="polite">
            <Text size="xs" c="dimmed">
              {progress ? progressText(progress) : 'Starting…'}
            </Text>
            <Button size="compact-xs" variant="default" onClick={cancel} data-testid="evaluate-cancel">
              Cancel
            </Button>
          </Group>
        )}
      </Stack>
    </Card>
  )
}

export default function EvaluatePage({ route }: { route: Route }) {
  const list = useCall('evaluation.list', {})
  const q = route.query
  const id = q.get('id') ? Number(q.get('id')) : (list.data?.[0]?.id ?? null)
  const compareId = q.get('b') ? Number(q.get('b')) : null
  const tab = q.get('tab') ?? 'metrics'
  const view: MetricsView = { rules: q.get('rules') === 'imhi-py' ? 'imhi-py' : 'workbench', ood: q.get('ood') === 'benchmark' ? 'benchmark' : 'workbench' }
  const report = useCall('evaluation.get', id ? { id } : null)
  const other = useCall('evaluation.get', compareId ? { id: compareId } : null)
  const datasets = report.data ? Object.keys(report.data.datasets) : []
  const ds = q.get('ds') && datasets.includes(q.get('ds')!) ? q.get('ds')! : (datasets[0] ?? null)

  const go = (patch: Record<string, string | undefined>) => {
    const cur = Object.fromEntries(q.entries())
    navigate('/evaluate', { ...cur, ...patch })
  }
  const options = useMemo(
    () => (list.data ?? []).map((e) => ({ value: String(e.id), label: `#${e.id} ${e.name} (${e.datasets.join(', ')})${e.labeller === 'mentalbert' ? ' · MentalBERT' : e.labeller === 'tfidf' ? ' · TF-IDF' : ''}` })),
    [list.data]
  )

  const remove = async () => {
    if (!id) return
    try {
      await api.call('evaluation.delete', { id })
      list.reload()
      navigate('/evaluate')
    } catch (e) {
      notifyError(e)
    }
  }

  return (
    <Stack gap="sm" data-testid="evaluate-page">
      <Title order={3}>Evaluate</Title>
      <NewEvaluation
        onDone={(newId) => {
          list.reload()
          navigate('/evaluate', { id: String(newId), tab: 'metrics' })
        }}
      />
      <Group align="end">
        <Select size="xs" label="Evaluation" w={420} data={options} value={id ? String(id) : null} onChange={(v) => v && go({ id: v, ds: undefined })} placeholder="No evaluations yet" data-testid="evaluation-select" allowDeselect={false} />
        <Select size="xs" label="Compare with" w={420} data={options.filter((o) => o.value !== String(id))} value={compareId ? String(compareId) : null} onChange={(v) => go({ b: v ?? undefined, tab: v ? 'compare' : 'metrics' })} clearable placeholder="(none)" data-testid="compare-select" />
        {id && (
          <Button size="xs" variant="subtle" color="red" onClick={remove}>
            Delete
          </Button>
        )}
      </Group>
      <Tabs value={tab} onChange={(v) => go({ tab: v ?? 'metrics' })} keepMounted={false}>
        <Tabs.List>
          <Tabs.Tab value="metrics">Metrics</Tabs.Tab>
          <Tabs.Tab value="compare" disabled={!compareId}>
            Side by side
          </Tabs.Tab>
          <Tabs.Tab value="classifiers">Classifiers</Tabs.Tab>
          <Tabs.Tab value="agreement">Agreement with people</Tabs.Tab>
          <Tabs.Tab value="definitions">Definitions</Tabs.Tab>
        </Tabs.List>
        <Tabs.Panel value="metrics" pt="sm">
          {report.error && <Alert color="red">{report.error.message}</Alert>}
          {!id && !list.loading && <Alert color="gray">Evaluate a run or an output folder above to see its metrics.</Alert>}
          {report.data && (
            <Stack gap="sm">
              <Text size="sm" c="dimmed">
                {report.data.source.kind === 'run' ? `Run #${report.data.source.runId} (${report.data.source.name})` : report.data.source.path} · {new Date(report.data.createdAt).toLocaleString()}
              </Text>
              {(report.data.notes.length > 0 || report.data.skipped.length > 0) && (
                <Alert color="yellow" p="xs" title="Notes">
                  <List size="xs">
                    {report.data.notes.map((n) => (
                      <List.Item key={n}>{n}</List.Item>
                    ))}
                    {report.data.skipped.map((s) => (
                      <List.Item key={s.file}>
                        skipped {s.file}: {s.reason}
                      </List.Item>
                    ))}
                  </List>
                </Alert>
              )}
              <LabellerSummary report={report.data} />
              <Group gap="lg" align="end" data-testid="metrics-view">
                <div>
                  <Text size="xs" fw={500} mb={2} id="rules-label">
                    Label rules
                  </Text>
                  <SegmentedControl
                    size="xs"
                    aria-labelledby="rules-label"
                    value={view.rules}
                    onChange={(v) => go({ rules: v === 'imhi-py' ? 'imhi-py' : undefined })}
                    data={[
                      { label: 'Workbench', value: 'workbench' },
                      { label: 'IMHI.py as released', value: 'imhi-py' }
                    ]}
                    data-testid="rules-control"
                  />
                </div>
                <div>
                  <Text size="xs" fw={500} mb={2} id="ood-label">
                    Response with no label (OOD)
                  </Text>
                  <SegmentedControl
                    size="xs"
                    aria-labelledby="ood-label"
                    value={view.rules === 'imhi-py' ? 'benchmark' : view.ood}
                    disabled={view.rules === 'imhi-py'}
                    onChange={(v) => go({ ood: v === 'benchmark' ? 'benchmark' : undefined })}
                    data={[
                      { label: 'Extra wrong class (workbench)', value: 'workbench' },
                      { label: 'Class 0, as IMHI.py (benchmark)', value: 'benchmark' }
                    ]}
                    data-testid="ood-control"
                  />
                </div>
                {view.rules === 'imhi-py' && (
                  <Text size="xs" c="dimmed" maw={320}>
                    IMHI.py scores a response with no label as its class 0 (SAD: 8); the OOD choice applies to the workbench rules.
                  </Text>
                )}
              </Group>
              <MetricsTable report={report.data} selected={ds} onSelect={(d) => go({ ds: d })} view={view} />
              {ds && report.data.datasets[ds] && <DatasetDetail key={`${id}-${ds}`} report={report.data} dataset={report.data.datasets[ds]} view={view} />}
            </Stack>
          )}
        </Tabs.Panel>
        <Tabs.Panel value="compare" pt="sm">
          {report.data && other.data ? <Compare a={report.data} b={other.data} view={view} /> : <Text c="dimmed">Choose a second evaluation to compare.</Text>}
        </Tabs.Panel>
        <Tabs.Panel value="classifiers" pt="sm">
          <Classifiers onTrained={() => undefined} />
        </Tabs.Panel>
        <Tabs.Panel value="agreement" pt="sm">
          <Agreement />
        </Tabs.Panel>
        <Tabs.Panel value="definitions" pt="sm">
          <Stack gap={6} maw={900} data-testid="definitions">
            {DEFINITIONS.map((d) => (
              <Text key={d.term} size="sm">
                <b>{d.term}.</b> {d.text}
              </Text>
            ))}
          </Stack>
        </Tabs.Panel>
      </Tabs>
    </Stack>
  )
}
