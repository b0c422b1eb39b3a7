import { Badge, Button, Card, Group, Stack, Text, Tooltip } from '@mantine/core'
import type { InferenceStatus, StageState } from '../../../../shared/api/inference'
import { formatBytes } from './format'

const COLORS: Record<StageState['status'], string> = { idle: 'gray', loading: 'yellow', loaded: 'teal', error: 'red' }

function Stage({ label, state, detail }: { label: string; state: StageState; detail?: string }) {
  return (
    <Tooltip label={state.error ?? detail ?? state.status} multiline w={360} disabled={!state.error && !detail}>
      <Badge color={COLORS[state.status]} variant="light" data-testid={`stage-${label.toLowerCase()}`}>
        {label}: {state.status}
      </Badge>
    </Tooltip>
  )
}

/** Which backend llama.cpp uses and why, and the state of each native stage. */
export function BackendCard({ status, onUnload }: { status: InferenceStatus | undefined; onUnload: () => void }) {
  const b = status?.backend
  return (
    <Card withBorder padding="sm" data-testid="backend-card">
      <Stack gap={6}>
        <Group justify="space-between">
          <Group gap="xs">
            <Text fw={600}>Backend</Text>
            <Badge variant="filled" color={b ? (b.kind === 'cpu' ? 'gray' : 'teal') : 'gray'} data-testid="backend-kind">
              {b ? b.kind.toUpperCase() : 'not started'}
            </Badge>
            <Text size="sm" c="dimmed" data-testid="backend-reason">
              {b ? b.reason : 'llama.cpp starts with the first model you add, load or generate with.'}
            </Text>
          </Group>
          <Button size="xs" variant="default" disabled={status?.model.status !== 'loaded'} onClick={onUnload}>
            Unload model
          </Button>
        </Group>
        {status && (
          <Group gap="xs">
            <Stage label="llama.cpp" state={status.llama} />
            <Stage label="Model" state={status.model} detail={status.model.fileName ?? undefined} />
            <Stage label="Context" state={status.context} detail={status.context.contextSize ? `${status.context.sequences} sequences × ${status.context.contextSize} tokens` : undefined} />
            {status.model.fileName && (
              <Text size="sm" data-testid="loaded-model">
                {status.model.fileName}
                {status.model.gpuLayers !== null && b && b.kind !== 'cpu' ? ` · ${status.model.gpuLayers} layers on GPU` : ''}
              </Text>
            )}
            {b && (
              <Text size="xs" c="dimmed">
                {b.threads} CPU thread(s) · RAM {formatBytes(b.ramFreeBytes)} free of {formatBytes(b.ramTotalBytes)}
                {b.vramTotalBytes ? ` · VRAM ${formatBytes(b.vramFreeBytes)} free of ${formatBytes(b.vramTotalBytes)}` : ''}
              </Text>
            )}
          </Group>
        )}
      </Stack>
    </Card>
  )
}
