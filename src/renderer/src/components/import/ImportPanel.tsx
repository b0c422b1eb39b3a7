import { useRef, useState } from 'react'
import { Alert, Button, Group, Progress, Stack, Text, TextInput } from '@mantine/core'
import type { ImportReport } from '../../../../shared/api/imhi'
import { AppError } from '../../../../shared/api/errors'
import { api } from '@renderer/api/client'
import { useAppState } from '@renderer/api/appState'
import { FolderIcon } from '../icons/icons'
import { ImportReportView } from './ImportReportView'

interface ProgressState {
  file: string
  filesDone: number
  filesTotal: number
  rows: number
}

/**
 * Imports an IMHI folder (or one CSV): the native picker in the desktop app, a path on the
 * server's disk in a browser. Shows progress from 'imhi.importProgress' and the per-file report.
 */
export function ImportPanel({ onImported }: { onImported?: (report: ImportReport) => void }) {
  const { info, reload } = useAppState()
  const [path, setPath] = useState('')
  const [running, setRunning] = useState(false)
  const [progress, setProgress] = useState<ProgressState | null>(null)
  const [report, setReport] = useState<ImportReport | null>(null)
  const [error, setError] = useState<AppError | null>(null)
  const input = useRef<HTMLInputElement>(null)
  const canPick = info?.canPickFolder ?? false

  const run = async (target: string): Promise<void> => {
    setRunning(true)
    setError(null)
    setReport(null)
    setProgress(null)
    // Listen before calling, so the first file's progress is not missed.
    const off = api.on('imhi.importProgress', (p) => setProgress(p))
    try {
      const r = await api.call('imhi.import', { path: target })
      setReport(r)
      onImported?.(r)
      await reload()
    } catch (err) {
      setError(AppError.from(err))
    } finally {
      off()
      setRunning(false)
    }
  }

  const pick = async (): Promise<void> => {
    try {
      const r = await api.call('app.pickPath', { kind: 'folder', title: 'Choose an IMHI folder (a MentalLLaMA checkout)' })
      if (r.path) {
        setPath(r.path)
        await run(r.path)
      }
    } catch (err) {
      setError(AppError.from(err))
    }
  }

  const submit = (e: React.FormEvent): void => {
    e.preventDefault()
    const target = path.trim()
    if (!target) {
      setError(new AppError('invalid_input', 'Type the path of a folder (or a CSV file) on the computer running imhi serve.'))
      input.current?.focus()
      return
    }
    void run(target)
  }

  const pct = progress && progress.filesTotal > 0 ? (100 * progress.filesDone) / progress.filesTotal : 0
  return (
    <Stack gap="sm" data-testid="import-panel">
      {canPick ? (
        <Group>
          <Button leftSection={<FolderIcon />} onClick={() => void pick()} loading={running} data-testid="import-pick">
            Import IMHI folder…
          </Button>
          <Text size="sm" c="dimmed">
            A checkout of the MentalLLaMA repository, or any folder in its layout.
          </Text>
        </Group>
      ) : (
        <form onSubmit={submit}>
          <Group align="flex-end" wrap="nowrap">
            <TextInput
              ref={input}
              style={{ flex: 1 }}
              label="IMHI folder or CSV file"
              description="A path on the disk of the computer running imhi serve, e.g. a MentalLLaMA checkout"
              placeholder="/data/MentalLLaMA"
              value={path}
              onChange={(e) => setPath(e.currentTarget.value)}
              disabled={running}
              data-testid="import-path"
              spellCheck={false}
              autoComplete="off"
            />
            <Button type="submit" loading={running} data-testid="import-submit">
              Import
            </Button>
          </Group>
        </form>
      )}
      {running && (
        <Stack gap={4} data-testid="import-progress" aria-live="polite">
          <Progress value={pct} animated striped size="lg" />
          <Group justify="space-between" wrap="nowrap">
            <Text size="xs" c="dimmed">
              {progress
                ? `${progress.filesDone} of ${progress.filesTotal} files · ${progress.rows.toLocaleString('en-US')} rows · ${progress.file}`
                : 'Reading the folder…'}
            </Text>
            {/* Stops before the next file (or inside one, rolling it back); files already in stay. */}
            <Button size="xs" variant="default" onClick={() => void api.call('imhi.cancelImport', {}).catch(() => {})} data-testid="import-cancel">
              Stop import
            </Button>
          </Group>
        </Stack>
      )}
      {error && (
        <Alert color="red" variant="light" title="Import failed" role="alert" data-testid="import-error">
          <Text size="sm" style={{ whiteSpace: 'pre-wrap' }}>
            {error.message}
          </Text>
          <Text size="xs" c="dimmed" mt={4}>
            Nothing was half-imported; the app keeps running.
          </Text>
        </Alert>
      )}
      {report?.cancelled && (
        <Alert color="yellow" variant="light" title="Import stopped" data-testid="import-cancelled">
          <Text size="sm">
            The files listed below are imported, each whole; {report.notRead ?? 0} file(s) were not read. Import the folder again to finish (imported files show as unchanged).
          </Text>
        </Alert>
      )}
      {report && <ImportReportView report={report} />}
    </Stack>
  )
}
