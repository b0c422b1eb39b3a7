import { Suspense, lazy, useEffect, useState } from 'react'
import { Alert, AppShell, Center, Loader, Badge, Button, Group, Kbd, Modal, NavLink, Text, Title, Tooltip, UnstyledButton } from '@mantine/core'
import { useRoute, navigate, type Route } from './router'
import { NON_CLINICAL_NOTICE } from './components/notice/notice'
import { NoticeModal, acknowledgeNotice, noticeAcknowledged } from './components/notice/NoticeModal'
import { ErrorBoundary } from './components/errors/ErrorBoundary'
import { ThemeToggle } from './components/theme/ThemeToggle'
import { ImportPanel } from './components/import/ImportPanel'
import { FolderIcon } from './components/icons/icons'
import { CoreStatus } from './components/core/CoreStatus'
import { useAppState } from './api/appState'
import { useHotkeyLayer } from './keyboard/hotkeys'
import { api, type ConnectionState } from './api/client'
import BrowsePage from './pages/browse'

// Browse is the first screen; the other pages (charts, editors) load when first opened.
const ModelsPage = lazy(() => import('./pages/models'))
const RunsPage = lazy(() => import('./pages/runs'))
const EvaluatePage = lazy(() => import('./pages/evaluate'))
const AnnotatePage = lazy(() => import('./pages/annotate'))

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

function useConnection(): ConnectionState {
  const [state, setState] = useState(api.connection())
  useEffect(() => api.onConnection(setState), [])
  return state
}

export function App() {
  const route = useRoute()
  const { info, facets } = useAppState()
  // An annotator's LAN link opens the annotation view only; the server refuses the rest anyway.
  const annotator = info?.role === 'annotator'
  const sections = annotator ? SECTIONS.filter((s) => s.path === '/annotate') : SECTIONS
  const section = annotator ? sections[0] : sectionOf(route)
  const Page = section.page
  const connection = useConnection()
  const [noticeOpen, setNoticeOpen] = useState(() => !noticeAcknowledged())
  const [firstNotice] = useState(() => !noticeAcknowledged())
  const [importOpen, setImportOpen] = useState(false)
  const owner = !annotator

  // Alt+1..5 switch sections (plain keys belong to the pages: j/k, /, Enter, ...).
  // Under the app's keyboard rule: not while typing or while a dialog is open (leaving the page
  // under an open note would drop it).
  useHotkeyLayer(
    (e) => {
      if (!e.altKey || e.ctrlKey || e.metaKey || e.shiftKey) return false
      const digit = /^Digit([1-9])$/.exec(e.code)?.[1] ?? (/^[1-9]$/.test(e.key) ? e.key : null)
      const target = digit ? sections[Number(digit) - 1] : undefined
      if (!target) return false
      navigate(target.path)
      return true
    },
    { modifiers: true }
  )

  const closeNotice = (): void => {
    acknowledgeNotice()
    setNoticeOpen(false)
  }

  return (
    <AppShell header={{ height: 52 }} navbar={{ width: 188, breakpoint: 0 }} footer={{ height: 30 }} padding="md">
      <AppShell.Header>
        <Group h="100%" px="md" justify="space-between" wrap="nowrap">
          <Group gap="sm" wrap="nowrap">
            <Title order={4} style={{ letterSpacing: '-0.01em' }}>
              IMHI Workbench
            </Title>
            <Badge variant="light" color="gray" size="sm" radius="sm">
              research use only
            </Badge>
          </Group>
          <Group gap="xs" wrap="nowrap">
            {facets && facets.total > 0 && (
              <Text size="xs" c="dimmed" data-testid="item-total">
                {facets.total.toLocaleString('en-US')} items
              </Text>
            )}
            {info?.dbFile && (
              <Tooltip label={info.dbFile} multiline maw={480}>
                <Text size="xs" c="dimmed" ff="monospace" truncate maw={260}>
                  {info.dbFile.split(/[\\/]/).pop()}
                </Text>
              </Tooltip>
            )}
            {owner && (
              <Button variant="default" size="xs" leftSection={<FolderIcon size={14} />} onClick={() => setImportOpen(true)} data-testid="open-import">
                Import…
              </Button>
            )}
            <ThemeToggle />
          </Group>
        </Group>
      </AppShell.Header>
      <AppShell.Navbar p="xs">
        <nav aria-label="Sections">
          {sections.map((s, i) => (
            <NavLink
              key={s.path}
              component="a"
              href={`#${s.path}`}
              label={s.label}
              active={s === section}
              rightSection={
                <Text size="xs" c="dimmed">
                  <Kbd size="xs">Alt</Kbd>+<Kbd size="xs">{i + 1}</Kbd>
                </Text>
              }
            />
          ))}
        </nav>
      </AppShell.Navbar>
      {/* Exactly the window's height: the page's own panes scroll, never the whole window (header, filters stay put). */}
      <AppShell.Main style={{ display: 'flex', flexDirection: 'column', height: '100dvh', overflowY: 'auto' }}>
        {connection === 'offline' && (
          <Alert color="orange" variant="light" mb="sm" title="Disconnected from imhi serve" data-testid="offline">
            Reconnecting… Your actions wait and are sent when the server is back.
            {api.transport === 'serve' && !new URLSearchParams(window.location.search).get('token') && !sessionStorage.getItem('imhi-token')
              ? ' This page has no access token: open the URL that imhi serve printed (it ends in ?token=…).'
              : ''}
          </Alert>
        )}
        {owner && <CoreStatus />}
        <ErrorBoundary area={`the ${section.label} page`} key={section.path}>
          <Suspense
            fallback={
              <Center h="100%">
                <Loader />
              </Center>
            }
          >
            <Page route={route} />
          </Suspense>
        </ErrorBoundary>
      </AppShell.Main>
      <AppShell.Footer px="md">
        <UnstyledButton onClick={() => setNoticeOpen(true)} h="100%" w="100%" aria-haspopup="dialog" title="Show the research-use notice" data-testid="footer-notice">
          <Text size="xs" c="dimmed" truncate>
            Research use only — not a diagnostic or clinical tool. {NON_CLINICAL_NOTICE.split('. ').slice(1).join('. ')}
          </Text>
        </UnstyledButton>
      </AppShell.Footer>
      <NoticeModal opened={noticeOpen} onAcknowledge={closeNotice} firstRun={firstNotice && !noticeAcknowledged()} />
      <Modal opened={importOpen} onClose={() => setImportOpen(false)} title="Import IMHI data" size="70rem">
        <ImportPanel />
      </Modal>
    </AppShell>
  )
}
