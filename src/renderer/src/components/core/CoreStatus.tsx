import { useEffect, useState } from 'react'
import { Alert } from '@mantine/core'
import { api } from '@renderer/api/client'
import type { ApiEvents } from '../../../../shared/api/contract'

type CoreEvent = ApiEvents['app.core']

const LANE_NAME: Record<CoreEvent['lane'], string> = {
  core: 'The background service',
  jobs: 'The worker for long jobs (import, training, evaluation)'
}

/**
 * What the app says when its core (the services' own thread or process) stopped: restarting, back
 * (with what to do about the job it was running), or down. Owner only: an annotator's server never
 * sends app.core.
 */
export function CoreStatus() {
  const [last, setLast] = useState<CoreEvent | null>(null)
  const [restarted, setRestarted] = useState(false)
  useEffect(
    () =>
      api.on('app.core', (e) => {
        setLast(e)
        if (e.state === 'restarting' || e.state === 'failed') setRestarted(true)
      }),
    []
  )
  if (!last || !restarted) return null
  if (last.state === 'restarting') {
    return (
      <Alert color="orange" variant="light" mb="sm" title={`${LANE_NAME[last.lane]} stopped`} role="alert" data-testid="core-status">
        Restarting it… {last.message} Everything saved before it stopped is kept.
      </Alert>
    )
  }
  if (last.state === 'failed') {
    return (
      <Alert color="red" variant="light" mb="sm" title={`${LANE_NAME[last.lane]} keeps stopping`} role="alert" data-testid="core-status">
        {last.message}
      </Alert>
    )
  }
  return (
    <Alert color="blue" variant="light" mb="sm" title={`${LANE_NAME[last.lane]} was restarted`} withCloseButton closeButtonLabel="Dismiss" onClose={() => setRestarted(false)} data-testid="core-status">
      A job it was running stopped; start it again to resume (an import adds nothing twice, a run continues where it stopped). Everything saved before is kept.
    </Alert>
  )
}
