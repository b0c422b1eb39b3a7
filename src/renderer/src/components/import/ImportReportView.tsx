import { Fragment } from 'react'
import { Alert, Group, ScrollArea, Table, Text } from '@mantine/core'
import type { ImportReport } from '../../../../shared/api/imhi'

const fmt = new Intl.NumberFormat('en-US')
const KIND: Record<ImportReport['files'][number]['kind'], string> = {
  items: 'items',
  reference_ratings: 'ratings',
  outputs: 'outputs, skipped',
  skipped: 'skipped'
}

const COLUMNS = 7
const ERROR_ROW = { background: 'var(--mantine-color-red-light)' }

/** A path that wraps after a slash, not in the middle of a name. */
function PathText({ path }: { path: string }) {
  const parts = path.split('/')
  return (
    <>
      {parts.map((p, i) => (
        <Fragment key={i}>
          {p}
          {i < parts.length - 1 && (
            <>
              /<wbr />
            </>
          )}
        </Fragment>
      ))}
    </>
  )
}

/** The result of an import: totals, then one row per file, files with errors first and in red. */
export function ImportReportView({ report }: { report: ImportReport }) {
  // `added` counts items and reference ratings together; say which is which.
  const items = report.files.filter((f) => f.kind === 'items').reduce((n, f) => n + f.added, 0)
  const ratings = report.files.filter((f) => f.kind === 'reference_ratings').reduce((n, f) => n + f.added, 0)
  const files = [...report.files].sort((a, b) => Number(b.error !== null) - Number(a.error !== null) || a.file.localeCompare(b.file))
  return (
    <div data-testid="import-report">
      <Alert color={report.errors > 0 ? 'orange' : 'teal'} variant="light" mb="sm" title={report.errors > 0 ? 'Imported, with errors' : 'Import finished'}>
        <Text size="sm">
          {fmt.format(items)} new item{items === 1 ? '' : 's'}
          {ratings > 0 ? `, ${fmt.format(ratings)} reference rating${ratings === 1 ? '' : 's'}` : ''}, {fmt.format(report.unchanged)} already present, from {report.files.length} file
          {report.files.length === 1 ? '' : 's'} in {report.seconds.toFixed(1)} s.
          {report.errors > 0 ? ` ${report.errors === 1 ? '1 file' : `${report.errors} files`} could not be imported: nothing from ${report.errors === 1 ? 'it' : 'them'} was stored.` : ''}
        </Text>
        <Text size="xs" c="dimmed" mt={4}>
          {report.root}
        </Text>
      </Alert>
      <ScrollArea.Autosize mah={320} viewportProps={{ tabIndex: 0, role: 'region', 'aria-label': 'Files read' }}>
        <Table highlightOnHover withTableBorder fz="xs" stickyHeader layout="fixed">
          <colgroup>
            <col />
            <col style={{ width: 130 }} />
            <col style={{ width: 80 }} />
            <col style={{ width: 130 }} />
            <col style={{ width: 60 }} />
            <col style={{ width: 60 }} />
            <col style={{ width: 90 }} />
          </colgroup>
          <Table.Thead>
            <Table.Tr>
              <Table.Th>File</Table.Th>
              <Table.Th>Kind</Table.Th>
              <Table.Th>Dataset</Table.Th>
              <Table.Th>Split</Table.Th>
              <Table.Th ta="right">Rows</Table.Th>
              <Table.Th ta="right">Added</Table.Th>
              <Table.Th ta="right">Unchanged</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {files.map((f) => (
              <Fragment key={f.file}>
                <Table.Tr data-error={f.error ? 'true' : undefined} data-testid="import-file-row" style={f.error ? ERROR_ROW : undefined}>
                  <Table.Td>
                    <Text size="xs" ff="monospace" style={{ overflowWrap: 'anywhere' }}>
                      <PathText path={f.file} />
                    </Text>
                  </Table.Td>
                  <Table.Td>
                    <Text size="xs" fw={600} c={f.error ? 'red' : f.kind === 'skipped' || f.kind === 'outputs' ? 'dimmed' : 'teal'} style={{ whiteSpace: 'nowrap' }}>
                      {f.error ? 'error' : KIND[f.kind]}
                    </Text>
                  </Table.Td>
                  <Table.Td>{f.dataset ?? '–'}</Table.Td>
                  <Table.Td>{f.split ?? '–'}</Table.Td>
                  <Table.Td ta="right">{fmt.format(f.rows)}</Table.Td>
                  <Table.Td ta="right">{fmt.format(f.added)}</Table.Td>
                  <Table.Td ta="right">{fmt.format(f.unchanged)}</Table.Td>
                </Table.Tr>
                {f.error && (
                  // The error gets a row of its own across the whole table, not the file column's width.
                  <Table.Tr data-error-detail="true" style={ERROR_ROW}>
                    <Table.Td colSpan={COLUMNS} pt={0}>
                      <Text size="xs" c="red" role="alert" style={{ overflowWrap: 'anywhere' }} data-testid="import-file-error">
                        {f.error}
                      </Text>
                    </Table.Td>
                  </Table.Tr>
                )}
              </Fragment>
            ))}
          </Table.Tbody>
        </Table>
      </ScrollArea.Autosize>
      <Group mt={4} gap="xs">
        <Text size="xs" c="dimmed">
          Re-importing the same folder adds nothing twice.
        </Text>
      </Group>
    </div>
  )
}
