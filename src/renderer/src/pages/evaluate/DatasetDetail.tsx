import { useMemo, useState } from 'react'
import { Alert, Button, Group, SegmentedControl, SimpleGrid, Stack, Table, Text } from '@mantine/core'
import { Bar, BarChart, CartesianGrid, Legend, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts'
import type { DatasetReport, EvaluationReport } from '../../../../shared/api/evaluation'
import { ChartFrame } from './ChartFrame'
import { ConfusionHeatmap } from './ConfusionHeatmap'
import { RowsTable } from './RowsTable'
import { downloadCsv, safeName } from './csv'
import { pct } from './format'

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

/** Equal-width histogram of finite values. */
export function histogram(values: readonly (number | null)[], bins = 20): { bin: string; count: number }[] {
  const xs = values.filter((v): v is number => v !== null && Number.isFinite(v))
  if (xs.length === 0) return []
  let lo = Math.min(...xs)
  let hi = Math.max(...xs)
  if (lo === hi) {
    lo -= 0.5
    hi += 0.5
  }
  const w = (hi - lo) / bins
  const counts = new Array<number>(bins).fill(0)
  for (const x of xs) counts[Math.min(bins - 1, Math.floor((x - lo) / w))]++
  const digits = Math.abs(hi - lo) < 2 ? 2 : 1
  return counts.map((count, i) => ({ bin: (lo + (i + 0.5) * w).toFixed(digits), count }))
}

export function DatasetDetail({ report, dataset }: { report: EvaluationReport; dataset: DatasetReport }) {
  const [which, setWhich] = useState<'rule' | 'classifier'>('rule')
  const [score, setScore] = useState<ScoreKey>('rouge1')
  const metrics = which === 'rule' ? dataset.rule : dataset.classifier
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
  const hist = useMemo(() => (activeScore ? histogram(dataset.perRow[activeScore] ?? []) : []), [dataset, activeScore])

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
      {!metrics ? (
        <Alert color="gray">No gold labels for this dataset: correctness needs golden responses.</Alert>
      ) : (
        <>
          <SimpleGrid cols={{ base: 1, lg: 2 }}>
            <ChartFrame title="Confusion matrix" subtitle="rows gold, columns predicted; colour = share of the gold row" filename={`${base}-confusion-${which}`} testId="chart-confusion">
              <ConfusionHeatmap metrics={metrics} />
            </ChartFrame>
            <ChartFrame title="Label distribution" subtitle="gold vs predicted, scored rows" filename={`${base}-labels-${which}`} testId="chart-labels">
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
        <ChartFrame title={`Score distribution: ${SCORE_LABELS[activeScore]}`} subtitle="per response, 20 equal-width bins" filename={`${base}-${activeScore}-distribution`} testId="chart-scores">
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
