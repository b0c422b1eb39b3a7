import { useEffect, useState } from 'react'
import { Alert, Badge, Button, Group, Loader, Modal, Paper, Progress, Stack, Table, Text, TextInput, Title } from '@mantine/core'
import { api } from '@renderer/api/client'
import { useCall } from '@renderer/api/hooks'
import { navigate } from '@renderer/router'
import { notifySuccess } from '@renderer/components/errors/notify'
import { CreateStudy } from '../create/CreateStudy'

/** An annotator's own queues (LAN token), or the lead's list of studies. */
export function StudyList({ annotatorId }: { annotatorId: number | null }) {
  if (annotatorId !== null) return <MyQueues annotatorId={annotatorId} />
  return <LeadStudies />
}

function MyQueues({ annotatorId }: { annotatorId: number }) {
  const { data, error, loading } = useCall('annotation.myStudies', { annotatorId })
  if (loading && !data) return <Loader />
  if (error) return <Alert color="red">{error.message}</Alert>
  return (
    <Stack>
      <Title order={3}>Your annotation queues</Title>
      {data?.length === 0 && <Text c="dimmed">You are not part of any study yet.</Text>}
      {data?.map((s) => (
        <Paper key={s.id} withBorder p="md">
          <Group justify="space-between">
            <Stack gap={2}>
              <Text fw={600}>{s.name}</Text>
              <Text size="sm" c="dimmed">
                {s.done} of {s.assigned} items done
              </Text>
            </Stack>
            <Button onClick={() => navigate(`/annotate/rate/${s.id}`)} data-testid={`rate-${s.id}`}>
              {s.done > 0 ? 'Resume' : 'Start'}
            </Button>
          </Group>
          <Progress mt="xs" value={s.assigned ? (s.done / s.assigned) * 100 : 0} size="sm" aria-label={`${s.name}: items done`} />
        </Paper>
      ))}
    </Stack>
  )
}

function LeadStudies() {
  const { data, error, loading, reload } = useCall('annotation.studies', {})
  const [createOpen, setCreateOpen] = useState(false)
  const [importOpen, setImportOpen] = useState(false)
  useEffect(() => api.on('annotation.studiesChanged', () => reload()), [reload])
  return (
    <Stack>
      <Group justify="space-between">
        <Title order={3}>Annotation studies</Title>
        <Group>
          <Button variant="default" onClick={() => setImportOpen(true)} data-testid="import-ratings">
            Import ratings CSV…
          </Button>
          <Button onClick={() => setCreateOpen(true)} data-testid="new-study">
            New study
          </Button>
        </Group>
      </Group>
      {loading && !data && <Loader />}
      {error && <Alert color="red">{error.message}</Alert>}
      {data && data.length === 0 && (
        <Text c="dimmed">
          No study yet. Create one from the imported IMHI data (gold or expert explanations, or a model run), or import the released DR_annotation ratings.
        </Text>
      )}
      {data && data.length > 0 && (
        <Table highlightOnHover data-testid="study-table">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Study</Table.Th>
              <Table.Th>Items</Table.Th>
              <Table.Th>Annotators</Table.Th>
              <Table.Th>Ratings</Table.Th>
              <Table.Th />
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {data.map((s) => (
              <Table.Tr key={s.id} style={{ cursor: 'pointer' }} onClick={() => navigate(`/annotate/study/${s.id}`)}>
                <Table.Td>
                  <Group gap="xs">
                    <Text fw={600}>{s.name}</Text>
                    {s.origin !== 'created' && <Badge variant="light" color="gray">{s.origin}</Badge>}
                  </Group>
                </Table.Td>
                <Table.Td>{s.items}</Table.Td>
                <Table.Td>
                  {s.annotators} ({s.annotatorsPerItem} per item)
                </Table.Td>
                <Table.Td w={220}>
                  <Text size="xs">
                    {s.ratings} / {s.expected}
                  </Text>
                  <Progress value={s.expected ? (s.ratings / s.expected) * 100 : 0} size="sm" aria-label={`${s.name}: ratings collected`} />
                </Table.Td>
                <Table.Td>
                  <Button size="compact-sm" variant="light" onClick={() => navigate(`/annotate/study/${s.id}`)}>
                    Open
                  </Button>
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
      <Modal opened={createOpen} onClose={() => setCreateOpen(false)} title="New annotation study" size="xl">
        <CreateStudy
          onCreated={(id) => {
            setCreateOpen(false)
            navigate(`/annotate/study/${id}`)
          }}
        />
      </Modal>
      <Modal opened={importOpen} onClose={() => setImportOpen(false)} title="Import ratings (imhi or long layout)" size="lg">
        <ImportRatings onDone={(id) => navigate(`/annotate/study/${id}`)} />
      </Modal>
    </Stack>
  )
}

function ImportRatings({ onDone }: { onDone: (studyId: number) => void }) {
  const [path, setPath] = useState('')
  const [name, setName] = useState('')
  const [busy, setBusy] = useState(false)
  const [problem, setProblem] = useState<string | null>(null)
  const submit = async () => {
    setBusy(true)
    setProblem(null)
    try {
      const r = await api.call('annotation.import', { path, ...(name.trim() ? { studyName: name.trim() } : {}) })
      notifySuccess(`${r.items} items, ${r.annotators.length} annotators, ${r.ratings} ratings (${r.layout} layout)`, `Imported into ${r.studyName}`)
      onDone(r.studyId)
    } catch (err) {
      // Shown where the user is looking; the message names the file, row and column.
      setProblem(err instanceof Error ? err.message : String(err))
    } finally {
      setBusy(false)
    }
  }
  return (
    <Stack>
      {problem && (
        <Alert color="red" title="Import refused" data-testid="import-error" style={{ whiteSpace: 'pre-wrap' }}>
          {problem}
        </Alert>
      )}
      <TextInput label="CSV file" description="A path on the machine running the workbench, e.g. …/human_evaluation/DR_annotation/chatgpt_data.csv" value={path} onChange={(e) => setPath(e.currentTarget.value)} data-testid="import-path" />
      <TextInput label="Study name (optional)" description="An imported study of the same name gets this file as another source" value={name} onChange={(e) => setName(e.currentTarget.value)} />
      <Group justify="flex-end">
        <Button onClick={submit} loading={busy} disabled={!path.trim()} data-testid="import-submit">
          Import
        </Button>
      </Group>
    </Stack>
  )
}
