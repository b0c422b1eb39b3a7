import { memo } from 'react'
import { Accordion, Alert, Badge, Box, CloseButton, Code, Divider, Group, Kbd, Loader, SimpleGrid, Stack, Text, Title } from '@mantine/core'
import { useCall } from '@renderer/api/hooks'
import { MarkTerms } from '@renderer/components/highlight/Highlighted'
import { ItemExplanations } from '@renderer/components/explanations/ItemExplanations'
import { TASKS } from '../../../../shared/imhi/datasets'
import { labelKind } from './ResultList'

const LABEL_COLOR = { none: 'gray', negative: 'gray', positive: 'red', class: 'grape' } as const
const labelColor = (label: string | null): string => LABEL_COLOR[labelKind(label)]

/** The released explanations start with "Reasoning:"; the heading already says what it is. */
function withoutReasoningPrefix(text: string): string {
  return text.replace(/^\s*Reasoning:\s*/i, '')
}

function Section({ title, children, testId }: { title: string; children: React.ReactNode; testId?: string }) {
  return (
    <Box data-testid={testId}>
      <Text size="xs" tt="uppercase" fw={700} c="dimmed" mb={4} style={{ letterSpacing: '0.04em' }}>
        {title}
      </Text>
      {children}
    </Box>
  )
}

/** One item: post and question beside the gold label and explanation, its source, then model explanations. */
export const ItemPane = memo(function ItemPane({ id, query, onClose }: { id: number; query: string; onClose: () => void }) {
  const { data: item, error, loading } = useCall('imhi.item', { id })
  if (error) {
    return (
      <Alert color="red" variant="light" title={`Item #${id}`} role="alert" data-testid="item-error">
        {error.message}
      </Alert>
    )
  }
  if (!item || item.id !== id) {
    return (
      <Group justify="center" p="xl">
        {loading && <Loader size="sm" />}
      </Group>
    )
  }
  return (
    <Stack gap="md" data-testid="item-detail" data-item-id={item.id}>
      <Group justify="space-between" align="flex-start" wrap="nowrap">
        <div>
          <Group gap="xs">
            <Title order={3}>Item #{item.id}</Title>
            <Badge variant="outline" color="blue" radius="sm" tt="none">
              {item.dataset}
            </Badge>
            <Badge variant="default" radius="sm" tt="none">
              {item.split}
            </Badge>
          </Group>
          <Text size="sm" c="dimmed" mt={2}>
            {TASKS[item.task] ?? item.task} · labels: {item.labels.join(', ')}
          </Text>
        </div>
        <CloseButton aria-label="Close the item (Esc)" onClick={onClose} />
      </Group>

      <SimpleGrid cols={{ base: 1, lg: 2 }} spacing="lg" verticalSpacing="md">
        <Stack gap="md">
          <Section title="Post" testId="item-post">
            <Text size="sm" className="imhi-browse-text">
              <MarkTerms text={item.post} query={query} />
            </Text>
          </Section>
          {item.question && (
            <Section title="Question" testId="item-question">
              <Text size="sm" className="imhi-browse-text" fs="italic">
                {item.question}
              </Text>
            </Section>
          )}
        </Stack>
        <Stack gap="md">
          <Section title="Gold label" testId="item-gold-label">
            {item.goldLabel !== null ? (
              <Badge size="lg" variant="light" color={labelColor(item.goldLabel)} radius="sm" tt="none">
                {item.goldLabel}
              </Badge>
            ) : (
              <Text size="sm" c="dimmed">
                none (the gold response names no label)
              </Text>
            )}
          </Section>
          <Section title="Gold explanation" testId="item-gold-explanation">
            <Text size="sm" className="imhi-browse-text">
              {item.goldExplanation ? <MarkTerms text={withoutReasoningPrefix(item.goldExplanation)} query={query} /> : <Text span c="dimmed">none</Text>}
            </Text>
          </Section>
        </Stack>
      </SimpleGrid>

      <Group gap="xs" data-testid="item-source">
        <Text size="xs" c="dimmed">
          Source
        </Text>
        <Code>{item.sourceFile}</Code>
        <Text size="xs" c="dimmed">
          row {item.sourceRow}
        </Text>
      </Group>

      <Accordion variant="contained" chevronPosition="left">
        <Accordion.Item value="raw">
          <Accordion.Control>
            <Text size="sm">As released: the query and the gold response</Text>
          </Accordion.Control>
          <Accordion.Panel>
            <Stack gap="sm">
              <Section title="Query">
                <Code block className="imhi-browse-text">
                  {item.query}
                </Code>
              </Section>
              <Section title="Gold response">
                <Code block className="imhi-browse-text">
                  {item.goldResponse ?? '(none)'}
                </Code>
              </Section>
            </Stack>
          </Accordion.Panel>
        </Accordion.Item>
      </Accordion>

      <Divider label="Model explanations" labelPosition="left" />
      <ItemExplanations itemId={item.id} />
    </Stack>
  )
})

export function NoItem() {
  return (
    <Stack align="center" justify="center" h="100%" gap="xs" c="dimmed" data-testid="no-item">
      <Text size="sm">Select an item to read it.</Text>
      <Text size="xs">
        <Kbd>↑</Kbd> <Kbd>↓</Kbd> or <Kbd>j</Kbd> <Kbd>k</Kbd> move · <Kbd>Enter</Kbd> or <Kbd>→</Kbd> open · <Kbd>/</Kbd> search · <Kbd>Esc</Kbd> clear
      </Text>
    </Stack>
  )
}
