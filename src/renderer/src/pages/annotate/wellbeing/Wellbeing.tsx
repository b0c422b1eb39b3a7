import { Alert, Button, Group, Kbd, Modal, Paper, Stack, Text, Title } from '@mantine/core'
import { SUPPORT_RESOURCES } from '@renderer/components/notice/notice'

/** Shown instead of a post that concerns suicide or self-harm until the annotator chooses to see it. */
export function ContentNotice({ onShow, onSkip }: { onShow: () => void; onSkip: () => void }) {
  return (
    <Paper withBorder p="xl" radius="md" data-testid="content-notice">
      <Stack gap="sm" align="flex-start">
        <Title order={4}>Content notice</Title>
        <Text>This post may mention suicide or self-harm. Take a moment before reading it; you can skip it and come back later, or stop for now.</Text>
        <Group>
          <Button onClick={onShow} data-testid="show-post">
            Show the post <Kbd ml={6}>Enter</Kbd>
          </Button>
          <Button variant="default" onClick={onSkip}>
            Skip for now <Kbd ml={6}>S</Kbd>
          </Button>
        </Group>
        <Text size="xs" c="dimmed">
          {SUPPORT_RESOURCES}
        </Text>
      </Stack>
    </Paper>
  )
}

/** A reminder to pause after a stretch of rating (the study sets how long; 0 turns it off). */
export function BreakReminder({ opened, minutes, onContinue }: { opened: boolean; minutes: number; onContinue: () => void }) {
  return (
    <Modal opened={opened} onClose={onContinue} title="Time for a break" centered data-testid="break-reminder">
      <Stack>
        <Text>
          You have been rating for about {minutes} minutes. Reading about distress is tiring: stand up, look away from the screen, get a drink. Your place is saved; you
          resume exactly here.
        </Text>
        <Alert variant="light" color="gray">
          {SUPPORT_RESOURCES}
        </Alert>
        <Group justify="flex-end">
          <Button onClick={onContinue}>I had a break — continue</Button>
        </Group>
      </Stack>
    </Modal>
  )
}

/** The rating screen's footer line: where to find help. Never a diagnosis, never advice. */
export function SupportFooter() {
  return (
    <Text size="xs" c="dimmed" data-testid="support-footer">
      {SUPPORT_RESOURCES}
    </Text>
  )
}
