import { useState } from 'react'
import { Button, Group, NumberInput, PasswordInput, Stack, Text, TextInput } from '@mantine/core'
import { api } from '@renderer/api/client'
import { useCall } from '@renderer/api/hooks'
import { notifyError, notifySuccess } from '@renderer/components/errors/notify'
import type { EngineCheck, EngineInfo } from '../../../../shared/api/inference'

/**
 * Registers a remote OpenAI-compatible server (vLLM, llama-server, Ollama, TGI, another workbench's
 * `imhi serve --engine`). Its API key: in the desktop app, typed here and kept by the system
 * keychain (never in the database); everywhere, the name of an environment variable that holds it.
 */
export function EngineForm({ onAdded }: { onAdded: (e: EngineInfo, check: EngineCheck) => void }) {
  const [name, setName] = useState('')
  const [url, setUrl] = useState('')
  const [apiKeyEnv, setApiKeyEnv] = useState('')
  const [apiKey, setApiKey] = useState('')
  const keychain = useCall('inference.engines.keychain', {}).data
  const [model, setModel] = useState('')
  const [timeout, setTimeoutSeconds] = useState<number | string>(120)
  const [retries, setRetries] = useState<number | string>(4)
  const [busy, setBusy] = useState(false)

  const add = async () => {
    setBusy(true)
    try {
      const e = await api.call('inference.engines.add', {
        name: name.trim(),
        url: url.trim(),
        apiKeyEnv: apiKeyEnv.trim() || undefined,
        apiKey: apiKey || undefined,
        model: model.trim() || undefined,
        timeoutSeconds: Number(timeout) || 120,
        maxRetries: Number(retries) >= 0 ? Number(retries) : 4
      })
      const check = await api.call('inference.engines.check', { id: e.id })
      notifySuccess(check.message, `Server ${e.name} registered`)
      setName('')
      setUrl('')
      setApiKeyEnv('')
      setApiKey('')
      setModel('')
      onAdded(e, check)
    } catch (err) {
      notifyError(err, 'Cannot register the server')
    } finally {
      setBusy(false)
    }
  }

  return (
    <Stack gap={6} data-testid="engine-form">
      <Group align="flex-end" gap="xs">
        <TextInput label="Name" placeholder="gpu-box" value={name} onChange={(e) => setName(e.currentTarget.value)} w={140} data-testid="engine-name" />
        <TextInput label="Server URL" placeholder="http://gpu-box:8000/v1" value={url} onChange={(e) => setUrl(e.currentTarget.value)} w={260} data-testid="engine-url" />
        <TextInput label="API key variable" placeholder="none" description="environment variable name" value={apiKeyEnv} onChange={(e) => setApiKeyEnv(e.currentTarget.value)} w={170} data-testid="engine-key-env" disabled={!!apiKey} />
        {keychain?.available && (
          <PasswordInput label="or the API key" description="kept in the system keychain" placeholder="none" value={apiKey} onChange={(e) => setApiKey(e.currentTarget.value)} w={200} autoComplete="off" disabled={!!apiKeyEnv.trim()} data-testid="engine-key" />
        )}
        <TextInput label="Model id" placeholder="first the server lists" value={model} onChange={(e) => setModel(e.currentTarget.value)} w={220} data-testid="engine-model" />
        <NumberInput label="Timeout (s)" min={1} max={3600} value={timeout} onChange={setTimeoutSeconds} w={100} />
        <NumberInput label="Retries" min={0} max={20} value={retries} onChange={setRetries} w={80} />
        <Button onClick={() => void add()} loading={busy} disabled={!name.trim() || !url.trim()} data-testid="engine-add">
          Register server
        </Button>
      </Group>
      <Text size="xs" c="dimmed">
        Registering asks the server only for its model list. A key variable is read from the environment of the process running the workbench;
        {keychain?.available
          ? ' a key typed here is encrypted by the system keychain into a file beside the database, never written to the database or a log.'
          : ` keeping the key itself needs the desktop app (${keychain?.reason ?? 'no keychain here'}).`}
      </Text>
    </Stack>
  )
}
