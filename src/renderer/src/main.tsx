import { z } from 'zod'
import { StrictMode } from 'react'
import { createRoot } from 'react-dom/client'
import { MantineProvider, localStorageColorSchemeManager } from '@mantine/core'
import { Notifications } from '@mantine/notifications'
import '@mantine/core/styles.css'
import '@mantine/notifications/styles.css'
import './components/theme/global.css'
import { App } from './App'
import { theme, cssVariablesResolver } from './components/theme/theme'
import { AppStateProvider } from './api/appState'
import { ErrorBoundary } from './components/errors/ErrorBoundary'
import { notifyError } from './components/errors/notify'

// zod probes for eval support (new Function) on first use; under the page's CSP that probe is a
// violation report on every page. jitless: no probe, no generated code.
z.config({ jitless: true })

// The light/dark choice is remembered across sessions.
const colorSchemeManager = localStorageColorSchemeManager({ key: 'imhi-color-scheme' })

// An API call nobody caught still reaches the user, as a notification naming what failed.
window.addEventListener('unhandledrejection', (e) => {
  notifyError(e.reason)
})

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <MantineProvider theme={theme} cssVariablesResolver={cssVariablesResolver} defaultColorScheme="auto" colorSchemeManager={colorSchemeManager}>
      <Notifications position="bottom-right" limit={4} />
      <ErrorBoundary area="IMHI Workbench">
        <AppStateProvider>
          <App />
        </AppStateProvider>
      </ErrorBoundary>
    </MantineProvider>
  </StrictMode>
)
