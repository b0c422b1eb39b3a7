import { Text } from '@mantine/core'
import type { Route } from '../../router'

export default function EvaluatePage(_props: { route: Route }) {
  return <Text c="dimmed">Evaluate: coming in this release.</Text>
}
