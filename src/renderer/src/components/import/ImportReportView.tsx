import { Alert, Badge, Group, ScrollArea, Table, Text } from '@mantine/core'
import type { ImportReport } from '../../../../shared/api/imhi'

const fmt = new Intl.NumberFormat('en-US')

/** The result of an import: totals, then one row per file, files with errors first and in red. */
export function ImportReportView({ report }: { report: ImportReport }) {
  const files = [...report.files].sort((a, b) => Number(b.error !== null) - Number(a.error !== null) || a.file.localeCompare(b.file))
  return (
    <div data-testid="import-report">
      <Alert color={report.errors > 0 ? 'orange' : 'teal'} variant="light" mb="sm" title={report.errors > 0 ? 'Imported, with errors' : 'Import finished'}>
        <Text size="sm">
          {fmt.format(report.added)} new item{report.added === 1 ? '' : 's'}, {fmt.format(report.unchanged)} already present, from {report.files.length} file
          {report.files.length === 1 ? '' : 's'} in {report.seconds.toFixed(1)} s.
          {report.errors > 0 ? ` ${report.errors} file${report.errors === 1 ? '' : 's'} could not be imported: nothing from them was stored.` : ''}
        </Text>
        <Text size="xs" c="dimmed" mt={4}>
          {report.root}
        </Text>
      </Alert>
      <ScrollArea.Autosize mah={320}>
        <Table striped highlightOnHover withTableBorder fz="xs" stickyHeader>
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
              <Table.Tr key={f.file} data-error={f.error ? 'true' : undefined}>
                <Table.Td>
                  <Text size="xs" ff="monospace">
                    {f.file}
                  </Text>
                  {f.error && (
                    <Text size="xs" c="red" role="alert">
                      {f.error}
                    </Text>
                  )}
                </Table.Td>
                <Table.Td>
                  {f.error ? (
                    <Badge size="xs" color="red">
                      error
                    </Badge>
                  ) : (
                    <Badge size="xs" variant="light" color={f.kind === 'skipped' || f.kind === 'outputs' ? 'gray' : 'teal'}>
                      {f.kind.replace('_', ' ')}
                    </Badge>
                  )}
                </Table.Td>
                <Table.Td>{f.dataset ?? '–'}</Table.Td>
                <Table.Td>{f.split ?? '–'}</Table.Td>
                <Table.Td ta="right">{fmt.format(f.rows)}</Table.Td>
                <Table.Td ta="right">{fmt.format(f.added)}</Table.Td>
                <Table.Td ta="right">{fmt.format(f.unchanged)}</Table.Td>
              </Table.Tr>
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
