import { useState } from 'react'
import { Button, Group, ScrollArea, Select, Stack, Table, Text } from '@mantine/core'
import { Bar, BarChart, CartesianGrid, Legend, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts'
import type { EvaluationReport } from '../../../../shared/api/evaluation'
import { ChartFrame } from './ChartFrame'
import { downloadCsv, safeName } from './csv'
import { METRIC_COLUMNS, show } from './format'

/** Two evaluations side by side: one metric per chart, every metric in the table (A, B, B − A). */
export function Compare({ a, b }: { a: EvaluationReport; b: EvaluationReport }) {
  const [metric, setMetric] = useState('accuracy')
  const col = METRIC_COLUMNS.find((c) => c.key === metric) ?? METRIC_COLUMNS[1]
  const datasets = [...new Set([...Object.keys(a.datasets), ...Object.keys(b.datasets)])]
  const scale = (v: number | null) => (v === null ? null : col.kind === 'fraction' ? 100 * v : v)
  const data = datasets.map((d) => ({ dataset: d, A: scale(a.datasets[d] ? col.get(a.datasets[d]) : null), B: scale(b.datasets[d] ? col.get(b.datasets[d]) : null) }))
  const cols = METRIC_COLUMNS.filter((c) => c.key !== 'n')
  const exportCsv = () =>
    downloadCsv(
      `${safeName(a.name)}-vs-${safeName(b.name)}.csv`,
      ['dataset', 'metric', 'A', 'B', 'B_minus_A'],
      datasets.flatMap((d) =>
        cols.map((c) => {
          const va = a.datasets[d] ? c.get(a.datasets[d]) : null
          const vb = b.datasets[d] ? c.get(b.datasets[d]) : null
          return [d, c.key, va, vb, va !== null && vb !== null ? vb - va : null]
        })
      )
    )
  return (
    <Stack gap="sm" data-testid="compare">
      <Text size="sm">
        <b>A</b> {a.name} <Text span c="dimmed">vs</Text> <b>B</b> {b.name}
      </Text>
      {(a.labeller?.kind ?? 'tfidf') !== (b.labeller?.kind ?? 'tfidf') && (
        <Text size="xs" c="orange" data-testid="compare-labellers">
          The classifier columns come from different labellers: A {a.labeller?.name ?? 'built-in TF-IDF classifiers'}; B {b.labeller?.name ?? 'built-in TF-IDF classifiers'}.
        </Text>
      )}
      <ChartFrame title={`${col.help} per dataset`} filename={`compare-${col.key}`} testId="chart-compare">
        <Select size="xs" w={260} mb="xs" value={metric} onChange={(v) => v && setMetric(v)} data={cols.map((c) => ({ value: c.key, label: `${c.label}: ${c.help}` }))} allowDeselect={false} />
        <ResponsiveContainer width="100%" height={260}>
          <BarChart data={data}>
            <CartesianGrid strokeDasharray="3 3" opacity={0.4} />
            <XAxis dataKey="dataset" fontSize={11} />
            <YAxis fontSize={11} />
            <Tooltip />
            <Legend verticalAlign="top" />
            <Bar dataKey="A" fill="#868e96" isAnimationActive={false} />
            <Bar dataKey="B" fill="#4c6ef5" isAnimationActive={false} />
          </BarChart>
        </ResponsiveContainer>
      </ChartFrame>
      <Group justify="flex-end">
        <Button size="compact-xs" variant="light" onClick={exportCsv}>
          CSV
        </Button>
      </Group>
      <ScrollArea>
        <Table withTableBorder fz="xs" striped data-testid="compare-table">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Dataset</Table.Th>
              {cols.map((c) => (
                <Table.Th key={c.key} ta="right">
                  {c.label} A / B
                </Table.Th>
              ))}
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {datasets.map((d) => (
              <Table.Tr key={d}>
                <Table.Td fw={600}>{d}</Table.Td>
                {cols.map((c) => {
                  const va = a.datasets[d] ? c.get(a.datasets[d]) : null
                  const vb = b.datasets[d] ? c.get(b.datasets[d]) : null
                  const better = va !== null && vb !== null && vb !== va ? ((c.key === 'ood' || c.key === 'unmatched_gold') ? vb < va : vb > va) : null
                  return (
                    <Table.Td key={c.key} ta="right" style={{ whiteSpace: 'nowrap' }}>
                      {show(c, va)} / <Text span c={better === null ? undefined : better ? 'teal' : 'red'} fz="xs">{show(c, vb)}</Text>
                    </Table.Td>
                  )
                })}
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </ScrollArea>
    </Stack>
  )
}
