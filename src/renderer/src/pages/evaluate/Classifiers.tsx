import { useEffect, useState } from 'react'
import { Alert, Button, Group, Select, Stack, Table, Text } from '@mantine/core'
import type { ClassifierInfo, EvaluationEvents } from '../../../../shared/api/evaluation'
import { api } from '@renderer/api/client'
import { useCall } from '@renderer/api/hooks'
import { notifyError, notifySuccess } from '@renderer/components/errors/notify'
import { downloadCsv } from './csv'
import { pct } from './format'

/** The learned label classifiers, their held-out and test accuracy, and retraining. */
export function Classifiers({ onTrained }: { onTrained: () => void }) {
  const list = useCall('evaluation.classifiers', {})
  const models = useCall('inference.models.list', {})
  const [training, setTraining] = useState(false)
  /** The running training's name, for evaluation.cancel. */
  const [request, setRequest] = useState<string | null>(null)
  /** Path of the library model whose embeddings are added to the features; null = TF-IDF only. */
  const [embeddingModel, setEmbeddingModel] = useState<string | null>(null)
  const [progress, setProgress] = useState<EvaluationEvents['evaluation.progress'] | null>(null)
  useEffect(() => api.on('evaluation.progress', (p) => (p.stage === 'embed' || p.stage === 'train' ? setProgress(p) : undefined)), [])
  const embeddable = (models.data ?? []).filter((m) => m.kind === 'model' && !m.missing)
  const train = async () => {
    setTraining(true)
    setProgress(null)
    const requestId = `train-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`
    setRequest(requestId)
    try {
      const r = await api.call('evaluation.trainClassifiers', { requestId, ...(embeddingModel ? { embeddingModel } : {}) })
      notifySuccess(`${r.length} ${r.length === 1 ? 'classifier' : 'classifiers'} trained${embeddingModel ? ' with embedding features' : ''}`)
      list.reload()
      onTrained()
    } catch (e) {
      // A cancelled training keeps the classifiers it finished: the list shows them.
      list.reload()
      notifyError(e, 'Training failed')
    } finally {
      setTraining(false)
      setRequest(null)
      setProgress(null)
    }
  }
  const cancel = (): void => {
    if (request) void api.call('evaluation.cancel', { requestId: request }).catch((e: unknown) => notifyError(e, 'Cannot cancel'))
  }
  const rows: ClassifierInfo[] = list.data ?? []
  return (
    <Stack gap="sm" data-testid="classifiers">
      <Group justify="space-between">
        <Text size="sm" c="dimmed">
          TF-IDF + logistic regression, one per dataset, trained on the imported gold explanations with the label sentence removed. Datasets without released training data are scored by 5-fold cross-validation, the rows of one post always in one fold.
          Optionally an embedding model (a GGUF of the model library) adds its L2-normalized embedding of each explanation to the features; labelling then needs the same model file.
        </Text>
        <Group gap="xs" align="flex-end">
          <Select
            size="xs"
            w={290}
            label="Embedding model (optional)"
            placeholder="No embedding model (TF-IDF only)"
            data-testid="embedding-model"
            clearable
            searchable
            disabled={training}
            value={embeddingModel}
            onChange={setEmbeddingModel}
            data={embeddable.map((m) => ({ value: m.path, label: `${m.fileName}${m.metadata.embeddingLength ? ` (${m.metadata.embeddingLength} dims)` : ''}` }))}
            nothingFoundMessage="No models in the library (Models page)"
          />
          <Button size="xs" onClick={train} loading={training} data-testid="train-classifiers">
            {rows.length ? 'Retrain' : 'Train classifiers'}
          </Button>
          {training && (
            <Button size="xs" variant="default" color="red" onClick={cancel} data-testid="cancel-training" title="Stops after the dataset in progress; the classifiers already trained are kept">
              Cancel
            </Button>
          )}
          {rows.length > 0 && (
            <Button
              size="xs"
              variant="light"
              onClick={() =>
                downloadCsv(
                  'classifiers.csv',
                  ['dataset', 'features', 'train_rows', 'held_out_method', 'held_out_n', 'held_out_accuracy', 'test_method', 'test_n', 'test_accuracy', 'cross_fitted', 'trained_at'],
                  rows.map((c) => [c.dataset, c.features, c.trainRows, c.heldOut?.method, c.heldOut?.n, c.heldOut?.accuracy, c.test?.method, c.test?.n, c.test?.accuracy, c.crossFitted ?? false, c.trainedAt])
                )
              }
            >
              CSV
            </Button>
          )}
        </Group>
      </Group>
      {training && progress && (
        <Text size="xs" c="dimmed" data-testid="classifier-progress">
          {progress.stage === 'embed' ? `Embedding ${progress.dataset ?? ''}: ${progress.done} / ${progress.total} texts` : `Training ${progress.dataset ?? ''} (${progress.done + 1} / ${progress.total})`}
        </Text>
      )}
      {list.error && <Alert color="red">{list.error.message}</Alert>}
      {rows.length === 0 && !list.loading && <Alert color="gray">No classifiers yet. Import the IMHI data, then train.</Alert>}
      {rows.length > 0 && (
        <Table withTableBorder striped fz="sm" data-testid="classifiers-table">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Dataset</Table.Th>
              <Table.Th>Features</Table.Th>
              <Table.Th ta="right">Train rows</Table.Th>
              <Table.Th ta="right">Held-out acc</Table.Th>
              <Table.Th>Held-out method</Table.Th>
              <Table.Th ta="right">Test acc</Table.Th>
              <Table.Th>Test</Table.Th>
              <Table.Th>Labels test posts</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {rows.map((c) => (
              <Table.Tr key={c.dataset}>
                <Table.Td fw={600}>{c.dataset}</Table.Td>
                <Table.Td fz="xs">{c.features === 'tfidf' ? 'TF-IDF' : c.features.replace(/^tfidf\+embedding:/, 'TF-IDF + embedding of ')}</Table.Td>
                <Table.Td ta="right">{c.trainRows}</Table.Td>
                <Table.Td ta="right">{pct(c.heldOut?.accuracy)}</Table.Td>
                <Table.Td fz="xs">{c.heldOut ? `${c.heldOut.method} (n=${c.heldOut.n})` : '—'}</Table.Td>
                <Table.Td ta="right" c={c.test && c.test.accuracy < 0.95 ? 'orange' : undefined}>
                  {pct(c.test?.accuracy)}
                </Table.Td>
                <Table.Td fz="xs">{c.test ? `${c.test.method} (n=${c.test.n})` : '—'}</Table.Td>
                <Table.Td fz="xs">{c.crossFitted ? 'cross-fitted: each by the fold model that held it out' : 'with the stored model (never trained on them)'}</Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
    </Stack>
  )
}
