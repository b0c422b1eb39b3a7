import { AppShell, Group, NavLink, Text, Title, ActionIcon, useMantineColorScheme, Tooltip } from '@mantine/core'
import { useRoute, navigate, type Route } from './router'
import { NON_CLINICAL_NOTICE } from './components/notice/notice'
import BrowsePage from './pages/browse'
import ModelsPage from './pages/models'
import RunsPage from './pages/runs'
import EvaluatePage from './pages/evaluate'
import AnnotatePage from './pages/annotate'

interface Section {
  path: string
  label: string
  page: (props: { route: Route }) => React.ReactNode
  /** Routes that also belong to this section (e.g. #/item/42 to Browse). */
  also?: string[]
}

const SECTIONS: Section[] = [
  { path: '/browse', label: 'Browse', page: BrowsePage, also: ['/item'] },
  { path: '/models', label: 'Models', page: ModelsPage },
  { path: '/runs', label: 'Runs', page: RunsPage },
  { path: '/evaluate', label: 'Evaluate', page: EvaluatePage },
  { path: '/annotate', label: 'Annotate', page: AnnotatePage }
]

function sectionOf(route: Route): Section {
  const first = '/' + (route.segments[0] ?? 'browse')
  return SECTIONS.find((s) => s.path === first || s.also?.includes(first)) ?? SECTIONS[0]
}

function ThemeToggle() {
  const { colorScheme, setColorScheme } = useMantineColorScheme()
  const next = colorScheme === 'dark' ? 'light' : 'dark'
  return (
    <Tooltip label={`Switch to ${next} theme`}>
      <ActionIcon variant="default" aria-label={`Switch to ${next} theme`} onClick={() => setColorScheme(next)}>
        {colorScheme === 'dark' ? '☀' : '☾'}
      </ActionIcon>
    </Tooltip>
  )
}

export function App() {
  const route = useRoute()
  const section = sectionOf(route)
  const Page = section.page
  return (
    <AppShell header={{ height: 48 }} navbar={{ width: 180, breakpoint: 0 }} footer={{ height: 28 }} padding="md">
      <AppShell.Header>
        <Group h="100%" px="md" justify="space-between">
          <Title order={4}>IMHI Workbench</Title>
          <ThemeToggle />
        </Group>
      </AppShell.Header>
      <AppShell.Navbar p="xs">
        {SECTIONS.map((s) => (
          <NavLink key={s.path} label={s.label} active={s === section} onClick={() => navigate(s.path)} />
        ))}
      </AppShell.Navbar>
      <AppShell.Main>
        <Page route={route} />
      </AppShell.Main>
      <AppShell.Footer px="md">
        <Text size="xs" c="dimmed" lh="28px" truncate>
          Research use only — not a diagnostic or clinical tool. {NON_CLINICAL_NOTICE.split('. ').slice(1).join('. ')}
        </Text>
      </AppShell.Footer>
    </AppShell>
  )
}
