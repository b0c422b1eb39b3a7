import { Anchor, Center, Code, List, Paper, Stack, Text, Title } from '@mantine/core'
import { useAppState } from '@renderer/api/appState'
import type { ImportReport } from '../../../../shared/api/imhi'
import { ImportPanel } from './ImportPanel'

/** What a new database shows: one clear step, importing the benchmark. */
export function FirstRun({ onImported }: { onImported?: (report: ImportReport) => void }) {
  const { info } = useAppState()
  return (
    <Center h="100%" data-testid="first-run">
      <Paper withBorder p="xl" radius="md" maw={760} w="100%">
        <Stack gap="md">
          <div>
            <Title order={2}>Welcome to IMHI Workbench</Title>
            <Text c="dimmed" mt={4}>
              This database holds no items yet. Import the IMHI benchmark to browse and search it, generate and score explanations, and
              run annotation studies.
            </Text>
          </div>
          <ImportPanel onImported={onImported} />
          <div>
            <Text size="sm" fw={500}>
              What is read
            </Text>
            <List size="sm" c="dimmed" spacing={2}>
              <List.Item>
                <Code>test_data/test_instruction</Code>, <Code>test_data/test_complete</Code>: the 8,169 test items in both forms
              </List.Item>
              <List.Item>
                <Code>human_evaluation/test_instruction_expert</Code>: the expert-written explanations
              </List.Item>
              <List.Item>
                <Code>train_data/…</Code>: training and validation data; <Code>human_evaluation/DR_annotation</Code>: released human ratings
              </List.Item>
            </List>
            <Text size="xs" c="dimmed" mt="xs">
              Get the files from{' '}
              <Anchor href="https://github.com/SteveKGYang/MentalLLaMA" target="_blank" rel="noreferrer">
                github.com/SteveKGYang/MentalLLaMA
              </Anchor>
              . Database: <Code>{info?.dbFile ?? '…'}</Code>
            </Text>
          </div>
        </Stack>
      </Paper>
    </Center>
  )
}
