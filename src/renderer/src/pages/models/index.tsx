import { Text } from '@mantine/core'
import type { Route } from '../../router'

export default function ModelsPage(_props: { route: Route }) {
  return <Text c="dimmed">Models: coming in this release.</Text>
}
