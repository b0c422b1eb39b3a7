import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { tempDir } from '../support/tmp'
import { settle } from '../support/electron-stand-in'
import { testServices } from '../support/services'

/**
 * API keys of remote servers in the desktop app: kept by the OS keychain (Electron's safeStorage,
 * here the stand-in's) in a key file in the user-data folder; never in the database or a log.
 * The Electron main process runs against the recording stand-in for the 'electron' module.
 */
const rec = await vi.hoisted(async () => (await import('../support/electron-stand-in')).createRecorder())
vi.mock('electron', async () => (await import('../support/electron-stand-in')).electronModule(rec, { isPackaged: false }))

const KEY = 'sk-live-7f3a9c1e5b2d4f6a8c0e-SECRET'
const ENV_KEY = 'sk-from-env-0123456789-SECRET'

/** An OpenAI-compatible server that answers only with the right bearer key, and records what it got. */
function keyedServer(expected: () => string): Promise<Server & { seen: string[] }> {
  const seen: string[] = []
  const server = createServer((req, res) => {
    seen.push(String(req.headers.authorization ?? ''))
    res.setHeader('content-type', 'application/json')
    if (req.headers.authorization !== `Bearer ${expected()}`) {
      res.statusCode = 401
      return res.end(JSON.stringify({ error: { message: 'Invalid API key', type: 'invalid_request_error' } }))
    }
    if (req.url?.endsWith('/models')) return res.end(JSON.stringify({ object: 'list', data: [{ id: 'keyed-model', object: 'model' }] }))
    res.end(JSON.stringify({ id: 'c', object: 'text_completion', model: 'keyed-model', choices: [{ index: 0, text: 'x', finish_reason: 'length', logprobs: null }] }))
  }) as Server & { seen: string[] }
  server.seen = seen
  return new Promise((r) => server.listen(0, '127.0.0.1', () => r(server)))
}

/** Every file under a folder, as bytes (the database, its WAL, the key file, anything else). */
function filesUnder(dir: string): { path: string; bytes: Buffer }[] {
  const out: { path: string; bytes: Buffer }[] = []
  for (const name of readdirSync(dir)) {
    const p = join(dir, name)
    if (statSync(p).isDirectory()) out.push(...filesUnder(p))
    else out.push({ path: p, bytes: readFileSync(p) })
  }
  return out
}

