import { Text } from '@mantine/core'
import type { Route } from '../../router'

export default function RunsPage(_props: { route: Route }) {
  return <Text c="dimmed">Runs: coming in this release.</Text>
}
