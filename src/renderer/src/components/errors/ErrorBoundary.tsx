import { Component, type ErrorInfo, type ReactNode } from 'react'
import { Alert, Button, Code, Group, Stack, Text } from '@mantine/core'

interface Props {
  children: ReactNode
  /** What failed, for the message ("the Browse page"). */
  area?: string
}
interface State {
  error: Error | null
}

/** Catches a render error so one broken view does not blank the whole app; the rest keeps working. */
export class ErrorBoundary extends Component<Props, State> {
  state: State = { error: null }

  static getDerivedStateFromError(error: Error): State {
    return { error }
  }

  componentDidCatch(error: Error, info: ErrorInfo): void {
    console.error(`IMHI Workbench: ${this.props.area ?? 'the app'} failed to render`, error, info.componentStack)
  }

  render(): ReactNode {
    if (!this.state.error) return this.props.children
    return (
      <Alert color="red" variant="light" title={`Could not show ${this.props.area ?? 'this view'}`} role="alert" m="md">
        <Stack gap="xs">
          <Text size="sm">Nothing you saved is lost. The error was:</Text>
          <Code block>{this.state.error.message}</Code>
          <Group>
            <Button size="xs" variant="default" onClick={() => this.setState({ error: null })}>
              Try again
            </Button>
            <Button size="xs" variant="subtle" onClick={() => window.location.reload()}>
              Reload the app
            </Button>
          </Group>
        </Stack>
      </Alert>
    )
  }
}
