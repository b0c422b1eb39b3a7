import { Button, Group, Table, Text } from '@mantine/core'
import type { EngineCheck } from '../../../../shared/api/inference'

/** The last two cells of a registered engine's row (servers and seq2seq folders alike): its last check, Check and Remove. */
export function EngineRowEnd(props: { check: EngineCheck | undefined; onCheck: () => void; onRemove: () => void }) {
  const c = props.check
  return (
    <>
      <Table.Td maw={360}>{c ? <Text size="sm" c={c.ok ? undefined : 'red'}>{c.message}</Text> : <Text c="dimmed" size="sm">not checked</Text>}</Table.Td>
      <Table.Td>
        <Group gap={4} wrap="nowrap">
          <Button size="xs" variant="light" onClick={props.onCheck}>
            Check
          </Button>
          <Button size="xs" variant="subtle" color="red" onClick={props.onRemove}>
            Remove
          </Button>
        </Group>
      </Table.Td>
    </>
  )
}
