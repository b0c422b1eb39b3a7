import { useMemo, useState } from 'react'
import { Badge, Button, Group, ScrollArea, SegmentedControl, Table, Text } from '@mantine/core'
import type { DatasetReport } from '../../../../shared/api/evaluation'
import { downloadCsv } from './csv'
import { num, pct } from './format'

type Filter = 'all' | 'wrong' | 'ood' | 'disagree'

/** How a cross-fitted classifier label was made (crossfit.ts). */
function HeldOutBadge({ status }: { status: 'out_of_fold' | 'not_in_training' | 'unknown' }) {
  const [text, color, help] =
    status === 'out_of_fold'
      ? ['out-of-fold', 'teal', 'labelled by the fold model that never saw this post']
      : status === 'not_in_training'
        ? ['not trained on', 'gray', 'the classifier never learned from this post']
        : ['in-sample?', 'orange', 'the post could not be told; labelled by the model that learned from all test posts']
  return (
    <Badge size="xs" variant="light" color={color} ml={4} title={help}>
      {text}
    </Badge>
  )
}
const PAGE = 100

/** Every row of one dataset: gold, rule-based and classifier labels, scores, the response's start. */
export function RowsTable({ dataset, name }: { dataset: DatasetReport; name: string }) {
  const [filter, setFilter] = useState<Filter>('all')
  const [shown, setShown] = useState(PAGE)
  const r = dataset.perRow
  const idx = useMemo(() => {
    const all = r.row.map((_, i) => i)
    if (filter === 'wrong') return all.filter((i) => r.gold[i] !== null && r.rule[i] !== r.gold[i])
    if (filter === 'ood') return all.filter((i) => r.gold[i] !== null && r.rule[i] === null)
    if (filter === 'disagree') return all.filter((i) => r.classifier !== null && r.classifier[i] !== r.rule[i])
    return all
  }, [r, filter])
  const exportCsv = () =>
    downloadCsv(
      `${name}-rows.csv`,
      ['row', 'gold', 'rule_label', 'classifier_label', 'classifier_confidence', 'classifier_labelled_by', 'rouge1', 'rouge2', 'rougeL', 'lm', 'bart_score', 'bertscore_f1', 'response_start'],
      idx.map((i) => [r.row[i], r.gold[i], r.rule[i] ?? 'ood', r.classifier?.[i], r.classifierConfidence?.[i], r.classifierHeldOut?.[i] ?? '', r.rouge1[i], r.rouge2[i], r.rougeL[i], r.lm?.[i], r.bart?.[i], r.bertscore?.[i], r.snippet[i]])
    )
  const label = (v: string | null, gold: string | null) =>
    v === null ? (
      <Badge size="xs" color="orange" variant="light">
        OOD
      </Badge>
    ) : (
      <Text span size="xs" c={gold !== null && v !== gold ? 'red' : undefined}>
        {v}
      </Text>
    )
  return (
    <div data-testid="rows-table">
      <Group justify="space-between" mb={4}>
        <Group gap="xs">
          <Text size="sm" fw={600}>
            Rows
          </Text>
          <SegmentedControl
            size="xs"
            value={filter}
            onChange={(v) => {
              setFilter(v as Filter)
              setShown(PAGE)
            }}
            data={[
              { label: 'All', value: 'all' },
              { label: 'Wrong', value: 'wrong' },
              { label: 'OOD', value: 'ood' },
              { label: 'Classifier ≠ rule', value: 'disagree', disabled: r.classifier === null }
            ]}
          />
          <Text size="xs" c="dimmed">
            {idx.length} row(s){dataset.rows > r.row.length ? ` (first ${r.row.length} of ${dataset.rows} kept)` : ''}
          </Text>
        </Group>
        <Button size="compact-xs" variant="light" onClick={exportCsv}>
          CSV
        </Button>
      </Group>
      <ScrollArea.Autosize mah={420} viewportProps={{ tabIndex: 0, role: 'region', 'aria-label': 'Rows' }}>
        <Table fz="xs" withTableBorder striped stickyHeader>
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Row</Table.Th>
              <Table.Th>Gold</Table.Th>
              <Table.Th>Rule</Table.Th>
              {r.classifier && <Table.Th>Classifier</Table.Th>}
              <Table.Th ta="right">R-L</Table.Th>
              {r.lm && <Table.Th ta="right">LM</Table.Th>}
              {r.bart && <Table.Th ta="right">BART</Table.Th>}
              {r.bertscore && <Table.Th ta="right">BERTS F1</Table.Th>}
              <Table.Th>Response (start)</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {idx.slice(0, shown).map((i) => (
              <Table.Tr key={i}>
                <Table.Td>{r.row[i]}</Table.Td>
                <Table.Td>{r.gold[i] ?? <Text span size="xs" c="dimmed">none</Text>}</Table.Td>
                <Table.Td>{label(r.rule[i], r.gold[i])}</Table.Td>
                {r.classifier && (
                  <Table.Td>
                    {label(r.classifier[i], r.gold[i])}
                    {r.classifierConfidence?.[i] != null && (
                      <Text span size="xs" c="dimmed">
                        {' '}
                        {pct(r.classifierConfidence[i])}%
                      </Text>
                    )}
                    {r.classifierHeldOut?.[i] && <HeldOutBadge status={r.classifierHeldOut[i]!} />}
                  </Table.Td>
                )}
                <Table.Td ta="right">{pct(r.rougeL[i])}</Table.Td>
                {r.lm && <Table.Td ta="right">{num(r.lm[i], 3)}</Table.Td>}
                {r.bart && <Table.Td ta="right">{num(r.bart[i], 3)}</Table.Td>}
                {r.bertscore && <Table.Td ta="right">{pct(r.bertscore[i])}</Table.Td>}
                <Table.Td style={{ maxWidth: 520 }}>
                  <Text size="xs" lineClamp={2}>
                    {r.snippet[i] || <Text span size="xs" c="dimmed">(empty)</Text>}
                  </Text>
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </ScrollArea.Autosize>
      {shown < idx.length && (
        <Button size="compact-xs" variant="subtle" mt={4} onClick={() => setShown((n) => n + PAGE)}>
          Show {Math.min(PAGE, idx.length - shown)} more
        </Button>
      )}
    </div>
  )
}
