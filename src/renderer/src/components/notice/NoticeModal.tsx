import { Button, Modal, Stack, Text, Title } from '@mantine/core'
import { NON_CLINICAL_NOTICE, SUPPORT_RESOURCES } from './notice'

/** Bump when the notice's substance changes, so everyone acknowledges the new text. */
export const NOTICE_VERSION = '1'
export const NOTICE_STORAGE_KEY = 'imhi-notice-acknowledged'

export function noticeAcknowledged(): boolean {
  try {
    return localStorage.getItem(NOTICE_STORAGE_KEY) === NOTICE_VERSION
  } catch {
    return false
  }
}

export function acknowledgeNotice(): void {
  try {
    localStorage.setItem(NOTICE_STORAGE_KEY, NOTICE_VERSION)
  } catch {
    // Storage unavailable (private window): the notice shows again next time, which is safe.
  }
}

/**
 * The non-clinical-use notice: shown on first run until acknowledged (remembered in localStorage),
 * and again whenever the user opens it from the footer.
 */
export function NoticeModal({ opened, onAcknowledge, firstRun }: { opened: boolean; onAcknowledge: () => void; firstRun: boolean }) {
  return (
    <Modal
      opened={opened}
      onClose={onAcknowledge}
      withCloseButton={!firstRun}
      closeOnClickOutside={!firstRun}
      closeOnEscape={!firstRun}
      centered
      size="lg"
      title={<Title order={3}>Research use only</Title>}
      aria-describedby="imhi-notice-text"
      data-testid="notice-modal"
    >
      <Stack gap="md">
        <Text id="imhi-notice-text">{NON_CLINICAL_NOTICE}</Text>
        <Text size="sm" c="dimmed">
          All data stays on this computer: the workbench sends nothing anywhere and uses the network only when you ask it to download a
          model.
        </Text>
        <Text size="sm">{SUPPORT_RESOURCES}</Text>
        <Button onClick={onAcknowledge} data-autofocus data-testid="notice-ack">
          I understand
        </Button>
      </Stack>
    </Modal>
  )
}
