import type { Db } from '../../db/open'
import { AppError } from '../../../shared/api/errors'
import { engineAddSchema, type EngineAddInput, type EngineInfo } from '../../../shared/api/inference'

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

function toInfo(r: EngineRow): EngineInfo {
  return {
    id: r.id,
    name: r.name,
    kind: r.kind,
    url: r.url,
    apiKeyEnv: r.api_key_env,
    apiKeySet: r.api_key_env !== null && !!process.env[r.api_key_env],
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

/** Registered OpenAI-compatible servers (the engines table). */
export function createEngineRegistry(db: Db) {
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
    list: (): EngineInfo[] => q.all.all().map(toInfo),
    get(id: number): EngineInfo {
      const r = q.byId.get(id)
      if (!r) throw new AppError('not_found', `No registered server with id ${id}.`, { field: 'engineId' })
      return toInfo(r)
    },
    byName(name: string): EngineInfo | null {
      const r = q.byName.get(name)
      return r ? toInfo(r) : null
    },
    add(input: EngineAddInput): EngineInfo {
      const v = engineAddSchema.parse(input)
      const url = normalizeServerUrl(v.url)
      if (q.byName.get(v.name)) throw new AppError('conflict', `A server named "${v.name}" is already registered.`, { field: 'name' })
      const id = Number(
        q.insert.run({ name: v.name, url, apiKeyEnv: v.apiKeyEnv ?? null, model: v.model ?? null, timeoutSeconds: v.timeoutSeconds, maxRetries: v.maxRetries }).lastInsertRowid
      )
      return toInfo(q.byId.get(id)!)
    },
    /**
     * A converted seq2seq folder (MentalBART, MentalT5) as engine kind 'onnx-seq2seq': url holds the
     * folder, model its SHA-256 fingerprint (engines/seq2seq.ts checks the folder before this).
     */
    addFolder(input: { name: string; folder: string; fingerprint: string }): EngineInfo {
      if (q.byName.get(input.name)) throw new AppError('conflict', `An engine named "${input.name}" is already registered.`, { field: 'name' })
      const id = Number(q.insertFolder.run(input).lastInsertRowid)
      return toInfo(q.byId.get(id)!)
    },
    /** Its runs keep their rows (engine_id becomes NULL); they cannot be resumed until it is added again. */
    remove(id: number): { removed: number } {
      return { removed: q.remove.run(id).changes }
    }
  }
}
export type EngineRegistry = ReturnType<typeof createEngineRegistry>
