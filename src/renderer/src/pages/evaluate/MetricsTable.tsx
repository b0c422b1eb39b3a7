import { Button, Group, ScrollArea, Table, Text, Tooltip } from '@mantine/core'
import type { EvaluationReport } from '../../../../shared/api/evaluation'
import { downloadCsv, safeName } from './csv'
import { METRIC_COLUMNS, show } from './format'

/** Every metric of every dataset of one evaluation (percent for fractions), exportable as CSV. */
export function MetricsTable({ report, selected, onSelect }: { report: EvaluationReport; selected: string | null; onSelect: (dataset: string) => void }) {
  const datasets = Object.values(report.datasets)
  const exportCsv = () =>
    downloadCsv(
      `${safeName(report.name)}-metrics.csv`,
      ['dataset', ...METRIC_COLUMNS.map((c) => c.key)],
      datasets.map((d) => [d.dataset, ...METRIC_COLUMNS.map((c) => c.get(d))])
    )
  return (
    <div>
      <Group justify="space-between" mb={4}>
        <Text size="xs" c="dimmed">
          Percent for accuracy, F1, BLEU and ROUGE; counts for n and OOD. Click a dataset for its charts.
        </Text>
        <Button size="compact-xs" variant="light" onClick={exportCsv} data-testid="export-metrics-csv">
          CSV
        </Button>
      </Group>
      <ScrollArea viewportProps={{ tabIndex: 0, role: 'region', 'aria-label': 'Metrics per dataset' }}>
        <Table striped highlightOnHover withTableBorder fz="sm" data-testid="metrics-table">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Dataset</Table.Th>
              {METRIC_COLUMNS.map((c) => (
                <Table.Th key={c.key} style={{ textAlign: 'right' }}>
                  <Tooltip label={c.help}>
                    <span>{c.label}</span>
                  </Tooltip>
                </Table.Th>
              ))}
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {datasets.map((d) => (
              <Table.Tr
                key={d.dataset}
                onClick={() => onSelect(d.dataset)}
                onKeyDown={(e) => (e.key === 'Enter' || e.key === ' ') && onSelect(d.dataset)}
                tabIndex={0}
                aria-selected={selected === d.dataset}
                style={{ cursor: 'pointer' }}
                bg={selected === d.dataset ? 'var(--mantine-primary-color-light)' : undefined}
                data-testid={`metrics-row-${d.dataset}`}
              >
                <Table.Td fw={600}>{d.dataset}</Table.Td>
                {METRIC_COLUMNS.map((c) => (
                  <Table.Td key={c.key} style={{ textAlign: 'right', fontVariantNumeric: 'tabular-nums' }}>
                    {show(c, c.get(d))}
                  </Table.Td>
                ))}
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </ScrollArea>
    </div>
  )
}
