import { useRef, type ReactNode } from 'react'
import { Button, Card, Group, Text } from '@mantine/core'
import { exportPng, exportSvg } from './chartExport'
import { notifyError } from '@renderer/components/errors/notify'
import { ChartDataTable, type ChartTable } from './ChartDataTable'

/** A titled card around one chart, with PNG and SVG export of it and, when given, its numbers as a table (the text alternative). */
export function ChartFrame(props: { title: string; subtitle?: string; filename: string; children: ReactNode; testId?: string; table?: ChartTable }) {
  const ref = useRef<HTMLDivElement>(null)
  return (
    <Card withBorder padding="sm" data-chart-frame data-testid={props.testId}>
      <Group justify="space-between" mb={4} wrap="nowrap">
        <div>
          <Text fw={600} size="sm">
            {props.title}
          </Text>
          {props.subtitle && (
            <Text size="xs" c="dimmed">
              {props.subtitle}
            </Text>
          )}
        </div>
        <Group gap={4} wrap="nowrap">
          <Button size="compact-xs" variant="subtle" onClick={() => ref.current && exportPng(ref.current, props.filename).catch((e) => notifyError(e, 'Export failed'))}>
            PNG
          </Button>
          <Button
            size="compact-xs"
            variant="subtle"
            onClick={() => {
              try {
                if (ref.current) exportSvg(ref.current, props.filename)
              } catch (e) {
                notifyError(e, 'Export failed')
              }
            }}
          >
            SVG
          </Button>
        </Group>
      </Group>
      <div ref={ref}>{props.children}</div>
      {props.table && <ChartDataTable title={props.title} table={props.table} />}
    </Card>
  )
}
