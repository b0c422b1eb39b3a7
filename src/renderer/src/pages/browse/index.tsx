import { Text } from '@mantine/core'
import type { Route } from '../../router'

export default function BrowsePage(_props: { route: Route }) {
  return <Text c="dimmed">Browse: coming in this release.</Text>
}
