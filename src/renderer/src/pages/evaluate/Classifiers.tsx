import { useState } from 'react'
import { Alert, Button, Group, Stack, Table, Text } from '@mantine/core'
import type { ClassifierInfo } from '../../../../shared/api/evaluation'
import { api } from '../../api/client'
import { useCall } from '../../api/hooks'
import { notifyError, notifySuccess } from '../../components/errors/notify'
import { downloadCsv } from './csv'
import { pct } from './format'

/** The learned label classifiers, their held-out and test accuracy, and retraining. */
export function Classifiers({ onTrained }: { onTrained: () => void }) {
  const list = useCall('evaluation.classifiers', {})
  const [training, setTraining] = useState(false)
  const train = async () => {
    setTraining(true)
    try {
      const r = await api.call('evaluation.trainClassifiers', {})
      notifySuccess(`${r.length} classifier(s) trained`)
      list.reload()
      onTrained()
    } catch (e) {
      notifyError(e, 'Training failed')
    } finally {
      setTraining(false)
    }
  }
  const rows: ClassifierInfo[] = list.data ?? []
  return (
    <Stack gap="sm" data-testid="classifiers">
      <Group justify="space-between">
        <Text size="sm" c="dimmed">
          TF-IDF + logistic regression, one per dataset, trained on the imported gold explanations with the label sentence removed. Datasets without released training data are scored by 5-fold cross-validation.
        </Text>
        <Group gap="xs">
          <Button size="xs" onClick={train} loading={training} data-testid="train-classifiers">
            {rows.length ? 'Retrain' : 'Train classifiers'}
          </Button>
          {rows.length > 0 && (
            <Button
              size="xs"
              variant="light"
              onClick={() =>
                downloadCsv(
                  'classifiers.csv',
                  ['dataset', 'train_rows', 'held_out_method', 'held_out_n', 'held_out_accuracy', 'test_method', 'test_n', 'test_accuracy', 'trained_at'],
                  rows.map((c) => [c.dataset, c.trainRows, c.heldOut?.method, c.heldOut?.n, c.heldOut?.accuracy, c.test?.method, c.test?.n, c.test?.accuracy, c.trainedAt])
                )
              }
            >
              CSV
            </Button>
          )}
        </Group>
      </Group>
      {list.error && <Alert color="red">{list.error.message}</Alert>}
      {rows.length === 0 && !list.loading && <Alert color="gray">No classifiers yet. Import the IMHI data, then train.</Alert>}
      {rows.length > 0 && (
        <Table withTableBorder striped fz="sm" data-testid="classifiers-table">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Dataset</Table.Th>
              <Table.Th ta="right">Train rows</Table.Th>
              <Table.Th ta="right">Held-out acc</Table.Th>
              <Table.Th>Held-out method</Table.Th>
              <Table.Th ta="right">Test acc</Table.Th>
              <Table.Th>Test</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {rows.map((c) => (
              <Table.Tr key={c.dataset}>
                <Table.Td fw={600}>{c.dataset}</Table.Td>
                <Table.Td ta="right">{c.trainRows}</Table.Td>
                <Table.Td ta="right">{pct(c.heldOut?.accuracy)}</Table.Td>
                <Table.Td fz="xs">{c.heldOut ? `${c.heldOut.method} (n=${c.heldOut.n})` : '—'}</Table.Td>
                <Table.Td ta="right" c={c.test && c.test.accuracy < 0.95 ? 'orange' : undefined}>
                  {pct(c.test?.accuracy)}
                </Table.Td>
                <Table.Td fz="xs">{c.test ? `${c.test.method} (n=${c.test.n})` : '—'}</Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
    </Stack>
  )
}
