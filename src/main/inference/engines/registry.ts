import type { Db } from '../../db/open'
import { AppError } from '../../../shared/api/errors'
import { engineAddSchema, type EngineAddInput, type EngineInfo } from '../../../shared/api/inference'
import type { ApiKeyStore } from './keys'

interface EngineRow {
  id: number
  name: string
  kind: 'openai' | 'onnx-seq2seq'
  url: string
  api_key_env: string | null
  model: string | null
  timeout_seconds: number
  max_retries: number
  added_at: string
}

function toInfo(r: EngineRow, keys: ApiKeyStore | undefined): EngineInfo {
  const stored = safeHas(keys, r.name)
  return {
    id: r.id,
    name: r.name,
    kind: r.kind,
    url: r.url,
    apiKeyEnv: r.api_key_env,
    apiKeySet: (r.api_key_env !== null && !!process.env[r.api_key_env]) || stored,
    apiKeyStored: stored,
    model: r.model,
    timeoutSeconds: r.timeout_seconds,
    maxRetries: r.max_retries,
    addedAt: r.added_at
  }
}

/**
 * The base URL as the OpenAI client wants it: http(s), no query or fragment, no credentials,
 * ending in /v1 (added when the user gave the bare server address).
 */
export function normalizeServerUrl(raw: string): string {
  let u: URL
  try {
    u = new URL(raw.trim())
  } catch {
    throw new AppError('invalid_input', `"${raw}" is not a URL: give the server's address, e.g. http://gpu-box:8000/v1`, { field: 'url' })
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new AppError('invalid_input', `${raw}: only http:// and https:// servers are supported.`, { field: 'url' })
  if (u.username || u.password) {
    throw new AppError('invalid_input', `${u.host}: put no user name or password in the URL (it would be stored); give the key through an environment variable.`, { field: 'url' })
  }
  if (u.search || u.hash) throw new AppError('invalid_input', `${raw}: the URL must have no ?query or #fragment (it would be stored; a key goes in an environment variable).`, { field: 'url' })
  let path = u.pathname.replace(/\/+$/, '')
  if (!/\/v\d+$/.test(path)) path += '/v1'
  return `${u.protocol}//${u.host}${path}`
}

function safeHas(keys: ApiKeyStore | undefined, name: string): boolean {
  try {
    return keys?.has(name) ?? false
  } catch {
    return false
  }
}

/**
 * Registered OpenAI-compatible servers (the engines table). `keys`: the host's keychain (the
 * desktop app), where a server's API key may be kept instead of an environment variable.
 */
export function createEngineRegistry(db: Db, keys?: ApiKeyStore) {
  const q = {
    all: db.prepare<[], EngineRow>('SELECT * FROM engines ORDER BY name'),
    byId: db.prepare<[number], EngineRow>('SELECT * FROM engines WHERE id = ?'),
    byName: db.prepare<[string], EngineRow>('SELECT * FROM engines WHERE name = ?'),
    insert: db.prepare(
      `INSERT INTO engines (name, kind, url, api_key_env, model, timeout_seconds, max_retries)
       VALUES (@name, 'openai', @url, @apiKeyEnv, @model, @timeoutSeconds, @maxRetries)`
    ),
    insertFolder: db.prepare(`INSERT INTO engines (name, kind, url, model) VALUES (@name, 'onnx-seq2seq', @folder, @fingerprint)`),
    remove: db.prepare<[number]>('DELETE FROM engines WHERE id = ?')
  }
  return {
    list: (): EngineInfo[] => q.all.all().map((r) => toInfo(r, keys)),
    get(id: number): EngineInfo {
      const r = q.byId.get(id)
      if (!r) throw new AppError('not_found', `No registered server with id ${id}.`, { field: 'engineId' })
      return toInfo(r, keys)
    },
    byName(name: string): EngineInfo | null {
      const r = q.byName.get(name)
      return r ? toInfo(r, keys) : null
    },
    add(input: EngineAddInput): EngineInfo {
      const v = engineAddSchema.parse(input)
      const url = normalizeServerUrl(v.url)
      if (q.byName.get(v.name)) throw new AppError('conflict', `A server named "${v.name}" is already registered.`, { field: 'name' })
      if (v.apiKey !== undefined) {
        if (v.apiKeyEnv) throw new AppError('invalid_input', 'Give the API key or the name of the environment variable holding it, not both.', { field: 'apiKey' })
        if (!keys) throw new AppError('unsupported', 'Keeping an API key needs the desktop app (its system keychain); here, give the name of an environment variable that holds the key.', { field: 'apiKey' })
        const s = keys.status()
        if (!s.available) throw new AppError('unsupported', `Cannot keep the API key: ${s.reason}.`, { field: 'apiKey' })
      }
      // The row (never the key) and the key (in the keychain file) together: a key that cannot be
      // kept leaves no server behind.
      const id = db.transaction(() => {
        const newId = Number(
          q.insert.run({ name: v.name, url, apiKeyEnv: v.apiKeyEnv ?? null, model: v.model ?? null, timeoutSeconds: v.timeoutSeconds, maxRetries: v.maxRetries }).lastInsertRowid
        )
        if (v.apiKey !== undefined) keys!.set(v.name, v.apiKey)
        else if (safeHas(keys, v.name)) keys!.remove(v.name) // a key left by an earlier server of this name
        return newId
      })()
      return toInfo(q.byId.get(id)!, keys)
    },
    /**
     * A converted seq2seq folder (MentalBART, MentalT5) as engine kind 'onnx-seq2seq': url holds the
     * folder, model its SHA-256 fingerprint (engines/seq2seq.ts checks the folder before this).
     */
    addFolder(input: { name: string; folder: string; fingerprint: string }): EngineInfo {
      if (q.byName.get(input.name)) throw new AppError('conflict', `An engine named "${input.name}" is already registered.`, { field: 'name' })
      const id = Number(q.insertFolder.run(input).lastInsertRowid)
      return toInfo(q.byId.get(id)!, keys)
    },
    /** Its runs keep their rows (engine_id becomes NULL); they cannot be resumed until it is added again. */
    remove(id: number): { removed: number } {
      const r = q.byId.get(id)
      const removed = q.remove.run(id).changes
      if (r && safeHas(keys, r.name)) keys!.remove(r.name)
      return { removed }
    },
    /** The key kept for a server in the keychain (null: none, or no keychain here). */
    storedKey(info: EngineInfo): string | null {
      return keys && safeHas(keys, info.name) ? keys.get(info.name) : null
    },
    keychain(): { available: boolean; reason: string } {
      return keys ? keys.status() : { available: false, reason: 'API keys can be kept only in the desktop app (its system keychain); use an environment variable' }
    }
  }
}
export type EngineRegistry = ReturnType<typeof createEngineRegistry>
