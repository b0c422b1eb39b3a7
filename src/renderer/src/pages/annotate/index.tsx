import { Text } from '@mantine/core'
import type { Route } from '../../router'

export default function AnnotatePage(_props: { route: Route }) {
  return <Text c="dimmed">Annotate: coming in this release.</Text>
}
