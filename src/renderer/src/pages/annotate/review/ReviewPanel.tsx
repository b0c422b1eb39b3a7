import { Alert, Badge, Group, Loader, SimpleGrid, Stack, Table, Text, UnstyledButton } from '@mantine/core'
import { useCall } from '@renderer/api/hooks'
import { navigate } from '@renderer/router'
import type { ReviewEntry } from '../../../../../shared/api/annotation'

export const REVIEW_LISTS = [
  { key: 'disagreements', title: 'Largest disagreements', empty: 'No item has differing scores yet.' },
  { key: 'flagged', title: 'Flagged items', empty: 'No annotator flagged an item.' },
  { key: 'notes', title: 'Notes', empty: 'No notes yet.' },
  { key: 'skipped', title: 'Skipped items', empty: 'Nothing skipped.' }
] as const
export type ReviewListKey = (typeof REVIEW_LISTS)[number]['key']

/** The study page's Review tab: what annotators flagged, wrote, skipped, and where they disagree most. */
export function ReviewPanel({ studyId }: { studyId: number }) {
  const { data, error, loading } = useCall('annotation.review', { studyId, limit: 200 })
  if (loading && !data) return <Loader />
  if (error) return <Alert color="red">{error.message}</Alert>
  if (!data) return null
  const open = (list: ReviewListKey, e: ReviewEntry) => navigate(`/annotate/review/${studyId}/${e.studyItemId}`, { list })
  return (
    <Stack>
      <Text size="sm" c="dimmed" data-testid="review-summary">
        {data.adjudicatedItems} of {data.items} items adjudicated. Open an entry to see every annotator side by side and record a decision; agreement is always computed on
        the raw ratings.
      </Text>
      <SimpleGrid cols={{ base: 1, lg: 2 }}>
        {REVIEW_LISTS.map((l) => {
          const rows = data[l.key]
          return (
            <Stack key={l.key} gap={4} data-testid={`review-list-${l.key}`}>
              <Group gap="xs">
                <Text fw={700} size="sm">
                  {l.title}
                </Text>
                <Badge variant="light" size="sm">
                  {rows.length}
                </Badge>
              </Group>
              {rows.length === 0 ? (
                <Text size="sm" c="dimmed">
                  {l.empty}
                </Text>
              ) : (
                <Table highlightOnHover withTableBorder fz="sm">
                  <Table.Tbody>
                    {rows.slice(0, 50).map((e, i) => (
                      <Table.Tr key={`${e.studyItemId}:${e.annotator ?? ''}:${i}`}>
                        <Table.Td>
                          <UnstyledButton onClick={() => open(l.key, e)} data-testid={`review-open-${l.key}-${i}`} style={{ width: '100%' }}>
                            <Group gap={6} wrap="nowrap">
                              <Text size="sm" fw={600} style={{ whiteSpace: 'nowrap' }}>
                                {e.item}
                              </Text>
                              {e.adjudicated && (
                                <Badge size="xs" color="teal">
                                  adjudicated
                                </Badge>
                              )}
                              {l.key === 'disagreements' && (
                                <Text size="xs" c="dimmed" style={{ whiteSpace: 'nowrap' }}>
                                  {e.aspect}: {Object.entries(e.scores ?? {}).map(([who, v]) => `${who} ${v}`).join(', ')} (range {e.range})
                                </Text>
                              )}
                              {e.annotator && l.key !== 'disagreements' && (
                                <Badge size="xs" variant="outline">
                                  {e.annotator}
                                </Badge>
                              )}
                            </Group>
                            <Text size="xs" c="dimmed" lineClamp={1}>
                              {e.note ? `“${e.note}”` : e.excerpt}
                            </Text>
                          </UnstyledButton>
                        </Table.Td>
                      </Table.Tr>
                    ))}
                  </Table.Tbody>
                </Table>
              )}
            </Stack>
          )
        })}
      </SimpleGrid>
    </Stack>
  )
}
