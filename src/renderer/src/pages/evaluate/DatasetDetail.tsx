import { useMemo, useState } from 'react'
import { Alert, Button, Group, SegmentedControl, SimpleGrid, Stack, Table, Text } from '@mantine/core'
import { Bar, BarChart, CartesianGrid, Legend, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts'
import type { DatasetReport, EvaluationReport } from '../../../../shared/api/evaluation'
import { ChartFrame } from './ChartFrame'
import type { ChartTable } from './ChartDataTable'
import { ConfusionHeatmap } from './ConfusionHeatmap'
import { RowsTable } from './RowsTable'
import { downloadCsv, safeName } from './csv'
import { classifierMetrics, pct, ruleMetrics, type MetricsView } from './format'

const GOLD = '#2f9e77'
const PRED = '#4c6ef5'

type ScoreKey = 'rouge1' | 'rouge2' | 'rougeL' | 'lm' | 'bart' | 'bertscore' | 'classifierConfidence'
const SCORE_LABELS: Record<ScoreKey, string> = {
  rouge1: 'ROUGE-1 F',
  rouge2: 'ROUGE-2 F',
  rougeL: 'ROUGE-L F',
  lm: 'LM score',
  bart: 'BART-score',
  bertscore: 'BERTScore F1',
  classifierConfidence: 'Classifier confidence'
}

/** How a per-row score is binned and labelled: a share in [0, 1] (shown in percent, as the tables show it), or a raw value. */
export type ScoreScale = 'fraction' | 'value'
const SCORE_SCALE: Record<ScoreKey, ScoreScale> = { rouge1: 'fraction', rouge2: 'fraction', rougeL: 'fraction', lm: 'value', bart: 'value', bertscore: 'fraction', classifierConfidence: 'fraction' }

const trimNum = (x: number, digits: number): string => String(Number(x.toFixed(digits)))

/**
 * Equal-width histogram of finite values. A 'fraction' score is binned over its whole range 0–100 %
 * (labels in percent, as in the tables), so all-zero ROUGE is one bar at 0–5 %, never a negative axis;
 * a 'value' (the LM score, a log-probability) is binned over the range of the data.
 */
export function histogram(values: readonly (number | null)[], bins = 20, scale: ScoreScale = 'value'): { bin: string; count: number }[] {
  const xs = values.filter((v): v is number => v !== null && Number.isFinite(v))
  if (xs.length === 0) return []
  let lo: number
  let hi: number
  if (scale === 'fraction') {
    lo = 0
    hi = 1
  } else {
    lo = xs.reduce((m, x) => Math.min(m, x), Infinity)
    hi = xs.reduce((m, x) => Math.max(m, x), -Infinity)
    if (lo === hi) {
      lo -= 0.5
      hi += 0.5
    }
  }
  const w = (hi - lo) / bins
  const counts = new Array<number>(bins).fill(0)
  for (const x of xs) counts[Math.max(0, Math.min(bins - 1, Math.floor((x - lo) / w)))]++
  if (scale === 'fraction') {
    return counts.map((count, i) => ({ bin: `${trimNum(100 * (lo + i * w), 1)}–${trimNum(100 * (lo + (i + 1) * w), 1)}%`, count }))
  }
  const digits = Math.abs(hi - lo) < 2 ? 2 : 1
  return counts.map((count, i) => ({ bin: (lo + (i + 0.5) * w).toFixed(digits), count }))
}

export function DatasetDetail({ report, dataset, view }: { report: EvaluationReport; dataset: DatasetReport; view: MetricsView }) {
  const [which, setWhich] = useState<'rule' | 'classifier'>('rule')
  const [score, setScore] = useState<ScoreKey>('rouge1')
  // The charts show the workbench rules' (or the classifier's) labels under the chosen OOD convention.
  const ood = view.rules === 'imhi-py' ? 'workbench' : view.ood
  const metrics = (which === 'rule' ? ruleMetrics(dataset, ood) : classifierMetrics(dataset, ood)) ?? null
  const cf = dataset.classifierLabelling
  const base = safeName(`${report.name}-${dataset.dataset}`)
  const distribution = useMemo(
    () => (metrics ? Object.keys(metrics.goldDistribution).map((label) => ({ label, gold: metrics.goldDistribution[label], predicted: metrics.predictedDistribution[label] ?? 0 })) : []),
    [metrics]
  )
  const scoreOptions = (Object.keys(SCORE_LABELS) as ScoreKey[]).filter((k) => {
    const v = dataset.perRow[k]
    return Array.isArray(v) && v.some((x) => x !== null)
  })
  const activeScore = scoreOptions.includes(score) ? score : scoreOptions[0]
  const hist = useMemo(() => (activeScore ? histogram(dataset.perRow[activeScore] ?? [], 20, SCORE_SCALE[activeScore]) : []), [dataset, activeScore])

  return (
    <Stack gap="sm" data-testid="dataset-detail">
      <Group justify="space-between">
        <Text fw={600}>
          {dataset.dataset} <Text span c="dimmed" size="sm">({dataset.task.replace(/_/g, ' ')}; {dataset.rows} rows{dataset.emptyResponses ? `, ${dataset.emptyResponses} empty` : ''}{dataset.longResponses ? `, ${dataset.longResponses} over 20,000 characters` : ''})</Text>
        </Text>
        <SegmentedControl
          size="xs"
          value={which}
          onChange={(v) => setWhich(v as 'rule' | 'classifier')}
          data={[
            { label: 'Rule-based labels', value: 'rule' },
            { label: 'Classifier labels', value: 'classifier', disabled: !dataset.classifier }
          ]}
        />
      </Group>
      {view.rules === 'imhi-py' && (
        <Alert color={dataset.imhiPy?.error ? 'red' : 'blue'} p="xs" title="IMHI.py calculate_f1 (as released)" data-testid="imhi-py-line">
          <Text size="sm" ff="monospace">
            {dataset.imhiPy === undefined ? 'Not in this stored evaluation; evaluate again.' : dataset.imhiPy === null ? 'No golden responses.' : (dataset.imhiPy.line ?? `gives no number: ${dataset.imhiPy.error}`)}
          </Text>
          <Text size="xs" c="dimmed">
            The charts below show the workbench rules’ labels (OOD as an extra wrong class).
          </Text>
        </Alert>
      )}
      {which === 'classifier' && cf && cf.folds === 0 && (
        <Alert color="orange" p="xs" data-testid="crossfit-note">
          This dataset’s classifier learned from the test posts themselves and was trained before cross-fitted labelling existed: its labels of test posts may be in-sample, so
          these figures are not a clean test figure. Retrain the classifiers (Classifiers tab) for out-of-fold labels.
        </Alert>
      )}
      {which === 'classifier' && cf && cf.folds > 0 && (
        <Alert color={cf.unknown ? 'orange' : 'teal'} p="xs" data-testid="crossfit-note">
          This dataset’s classifier learned from the test posts themselves (no training data released), so its labels are cross-fitted: {cf.outOfFold} row(s) labelled by the
          model of the {cf.folds}-fold split that held their post out, {cf.notInTraining} of posts it never learned from by the full model
          {cf.unknown ? `, and ${cf.unknown} whose post could not be told by the full model: those may be in-sample, so these figures are not a clean test figure` : '; no label comes from a model that saw its post'}.
        </Alert>
      )}
      {!metrics ? (
        <Alert color="gray">No gold labels for this dataset: correctness needs golden responses.</Alert>
      ) : (
        <>
          <SimpleGrid cols={{ base: 1, lg: 2 }}>
            <ChartFrame title="Confusion matrix" subtitle="rows gold, columns predicted; colour = share of the gold row" filename={`${base}-confusion-${which}`} testId="chart-confusion" table={confusionTable(metrics)}>
              <ConfusionHeatmap metrics={metrics} />
            </ChartFrame>
            <ChartFrame title="Label distribution" subtitle="gold vs predicted, scored rows" filename={`${base}-labels-${which}`} testId="chart-labels" table={{ columns: ['label', 'gold', 'predicted'], rows: distribution.map((d) => [d.label, d.gold, d.predicted]) }}>
              <ResponsiveContainer width="100%" height={300}>
                <BarChart data={distribution} margin={{ top: 8, right: 8, bottom: 40, left: 0 }}>
                  <CartesianGrid strokeDasharray="3 3" opacity={0.4} />
                  <XAxis dataKey="label" angle={-30} textAnchor="end" interval={0} fontSize={11} />
                  <YAxis allowDecimals={false} fontSize={11} />
                  <Tooltip />
                  <Legend verticalAlign="top" />
                  <Bar dataKey="gold" fill={GOLD} isAnimationActive={false} />
                  <Bar dataKey="predicted" fill={PRED} isAnimationActive={false} />
                </BarChart>
              </ResponsiveContainer>
            </ChartFrame>
          </SimpleGrid>
          <PerClassTable name={base} metrics={metrics} />
        </>
      )}
      {activeScore && (
        <ChartFrame title={`Score distribution: ${SCORE_LABELS[activeScore]}`} subtitle={SCORE_SCALE[activeScore] === 'fraction' ? 'per response, percent, 20 bins of 5 points over 0–100 %' : 'per response, 20 equal-width bins over the range of the scores'} filename={`${base}-${activeScore}-distribution`} testId="chart-scores" table={{ columns: [`${SCORE_LABELS[activeScore]} (bin centre)`, 'responses'], rows: hist.map((h) => [h.bin, h.count]) }}>
          <SegmentedControl size="xs" mb="xs" value={activeScore} onChange={(v) => setScore(v as ScoreKey)} data={scoreOptions.map((k) => ({ label: SCORE_LABELS[k], value: k }))} />
          <ResponsiveContainer width="100%" height={220}>
            <BarChart data={hist} margin={{ top: 8, right: 8, bottom: 8, left: 0 }}>
              <CartesianGrid strokeDasharray="3 3" opacity={0.4} />
              <XAxis dataKey="bin" fontSize={11} />
              <YAxis allowDecimals={false} fontSize={11} />
              <Tooltip />
              <Bar dataKey="count" fill={PRED} isAnimationActive={false} />
            </BarChart>
          </ResponsiveContainer>
        </ChartFrame>
      )}
      {dataset.perRow.row.length > 0 && <RowsTable dataset={dataset} name={base} />}
    </Stack>
  )
}

/** The confusion matrix as the heat map draws it: gold rows (no "ood" row), every predicted column. */
function confusionTable(metrics: NonNullable<DatasetReport['rule']>): ChartTable {
  const { labels, matrix } = metrics.confusion
  return { columns: ['gold \\ predicted', ...labels], rows: labels.filter((l) => l !== 'ood').map((g, i) => [g, ...matrix[i]]) }
}

function PerClassTable({ name, metrics }: { name: string; metrics: NonNullable<DatasetReport['rule']> }) {
  const exportCsv = () =>
    downloadCsv(
      `${name}-per-class.csv`,
      ['label', 'precision', 'recall', 'f1', 'support', 'predicted'],
      metrics.perClass.map((c) => [c.label, c.precision, c.recall, c.f1, c.support, c.predicted])
    )
  return (
    <div>
      <Group justify="space-between" mb={4}>
        <Text size="sm" fw={600}>
          Per class
        </Text>
        <Button size="compact-xs" variant="light" onClick={exportCsv}>
          CSV
        </Button>
      </Group>
      <Table withTableBorder fz="sm" data-testid="per-class-table">
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Label</Table.Th>
            <Table.Th ta="right">Precision</Table.Th>
            <Table.Th ta="right">Recall</Table.Th>
            <Table.Th ta="right">F1</Table.Th>
            <Table.Th ta="right">Support</Table.Th>
            <Table.Th ta="right">Predicted</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {metrics.perClass.map((c) => (
            <Table.Tr key={c.label}>
              <Table.Td>{c.label}</Table.Td>
              <Table.Td ta="right">{pct(c.precision)}</Table.Td>
              <Table.Td ta="right">{pct(c.recall)}</Table.Td>
              <Table.Td ta="right">{pct(c.f1)}</Table.Td>
              <Table.Td ta="right">{c.support}</Table.Td>
              <Table.Td ta="right">{c.predicted}</Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </div>
  )
}