describe('API keys in the desktop app: the OS keychain, never the database or the logs', () => {
  const dir = tempDir()
  let server: Server & { seen: string[] }
  let expectedKey = KEY
  const logged: string[] = []
  let call: (method: string, input: unknown) => Promise<{ ok: boolean; result?: any; error?: { code: string; message: string } }>

  beforeAll(async () => {
    rec.userData = dir
    process.env.IMHI_DB = join(dir, 'keychain.db')
    process.env.IMHI_TEST_KEY_VAR = ENV_KEY
    for (const m of ['log', 'info', 'warn', 'error', 'debug'] as const) {
      vi.spyOn(console, m).mockImplementation((...args: unknown[]) => void logged.push(args.map(String).join(' ')))
    }
    const out = process.stdout.write.bind(process.stdout)
    vi.spyOn(process.stdout, 'write').mockImplementation(((chunk: unknown, ...rest: unknown[]) => (logged.push(String(chunk)), out(chunk as string, ...(rest as [])))) as typeof process.stdout.write)
    const err = process.stderr.write.bind(process.stderr)
    vi.spyOn(process.stderr, 'write').mockImplementation(((chunk: unknown, ...rest: unknown[]) => (logged.push(String(chunk)), err(chunk as string, ...(rest as [])))) as typeof process.stderr.write)
    server = await keyedServer(() => expectedKey)
    await import('../../src/main/electron/index')
    await settle(rec)
    const ipc = rec.ipc.get('imhi:call')!
    const wc = rec.windows[0].webContents
    // The one RPC envelope (src/shared/api/protocol.ts) over IPC, read back as { ok, result | error }.
    let nextId = 0
    call = async (method, input) => {
      const reply = (await ipc({ senderFrame: wc.mainFrame, sender: wc }, { type: 'call', id: nextId++, method, params: input })) as { type: string; result?: unknown; error?: { code: string; message: string } }
      return reply.type === 'result' ? { ok: true, result: reply.result } : { ok: false, error: reply.error }
    }
  })

  afterAll(async () => {
    vi.restoreAllMocks()
    server.close()
    rec.appHandlers.get('will-quit')?.()
    await new Promise((r) => setTimeout(r, 50))
    delete process.env.IMHI_DB
    delete process.env.IMHI_TEST_KEY_VAR
  })

  it('says the keychain is there', async () => {
    expect(await call('inference.engines.keychain', {})).toEqual({ ok: true, result: { available: true, reason: 'system keychain (gnome_libsecret)' } })
  })

  it('engines add with a key: kept encrypted in the key file, used for requests, never in the database, its WAL or a log', async () => {
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`
    const added = await call('inference.engines.add', { name: 'gpu-box', url, apiKey: KEY })
    expect(added.ok).toBe(true)
    expect(added.result).toMatchObject({ name: 'gpu-box', apiKeyEnv: null, apiKeySet: true, apiKeyStored: true })
    expect(JSON.stringify(added.result)).not.toContain(KEY)
    // The OS keychain guards the data key (server-keys.key), written owner-only and not in plain text.
    expect(rec.calls).toContain('safeStorage.encryptString')
    const dataKeyFile = join(dir, 'server-keys.key')
    expect(existsSync(dataKeyFile)).toBe(true)
    if (process.platform !== 'win32') expect(statSync(dataKeyFile).mode & 0o777).toBe(0o600)
    expect(readFileSync(dataKeyFile).subarray(0, 3).toString()).toBe('v10')

    // The engine reads it from the keychain: the server gets the bearer key and answers.
    const check = await call('inference.engines.check', { id: added.result.id })
    expect(check.result).toMatchObject({ ok: true, model: 'keyed-model' })
    expect(server.seen).toContain(`Bearer ${KEY}`)

    const keyFile = join(dir, 'server-keys.json')
    expect(existsSync(keyFile)).toBe(true)
    if (process.platform !== 'win32') expect(statSync(keyFile).mode & 0o777).toBe(0o600)
    const stored = JSON.parse(readFileSync(keyFile, 'utf8')) as { version: number; keys: Record<string, string> }
    expect(Object.keys(stored.keys)).toEqual(['gpu-box'])

    // Not one byte sequence of the key anywhere in the user-data folder (database, WAL, key file), plain or base64.
    const files = filesUnder(dir)
    expect(files.map((f) => f.path)).toEqual(expect.arrayContaining([process.env.IMHI_DB, keyFile]))
    for (const f of files) {
      expect(f.bytes.includes(Buffer.from(KEY)), f.path).toBe(false)
      expect(f.bytes.includes(Buffer.from(Buffer.from(KEY).toString('base64').slice(0, 24))), f.path).toBe(false)
    }
    const listed = await call('inference.engines.list', {})
    expect(JSON.stringify(listed)).not.toContain(KEY)
    expect(logged.join('\n')).not.toContain(KEY)
  })

  it('a wrong key gets a 401 message that names the keychain, not the key', async () => {
    expectedKey = 'another-key'
    try {
      const list = (await call('inference.engines.list', {})).result as { id: number }[]
      const check = await call('inference.engines.check', { id: list[0].id })
      expect(check.result.ok).toBe(false)
      expect(check.result.message).toMatch(/refused the API key \(401\): check the key kept in the keychain/)
      expect(JSON.stringify(check)).not.toContain(KEY)
      expect(logged.join('\n')).not.toContain(KEY)
    } finally {
      expectedKey = KEY
    }
  })

  it('the environment variable, when set, is used instead; a server registered with one keeps nothing in the keychain', async () => {
    // (IMHI_TEST_KEY_VAR is set before the app starts: the core's processes get the environment then.)
    expectedKey = ENV_KEY
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`
      const added = await call('inference.engines.add', { name: 'env-box', url, apiKeyEnv: 'IMHI_TEST_KEY_VAR' })
      expect(added.result).toMatchObject({ apiKeyEnv: 'IMHI_TEST_KEY_VAR', apiKeySet: true, apiKeyStored: false })
      expect((await call('inference.engines.check', { id: added.result.id })).result).toMatchObject({ ok: true })
      expect(server.seen.at(-1)).toBe(`Bearer ${ENV_KEY}`)
      const stored = JSON.parse(readFileSync(join(dir, 'server-keys.json'), 'utf8')) as { keys: Record<string, string> }
      expect(Object.keys(stored.keys)).toEqual(['gpu-box'])
    } finally {
      expectedKey = KEY
    }
  })

  it('refuses a key and a variable together, leaving no server behind', async () => {
    const url = 'http://127.0.0.1:9/v1'
    const both = await call('inference.engines.add', { name: 'both', url, apiKey: KEY, apiKeyEnv: 'X' })
    expect(both.error).toMatchObject({ code: 'invalid_input' })
    expect(both.error!.message).toMatch(/not both/)
    const names = ((await call('inference.engines.list', {})).result as { name: string }[]).map((e) => e.name)
    expect(names).toEqual(['env-box', 'gpu-box'])
  })

  it('removing the server removes its key', async () => {
    const list = (await call('inference.engines.list', {})).result as { id: number; name: string }[]
    const gpu = list.find((e) => e.name === 'gpu-box')!
    expect((await call('inference.engines.remove', { id: gpu.id })).ok).toBe(true)
    const stored = JSON.parse(readFileSync(join(dir, 'server-keys.json'), 'utf8')) as { keys: Record<string, string> }
    expect(stored.keys).toEqual({})
  })
})

