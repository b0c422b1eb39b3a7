import { Button, Group, TextInput } from '@mantine/core'
import type { ReactNode } from 'react'
import { useAppState } from '@renderer/api/appState'
import { api } from '@renderer/api/client'
import { notifyError } from '../errors/notify'

/** Where the path is read: the desktop app's own disk, or the disk of the computer running imhi serve. */
export function pathHint(canPick: boolean): string {
  return canPick ? '' : 'A path on the computer running imhi serve.'
}

/**
 * A path on disk: a text field everywhere, plus the native "Browse…" dialog where one exists (the
 * desktop app). In a browser tab the button is not shown at all: the browser cannot reach the
 * server's disk, so the field says whose disk the path is on.
 */
export function PathField(props: {
  label: string
  kind: 'file' | 'folder' | 'save'
  value: string
  onChange: (value: string) => void
  /** The native dialog's title. */
  title: string
  placeholder?: string
  description?: ReactNode
  onEnter?: () => void
  testId?: string
  flex?: number
}) {
  const { info } = useAppState()
  const canPick = info?.canPickFolder ?? false
  const pick = async (): Promise<void> => {
    try {
      const r = await api.call('app.pickPath', { kind: props.kind, title: props.title, ...(props.value.trim() ? { defaultPath: props.value.trim() } : {}) })
      if (r.path) props.onChange(r.path)
    } catch (err) {
      notifyError(err)
    }
  }
  const hint = pathHint(canPick)
  return (
    <Group align="flex-end" gap="xs" wrap="nowrap" style={{ flex: props.flex ?? 1 }}>
      <TextInput
        label={props.label}
        description={props.description || hint ? [props.description, hint].filter(Boolean).map((d, i) => <span key={i}>{i > 0 ? ' ' : ''}{d}</span>) : undefined}
        placeholder={props.placeholder}
        value={props.value}
        onChange={(e) => props.onChange(e.currentTarget.value)}
        onKeyDown={(e) => {
          if (e.key === 'Enter' && props.onEnter) props.onEnter()
        }}
        style={{ flex: 1 }}
        data-testid={props.testId}
        autoComplete="off"
        spellCheck={false}
      />
      {canPick && (
        <Button variant="default" onClick={() => void pick()} data-testid={props.testId ? `${props.testId}-browse` : undefined}>
          Browse…
        </Button>
      )}
    </Group>
  )
}
