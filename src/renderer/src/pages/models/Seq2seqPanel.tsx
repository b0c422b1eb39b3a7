import { useState } from 'react'
import { Button, Card, Group, Stack, Table, Text, TextInput } from '@mantine/core'
import { api } from '@renderer/api/client'
import { useCall } from '@renderer/api/hooks'
import { notifyError, notifySuccess } from '@renderer/components/errors/notify'
import type { EngineCheck } from '../../../../shared/api/inference'
import { EngineRowEnd } from './EngineRowEnd'

/**
 * MentalBART / MentalT5 converted to ONNX (scripts/convert_checkpoints.py seq2seq): registered by
 * folder, run on this machine by the onnx-seq2seq engine (greedy, as IMHI.py runs non-LLaMA models).
 */
export function Seq2seqPanel() {
  const engines = useCall('inference.engines.list', {})
  const [checks, setChecks] = useState<Record<number, EngineCheck>>({})
  const [name, setName] = useState('')
  const [path, setPath] = useState('')
  const [busy, setBusy] = useState(false)
  const list = (engines.data ?? []).filter((e) => e.kind === 'onnx-seq2seq')

  const add = async () => {
    setBusy(true)
    try {
      const e = await api.call('inference.engines.addSeq2seq', { name: name.trim(), path: path.trim() })
      const c = await api.call('inference.engines.check', { id: e.id })
      setChecks((m) => ({ ...m, [e.id]: c }))
      notifySuccess(c.message, `${e.name} registered`)
      setName('')
      setPath('')
      engines.reload()
    } catch (err) {
      notifyError(err, 'Cannot register the folder')
    } finally {
      setBusy(false)
    }
  }
  const check = async (id: number) => {
    try {
      const c = await api.call('inference.engines.check', { id })
      setChecks((m) => ({ ...m, [id]: c }))
    } catch (err) {
      notifyError(err, 'Cannot check the folder')
    }
  }
  const remove = async (id: number) => {
    try {
      await api.call('inference.engines.remove', { id })
      engines.reload()
    } catch (err) {
      notifyError(err, 'Cannot remove')
    }
  }

  return (
    <Card withBorder padding="sm" data-testid="seq2seq-models">
      <Stack gap="xs">
        <Text fw={600}>MentalBART / MentalT5 (ONNX, run on this machine)</Text>
        {list.length > 0 && (
          <Table withTableBorder striped data-testid="seq2seq-table">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Name</Table.Th>
                <Table.Th>Folder</Table.Th>
                <Table.Th>SHA-256</Table.Th>
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
                    <Table.Td>
                      <Text size="sm" ff="monospace">
                        {e.model ? `${e.model.slice(0, 12)}…` : '?'}
                      </Text>
                    </Table.Td>
                    <EngineRowEnd check={c} onCheck={() => void check(e.id)} onRemove={() => void remove(e.id)} />
                  </Table.Tr>
                )
              })}
            </Table.Tbody>
          </Table>
        )}
        <Group align="flex-end" gap="xs">
          <TextInput label="Name" placeholder="mentalbart" value={name} onChange={(e) => setName(e.currentTarget.value)} w={160} data-testid="seq2seq-name" />
          <TextInput label="Folder" placeholder="/home/me/imhi-models/MentalBART" value={path} onChange={(e) => setPath(e.currentTarget.value)} w={380} data-testid="seq2seq-path" />
          <Button onClick={() => void add()} loading={busy} disabled={!name.trim() || !path.trim()} data-testid="seq2seq-add">
            Register folder
          </Button>
        </Group>
        <Text size="xs" c="dimmed">
          A folder converted with scripts/convert_checkpoints.py seq2seq (encoder_model.onnx, decoder_model.onnx, decoder_with_past_model.onnx). It is loaded and checked, and its files are
          hashed; runs then choose it like a local model and decode as its generation config asks (greedy, or beam search where it sets num_beams), as transformers did for IMHI.py on the completion split. Nothing leaves this machine.
        </Text>
      </Stack>
    </Card>
  )
}
