import { useEffect, useState } from 'react'
import { Select, Text } from '@mantine/core'
import { api } from '@renderer/api/client'
import { useCall } from '@renderer/api/hooks'
import type { EngineCheck } from '../../../../shared/api/inference'

/** What each registered server said about prompt log-probabilities, asked once per session. */
const checked = new Map<number, Promise<EngineCheck>>()
function checkOnce(id: number): Promise<EngineCheck> {
  let p = checked.get(id)
  if (!p) {
    p = api.call('inference.engines.check', { id })
    // A failed check is asked again next time.
    p.catch(() => checked.delete(id))
    checked.set(id, p)
  }
  return p
}

/**
 * The model for the LM score: a GGUF from the library (its value is the file path) or a registered
 * server (value "server:NAME", as the evaluation API takes it). A server is asked whether it
 * returns prompt log-probabilities (a fixed probe text, no post); one that does not is listed with
 * that note and cannot be chosen.
 */
export function LmModelPicker(props: { label: string; value: string; onChange: (value: string) => void; w?: number; testId?: string }) {
  const models = useCall('inference.models.list', {})
  const engines = useCall('inference.engines.list', {})
  const [checks, setChecks] = useState<Record<number, EngineCheck | 'asking' | 'failed'>>({})
  // Servers only: a MentalBART/MentalT5 folder engine gives no prompt log-probabilities.
  const servers = (engines.data ?? []).filter((e) => e.kind === 'openai')
  const serverIds = servers.map((e) => e.id).join(',')

  useEffect(() => {
    for (const e of servers) {
      setChecks((c) => (c[e.id] ? c : { ...c, [e.id]: 'asking' }))
      checkOnce(e.id).then(
        (r) => setChecks((c) => ({ ...c, [e.id]: r })),
        () => setChecks((c) => ({ ...c, [e.id]: 'failed' }))
      )
    }
  }, [serverIds])

  const local = (models.data ?? []).filter((m) => m.kind === 'model' && !m.missing)
  const noteOf = (id: number): { note: string; usable: boolean } => {
    const c = checks[id]
    if (!c || c === 'asking') return { note: 'asking the server…', usable: true }
    if (c === 'failed' || !c.ok) return { note: 'not answering now', usable: true }
    if (c.promptLogprobs) return { note: 'prompt log-probabilities', usable: true }
    return { note: 'no prompt log-probabilities: cannot score', usable: false }
  }
  const data = [
    { group: 'Local models (GGUF)', items: local.map((m) => ({ value: m.path, label: m.fileName })) },
    {
      group: 'Remote servers',
      items: servers.map((e) => {
        const { note, usable } = noteOf(e.id)
        return { value: `server:${e.name}`, label: `${e.name} (${e.model ?? 'server default'}) · ${note}`, disabled: !usable }
      })
    }
  ].filter((g) => g.items.length > 0)
  const chosenServer = props.value.startsWith('server:') ? servers.find((e) => `server:${e.name}` === props.value) : undefined
  const empty = !models.loading && !engines.loading && data.length === 0
  const description = empty ? (
    'Add a model or register a server on the Models page first.'
  ) : chosenServer ? (
    <Text span size="xs" c="orange" data-testid={props.testId ? `${props.testId}-network` : undefined}>
      Scored from {chosenServer.name}'s prompt log-probabilities: the posts and explanations go to {chosenServer.url}.
    </Text>
  ) : undefined
  return (
    <Select
      size="xs"
      label={props.label}
      description={description}
      w={props.w ?? 320}
      placeholder={models.loading ? 'loading…' : empty ? 'no models or servers' : 'none'}
      clearable
      searchable
      nothingFoundMessage="no such model"
      data={data}
      value={props.value || null}
      onChange={(v) => props.onChange(v ?? '')}
      error={models.error?.message ?? engines.error?.message}
      data-testid={props.testId}
    />
  )
}
