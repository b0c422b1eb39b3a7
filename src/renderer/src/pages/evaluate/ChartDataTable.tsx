import { ScrollArea, Table } from '@mantine/core'

/** The numbers behind a chart, as rows of a table (the chart's text alternative). */
export interface ChartTable {
  columns: string[]
  rows: (string | number | null)[][]
}

const cell = (v: string | number | null) => (v === null ? '—' : typeof v === 'number' ? (Number.isInteger(v) ? String(v) : v.toFixed(3)) : v)

/**
 * A chart's data as a real table under a "Show the numbers" disclosure (a native details element:
 * keyboard and screen-reader friendly, closed by default so the chart stays the first view). The
 * table is what a screen reader, a colour-blind reader or a keyboard user reads instead of the
 * chart; it has the same numbers the chart draws.
 */
export function ChartDataTable({ title, table }: { title: string; table: ChartTable }) {
  return (
    <details className="imhi-chart-data" data-testid="chart-data">
      <summary>Show the numbers</summary>
      <ScrollArea.Autosize mah={260} viewportProps={{ tabIndex: 0, role: 'region', 'aria-label': `${title}: data` }}>
        <Table withTableBorder fz="xs" striped>
          <caption className="imhi-visually-hidden">{title}</caption>
          <Table.Thead>
            <Table.Tr>
              {table.columns.map((c, i) => (
                <Table.Th key={c} ta={i === 0 ? undefined : 'right'} scope="col">
                  {c}
                </Table.Th>
              ))}
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {table.rows.map((r, i) => (
              <Table.Tr key={i}>
                {r.map((v, j) =>
                  j === 0 ? (
                    <Table.Th key={j} scope="row" fw={400}>
                      {cell(v)}
                    </Table.Th>
                  ) : (
                    <Table.Td key={j} ta="right">
                      {cell(v)}
                    </Table.Td>
                  )
                )}
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </ScrollArea.Autosize>
    </details>
  )
}
