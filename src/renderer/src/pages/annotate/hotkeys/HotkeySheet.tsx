import { Kbd, Modal, Table, Text } from '@mantine/core'

export const HOTKEYS: [string[], string][] = [
  [['0', '…', '9'], 'rate the current aspect (its scale is shown beside it, e.g. 0–3 or 1–5), then go to the next one (after the last aspect: the next item)'],
  [['↑', '↓'], 'previous / next aspect'],
  [['←', '→'], 'previous / next item'],
  [['F'], 'flag the item for the study lead'],
  [['N'], 'write a note (Esc or Ctrl+Enter closes it; it is saved as you type)'],
  [['S'], 'skip the item (come back to it later)'],
  [['U'], 'undo the last rating'],
  [['Enter'], 'show a post behind a content notice'],
  [['G'], 'show the guidelines'],
  [['?'], 'this sheet']
]

export function HotkeySheet({ opened, onClose }: { opened: boolean; onClose: () => void }) {
  return (
    <Modal opened={opened} onClose={onClose} title="Rating keys" size="lg" data-testid="hotkey-sheet">
      <Table>
        <Table.Tbody>
          {HOTKEYS.map(([keys, what]) => (
            <Table.Tr key={what}>
              <Table.Td style={{ whiteSpace: 'nowrap' }}>
                {keys.map((k) => (
                  <Kbd key={k} mr={4}>
                    {k}
                  </Kbd>
                ))}
              </Table.Td>
              <Table.Td>
                <Text size="sm">{what}</Text>
              </Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
      <Text size="xs" c="dimmed" mt="sm">
        Every rating is saved the moment you press the key; there is no Save button. If the connection drops, ratings wait in this browser and are sent when it is back.
      </Text>
    </Modal>
  )
}
