import { useState } from 'react'
import { Alert, Badge, Card, Stack, Table, Text } from '@mantine/core'
import { api } from '@renderer/api/client'
import { useCall } from '@renderer/api/hooks'
import { notifyError } from '@renderer/components/errors/notify'
import type { EngineCheck } from '../../../../shared/api/inference'
import { EngineForm } from './EngineForm'
import { EngineRowEnd } from './EngineRowEnd'

/** Remote OpenAI-compatible servers that runs and single posts can be sent to. */
export function ServersPanel() {
  const engines = useCall('inference.engines.list', {})
  const [checks, setChecks] = useState<Record<number, EngineCheck>>({})
  const check = async (id: number) => {
    try {
      const c = await api.call('inference.engines.check', { id })
      setChecks((m) => ({ ...m, [id]: c }))
    } catch (err) {
      notifyError(err, 'Cannot check the server')
    }
  }
  const remove = async (id: number) => {
    try {
      await api.call('inference.engines.remove', { id })
      engines.reload()
    } catch (err) {
      notifyError(err, 'Cannot remove the server')
    }
  }
  // MentalBART / MentalT5 folders are engines too, listed by Seq2seqPanel.
  const list = (engines.data ?? []).filter((e) => e.kind === 'openai')
  return (
    <Card withBorder padding="sm" data-testid="servers">
      <Stack gap="xs">
        <Text fw={600}>Remote servers (OpenAI-compatible)</Text>
        <Alert color="yellow" variant="light" p="xs">
          A run or a post sent to a server leaves this machine: the posts (about mental health) go over the network to that server. Use only servers you may share the data with,
          over HTTPS or a private network.
        </Alert>
        {list.length > 0 && (
          <Table withTableBorder striped data-testid="servers-table">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Name</Table.Th>
                <Table.Th>URL</Table.Th>
                <Table.Th>Model</Table.Th>
                <Table.Th>API key</Table.Th>
                <Table.Th>Status</Table.Th>
                <Table.Th />
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {list.map((e) => {
                const c = checks[e.id]
                return (
                  <Table.Tr key={e.id}>
                    <Table.Td style={{ whiteSpace: 'nowrap' }}>{e.name}</Table.Td>
                    <Table.Td>
                      <Text size="sm" ff="monospace">
                        {e.url}
                      </Text>
                    </Table.Td>
                    <Table.Td>{e.model ?? <Text c="dimmed" size="sm">first listed</Text>}</Table.Td>
                    <Table.Td>
                      {e.apiKeyEnv ? (
                        <Badge variant="light" tt="none" maw="none" color={e.apiKeySet ? 'teal' : 'red'}>
                          ${e.apiKeyEnv} {e.apiKeySet ? 'set' : 'not set'}
                        </Badge>
                      ) : e.apiKeyStored ? (
                        <Badge variant="light" tt="none" maw="none" color="teal">
                          in the keychain
                        </Badge>
                      ) : (
                        <Text c="dimmed" size="sm">none</Text>
                      )}
                    </Table.Td>
                    <EngineRowEnd check={c} onCheck={() => void check(e.id)} onRemove={() => void remove(e.id)} />
                  </Table.Tr>
                )
              })}
            </Table.Tbody>
          </Table>
        )}
        <EngineForm
          onAdded={(e, c) => {
            setChecks((m) => ({ ...m, [e.id]: c }))
            engines.reload()
          }}
        />
      </Stack>
    </Card>
  )
}