describe('without the desktop app (CLI, imhi serve): no keychain, the environment variable is the way', () => {
  const s = testServices()
  it('a key is refused with what to do instead; nothing is registered', () => {
    expect(() => s.inference.engines.add({ name: 'x', url: 'http://127.0.0.1:9/v1', apiKey: KEY, timeoutSeconds: 5, maxRetries: 0 })).toThrow(
      /Keeping an API key needs the desktop app \(its system keychain\); here, give the name of an environment variable/
    )
    expect(s.inference.engines.list()).toEqual([])
    expect(s.inference.engines.keychain().available).toBe(false)
  })
})

describe('the key file (createFileKeyStore)', () => {
  it('a damaged file or a key the keychain cannot decrypt: a clear error naming what to do, never the key', async () => {
    const { createFileKeyStore } = await import('../../src/main/inference/engines/keys')
    const { writeFileSync } = await import('node:fs')
    const dir = tempDir()
    const file = join(dir, 'server-keys.json')
    let broken = false
    const cipher = {
      isEncryptionAvailable: () => true,
      encryptString: (p: string) => Buffer.from([...Buffer.from(p)].map((b) => b ^ 0x33)),
      decryptString: (b: Buffer) => {
        if (broken) throw new Error('keychain changed')
        return Buffer.from([...b].map((x) => x ^ 0x33)).toString()
      }
    }
    const store = createFileKeyStore(file, cipher)
    store.set('box', KEY)
    expect(store.get('box')).toBe(KEY)
    expect(readFileSync(file, 'utf8')).not.toContain(KEY)
    broken = true
    expect(() => store.get('box')).toThrow(/The stored API key of server "box" cannot be decrypted \(the keychain changed\?\): register the server again/)
    writeFileSync(file, '{"version": 1, "keys": ')
    expect(() => store.get('box')).toThrow(/server-keys\.json is damaged .*remove it and store the keys again/)
    try {
      store.get('box')
    } catch (err) {
      expect(String((err as Error).message)).not.toContain(KEY)
    }
  })
})

describe('the core\'s cipher (dataKeyCipher): AES-256-GCM under the keychain-guarded data key', () => {
  it('round-trips, refuses a tampered value or another data key, and a store over it refuses keys without a real keychain', async () => {
    const { randomBytes } = await import('node:crypto')
    const { createFileKeyStore, dataKeyCipher } = await import('../../src/main/inference/engines/keys')
    const key = randomBytes(32)
    const c = dataKeyCipher(key, { available: true, backend: 'gnome_libsecret' })
    const enc = c.encryptString(KEY)
    expect(enc.includes(Buffer.from(KEY))).toBe(false)
    expect(c.decryptString(enc)).toBe(KEY)
    // Two encryptions of one key differ (a fresh IV each time).
    expect(c.encryptString(KEY).equals(enc)).toBe(false)
    const tampered = Buffer.from(enc)
    tampered[tampered.length - 1] ^= 1
    expect(() => c.decryptString(tampered)).toThrow()
    expect(() => dataKeyCipher(randomBytes(32), { available: true, backend: '' }).decryptString(enc)).toThrow()

    const dir = tempDir()
    const weak = createFileKeyStore(join(dir, 'server-keys.json'), dataKeyCipher(null, { available: true, backend: 'basic_text' }))
    expect(weak.status()).toEqual({ available: false, reason: expect.stringMatching(/no system keychain on this Linux desktop/) })
    expect(() => weak.set('box', KEY)).toThrow(/Cannot keep the API key: no system keychain on this Linux desktop/)
    const none = createFileKeyStore(join(dir, 'server-keys.json'), dataKeyCipher(null, { available: false, backend: '' }))
    expect(() => none.set('box', KEY)).toThrow(/the system keychain is not available/)
  })
})
