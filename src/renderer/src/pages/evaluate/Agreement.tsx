import { useEffect, useState } from 'react'
import { Alert, Button, Group, Loader, ScrollArea, Select, Stack, Table, Text, TextInput } from '@mantine/core'
import { LmModelPicker } from '@renderer/components/pickers/LmModelPicker'
import { StudyPicker } from '@renderer/components/pickers/StudyPicker'
import { CartesianGrid, ResponsiveContainer, Scatter, ScatterChart, Tooltip, XAxis, YAxis, ZAxis } from 'recharts'
import type { CorrelationReport, CorrelationValue, EvaluationEvents } from '../../../../shared/api/evaluation'
import { api } from '@renderer/api/client'
import { notifyError } from '@renderer/components/errors/notify'
import { ChartFrame } from './ChartFrame'
import { downloadCsv } from './csv'

const r3 = (c: CorrelationValue) => (c.r === null ? '—' : c.r.toFixed(3))
const p = (c: CorrelationValue) => (c.p === null ? '' : c.p < 0.001 ? ' (p<0.001)' : ` (p=${c.p.toFixed(3)})`)

/** Correlation of automatic scores with human ratings (released DR_annotation ratings or a study). */
export function Agreement() {
  const [report, setReport] = useState<CorrelationReport | null>(null)
  const [loading, setLoading] = useState(false)
  const [studyId, setStudyId] = useState('')
  const [model, setModel] = useState('')
  const [bartModel, setBartModel] = useState('')
  const [bertModel, setBertModel] = useState('')
  const [progress, setProgress] = useState<EvaluationEvents['evaluation.progress'] | null>(null)
  useEffect(() => api.on('evaluation.progress', setProgress), [])
  const [metric, setMetric] = useState('rougeL')
  /** The running analysis's name, for evaluation.cancel. */
  const [request, setRequest] = useState<string | null>(null)
  const [aspect, setAspect] = useState('overall')

  const run = async () => {
    setLoading(true)
    const requestId = `correlations-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`
    setRequest(requestId)
    try {
      const study = studyId.trim() ? Number(studyId) : undefined
      setProgress(null)
      const r = await api.call('evaluation.correlations', {
        requestId,
        ...(study ? { studyId: study } : {}),
        ...(model.trim() ? { lmModel: model.trim() } : {}),
        ...(bartModel.trim() ? { bartModel: bartModel.trim() } : {}),
        ...(bertModel.trim() ? { bertscoreModel: bertModel.trim() } : {})
      })
      setReport(r)
      if (!r.aspects.includes(aspect) && r.aspects[0]) setAspect(r.aspects[0])
    } catch (e) {
      notifyError(e, 'Correlations failed')
    } finally {
      setLoading(false)
      setRequest(null)
    }
  }

  const exportCsv = () =>
    report &&
    downloadCsv(
      'correlations.csv',
      ['metric', 'aspect', 'n', 'pearson_r', 'pearson_p', 'spearman_rho', 'spearman_p', 'kendall_tau_b', 'kendall_p'],
      report.metrics.flatMap((m) =>
        report.aspects.map((a) => {
          const c = report.table[m][a]
          return [m, a, c.pearson.n, c.pearson.r, c.pearson.p, c.spearman.r, c.spearman.p, c.kendall.r, c.kendall.p]
        })
      )
    )

  const points = report ? report.points.filter((pt) => pt.scores[metric] !== null && pt.scores[metric] !== undefined && pt.ratings[aspect] !== undefined).map((pt) => ({ x: pt.scores[metric], y: pt.ratings[aspect], system: pt.system })) : []

  return (
    <Stack gap="sm" data-testid="agreement">
      <Text size="sm" c="dimmed">
        Pearson, Spearman and Kendall τ-b between each automatic score of an explanation (against the golden explanation of its post) and the mean human rating per aspect. Without a study, the released DR_annotation ratings are used.
      </Text>
      <Group align="end">
        <StudyPicker label="Study (optional)" value={studyId} onChange={setStudyId} placeholder="released DR_annotation ratings" testId="agreement-study" />
        <LmModelPicker label="Model for the LM score (optional)" value={model} onChange={setModel} testId="agreement-lm-model" />
        <TextInput size="xs" label="BART export for BART-score (optional)" value={bartModel} onChange={(e) => setBartModel(e.currentTarget.value)} w={280} data-testid="agreement-bart-model" />
        <TextInput size="xs" label="Encoder export for BERTScore (optional)" value={bertModel} onChange={(e) => setBertModel(e.currentTarget.value)} w={280} data-testid="agreement-bertscore-model" />
        <Button size="xs" onClick={run} loading={loading} data-testid="run-correlations">
          Compute correlations
        </Button>
        {loading && request && (model.trim() || bartModel.trim() || bertModel.trim()) && (
          <Button size="xs" variant="default" color="red" onClick={() => api.call('evaluation.cancel', { requestId: request }).catch((e) => notifyError(e))} data-testid="cancel-correlations">
            Cancel
          </Button>
        )}
        {report && (
          <Button size="xs" variant="light" onClick={exportCsv}>
            CSV
          </Button>
        )}
      </Group>
      {loading && (
        <Group gap="xs">
          <Loader size="sm" />
          {progress && progress.dataset === null && (
            <Text size="xs" c="dimmed">
              {progress.stage}: {progress.done}/{progress.total}
            </Text>
          )}
        </Group>
      )}
      {report && (
        <>
          <Text size="sm">
            {report.source}: <b>{report.n}</b> rated explanations matched to a golden explanation
            {report.matched ? ` (${report.matched.exact} by normalized text, ${report.matched.close} by their undamaged words)` : ''}
            {report.unmatched ? `, ${report.unmatched} without one (left out; listed below)` : ''}.
          </Text>
          {report.notes.map((n) => (
            <Alert key={n} color="yellow" p="xs">
              {n}
            </Alert>
          ))}
          <ScrollArea viewportProps={{ tabIndex: 0, role: 'region', 'aria-label': 'Correlations' }}>
            <Table withTableBorder fz="xs" striped data-testid="correlation-table">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Metric</Table.Th>
                  <Table.Th>Aspect</Table.Th>
                  <Table.Th>n</Table.Th>
                  <Table.Th>Pearson r</Table.Th>
                  <Table.Th>Spearman ρ</Table.Th>
                  <Table.Th>Kendall τ-b</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {report.metrics.flatMap((m) =>
                  report.aspects.map((a) => {
                    const c = report.table[m][a]
                    return (
                      <Table.Tr key={`${m}-${a}`}>
                        <Table.Td>{m}</Table.Td>
                        <Table.Td>{a}</Table.Td>
                        <Table.Td>{c.pearson.n}</Table.Td>
                        <Table.Td>{r3(c.pearson) + p(c.pearson)}</Table.Td>
                        <Table.Td>{r3(c.spearman) + p(c.spearman)}</Table.Td>
                        <Table.Td>{r3(c.kendall) + p(c.kendall)}</Table.Td>
                      </Table.Tr>
                    )
                  })
                )}
              </Table.Tbody>
            </Table>
          </ScrollArea>
          <ChartFrame title={`${metric} vs mean ${aspect} rating`} subtitle="one point per rated explanation" filename={`scatter-${metric}-${aspect}`} testId="chart-scatter" table={{ columns: [metric, `mean ${aspect} rating`], rows: points.map((q) => [q.x, q.y]) }}>
            <Group mb="xs">
              <Select size="xs" w={140} aria-label="Metric" value={metric} onChange={(v) => v && setMetric(v)} data={report.metrics} allowDeselect={false} />
              <Select size="xs" w={160} aria-label="Aspect" value={aspect} onChange={(v) => v && setAspect(v)} data={report.aspects} allowDeselect={false} />
            </Group>
            <ResponsiveContainer width="100%" height={300}>
              <ScatterChart margin={{ top: 8, right: 16, bottom: 24, left: 0 }}>
                <CartesianGrid strokeDasharray="3 3" opacity={0.4} />
                <XAxis type="number" dataKey="x" name={metric} fontSize={11} label={{ value: metric, position: 'insideBottom', offset: -12, fontSize: 11 }} domain={['auto', 'auto']} />
                <YAxis type="number" dataKey="y" name={aspect} fontSize={11} domain={[0, 'auto']} />
                <ZAxis range={[28, 28]} />
                <Tooltip cursor={{ strokeDasharray: '3 3' }} />
                <Scatter data={points} fill="#4c6ef5" fillOpacity={0.6} isAnimationActive={false} />
              </ScatterChart>
            </ResponsiveContainer>
          </ChartFrame>
        </>
      )}
    </Stack>
  )
}
