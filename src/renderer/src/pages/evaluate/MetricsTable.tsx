import { Alert, Badge, Button, Group, List, ScrollArea, Table, Text, Tooltip } from '@mantine/core'
import type { EvaluationReport } from '../../../../shared/api/evaluation'
import { downloadCsv, safeName } from './csv'
import { metricColumns, OOD_LABELS, show, type MetricsView } from './format'

/**
 * Every metric of every dataset of one evaluation (percent for fractions), exportable as CSV. The
 * correctness columns follow the view: the workbench's rules under either OOD convention, or
 * IMHI.py's calculate_f1 as released (its numbers as it prints them; a dataset it fails on says why).
 */
export function MetricsTable({ report, selected, onSelect, view }: { report: EvaluationReport; selected: string | null; onSelect: (dataset: string) => void; view: MetricsView }) {
  const datasets = Object.values(report.datasets)
  const columns = metricColumns(view)
  const conventionName = view.rules === 'imhi-py' ? 'imhi-py' : view.ood
  const exportCsv = () =>
    downloadCsv(
      `${safeName(report.name)}-metrics-${view.rules}${view.rules === 'workbench' ? `-ood-${view.ood}` : ''}.csv`,
      ['dataset', 'rules', 'ood_convention', ...columns.map((c) => c.key), ...(view.rules === 'imhi-py' ? ['imhi_py_error'] : [])],
      datasets.map((d) => [d.dataset, view.rules, conventionName, ...columns.map((c) => c.get(d)), ...(view.rules === 'imhi-py' ? [d.imhiPy?.error ?? ''] : [])])
    )
  const failing = view.rules === 'imhi-py' ? datasets.filter((d) => d.imhiPy?.error) : []
  const missing = datasets.filter((d) => (view.rules === 'imhi-py' ? d.imhiPy === undefined : view.ood === 'benchmark' && d.ruleBenchmarkOod === undefined))
  return (
    <div>
      <Group justify="space-between" mb={4}>
        <Text size="xs" c="dimmed" data-testid="metrics-convention">
          {view.rules === 'imhi-py'
            ? 'IMHI.py’s calculate_f1 as released: its label rules, its numbers as it prints them (percent, rounded to 2 decimals); a response naming no label counts as its class 0 (SAD: 8, “other”).'
            : `Workbench rules; a response with no label: ${OOD_LABELS[view.ood]}. Percent for accuracy, F1, BLEU and ROUGE; counts for n and OOD.`}{' '}
          Click a dataset for its charts.
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
              {columns.map((c) => (
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
                <Table.Td fw={600}>
                  {d.dataset}
                  {view.rules === 'imhi-py' && d.imhiPy?.error && (
                    <Badge size="xs" color="red" variant="light" ml={6}>
                      IMHI.py fails
                    </Badge>
                  )}
                  {d.classifierLabelling && (
                    <Tooltip
                      label={
                        d.classifierLabelling.folds === 0
                          ? 'Its classifier learned from the test posts and was trained before cross-fitting: labels may be in-sample; retrain'
                          : `Classifier labels cross-fitted: ${d.classifierLabelling.outOfFold} rows by the fold model that held their post out${d.classifierLabelling.unknown ? `; ${d.classifierLabelling.unknown} of unknown post (possibly in-sample)` : ''}`
                      }
                    >
                      <Badge size="xs" color={d.classifierLabelling.unknown ? 'orange' : 'teal'} variant="light" ml={6}>
                        {d.classifierLabelling.folds === 0 ? 'clf: may be in-sample' : d.classifierLabelling.unknown ? 'clf: partly in-sample' : 'clf: out-of-fold'}
                      </Badge>
                    </Tooltip>
                  )}
                </Table.Td>
                {columns.map((c) => (
                  <Table.Td key={c.key} style={{ textAlign: 'right', fontVariantNumeric: 'tabular-nums' }}>
                    {show(c, c.get(d))}
                  </Table.Td>
                ))}
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </ScrollArea>
      {failing.length > 0 && (
        <Alert color="red" p="xs" mt="xs" title="IMHI.py gives no number for" data-testid="imhi-py-failures">
          <List size="xs">
            {failing.map((d) => (
              <List.Item key={d.dataset}>
                <b>{d.dataset}</b>: {d.imhiPy!.error}
              </List.Item>
            ))}
          </List>
        </Alert>
      )}
      {missing.length > 0 && (
        <Alert color="gray" p="xs" mt="xs">
          {missing.map((d) => d.dataset).join(', ')}: stored before this view existed; evaluate again to see it.
        </Alert>
      )}
    </div>
  )
}
