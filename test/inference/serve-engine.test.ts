import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { spawnSync, type ChildProcess } from 'node:child_process'
import { join, resolve } from 'node:path'
import OpenAI from 'openai'
import { testServices } from '../support/services'
import { tempDir } from '../support/tmp'
import { writeTinyGguf } from '../support/tiny-gguf'
import { spawnServe } from '../support/serve-process'
import { writeManyItems } from './helpers'
import type { Provenance } from '../../src/shared/api/inference'

// The remote engine against the real server on the other end: `imhi serve --engine` with the
// project's tiny GGUF on 127.0.0.1, killed (SIGKILL) and restarted in the middle of a run.

const ROOT = resolve(__dirname, '..', '..')
const dir = tempDir('imhi-serve-engine-')
const s = testServices()
const MODEL = writeTinyGguf(join(dir, 'tiny-engine.gguf'))
const TOKEN = 'serve-engine-test-token-0123456789'
const N = 40
const PARAMS = { temperature: 0, topP: 1, topK: 0, seed: 0, maxTokens: 48, truncation: 'middle' as const }

let server: { url: string; process: ChildProcess } | null = null
let port = 0

async function startEngine(): Promise<void> {
  server = await spawnServe(ROOT, ['--db', join(dir, 'server.db'), '--port', String(port), '--token', TOKEN, '--engine', MODEL, '--engine-parallel', '1'])
  port = Number(new URL(server.url).port)
}

async function killEngine(): Promise<void> {
  const p = server?.process
  server = null
  if (!p || p.exitCode !== null) return
  const exited = new Promise((r) => p.once('exit', r))
  p.kill('SIGKILL')
  await exited
}

beforeAll(async () => {
  await s.imhi.importPath(writeManyItems(dir, N))
  await startEngine()
}, 120_000)
afterAll(() => killEngine())

const rows = (runId: number) => s.db.prepare('SELECT id, item_id, text, provenance FROM explanations WHERE run_id = ? ORDER BY id').all(runId) as { id: number; item_id: number; text: string; provenance: string }[]

describe('imhi serve --engine as the OpenAI-compatible server', () => {
  it('the official client lists its model, completes, chats and streams; wrong key and unknown model are refused', async () => {
    const client = new OpenAI({ baseURL: `http://127.0.0.1:${port}/v1`, apiKey: TOKEN, maxRetries: 0 })
    const models = await client.models.list()
    expect(models.data.map((m) => m.id)).toEqual(['tiny-engine.gguf'])
    const c = await client.completions.create({ model: 'tiny-engine.gguf', prompt: 'Hello', max_tokens: 8, temperature: 0 })
    expect(c.choices[0].finish_reason).toBe('length')
    expect(c.usage).toMatchObject({ completion_tokens: 8 })
    const chat = await client.chat.completions.create({ model: 'tiny-engine.gguf', messages: [{ role: 'user', content: 'Hi' }], max_tokens: 6, temperature: 0 })
    expect(typeof chat.choices[0].message.content).toBe('string')
    let streamed = ''
    for await (const chunk of await client.completions.create({ model: 'tiny-engine.gguf', prompt: 'Hello', max_tokens: 8, temperature: 0, stream: true })) streamed += chunk.choices[0]?.text ?? ''
    expect(streamed).toBe(c.choices[0].text)
    await expect(new OpenAI({ baseURL: `http://127.0.0.1:${port}/v1`, apiKey: 'wrong-token-wrong-token', maxRetries: 0 }).models.list()).rejects.toMatchObject({ status: 401 })
    await expect(client.completions.create({ model: 'MentaLLaMA-chat-7B', prompt: 'x', max_tokens: 2 })).rejects.toMatchObject({ status: 404 })
    await expect(client.completions.create({ model: 'tiny-engine.gguf', prompt: 'x', max_tokens: 2, stop: ['\n'] })).rejects.toMatchObject({ status: 400 })
  }, 60_000)

  it('a run of 40 items, 8 in flight; the server killed and restarted mid-run; the run pauses, resumes, every item present once, text as the local engine makes it', async () => {
    process.env.IMHI_TEST_SERVE_TOKEN = TOKEN
    const engine = s.inference.engines.add({ name: 'local-serve', url: `http://127.0.0.1:${port}/v1`, apiKeyEnv: 'IMHI_TEST_SERVE_TOKEN', timeoutSeconds: 30, maxRetries: 1 })
    const run = s.inference.createRun({ engineId: engine.id, datasets: ['DR'], split: 'test_instruction', parallel: 8, format: 'raw', params: PARAMS })
    expect(run.total).toBe(N)
    for (let i = 0; i < 600 && s.inference.getRun(run.id).done < 10; i++) await new Promise((r) => setTimeout(r, 50))
    await killEngine()
    // The requests in flight fail; the client retries once, then the run pauses.
    let paused = s.inference.getRun(run.id)
    for (let i = 0; i < 600 && paused.status === 'running'; i++) {
      await new Promise((r) => setTimeout(r, 50))
      paused = s.inference.getRun(run.id)
    }
    expect(paused.status).toBe('paused')
    expect(paused.error).toMatch(/server "local-serve" .* does not answer/)
    expect(paused.done).toBeGreaterThanOrEqual(10)
    expect(paused.done).toBeLessThan(N)
    const before = rows(run.id)

    await startEngine()
    const done = await s.inference.runToEnd(run.id)
    expect(done).toMatchObject({ status: 'completed', done: N, total: N })
    const after = rows(run.id)
    expect(after).toHaveLength(N)
    expect(new Set(after.map((r) => r.item_id)).size).toBe(N)
    expect(after.slice(0, before.length)).toEqual(before)
    const prov = JSON.parse(after[0].provenance) as Provenance
    expect(prov.remote).toMatchObject({ engine: 'openai', server: 'local-serve', endpoint: 'completions', model: 'tiny-engine.gguf' })
    expect(prov.generatedTokens).toBeGreaterThan(0)

    // The same items on the local llama.cpp engine give the same greedy text: the engine does not change the answer.
    const local = await s.inference.addModel({ path: MODEL })
    const localRun = s.inference.createRun({ modelId: local.id, datasets: ['DR'], split: 'test_instruction', parallel: 1, format: 'raw', params: PARAMS }, { start: false })
    await s.inference.runToEnd(localRun.id)
    const localText = new Map(rows(localRun.id).map((r) => [r.item_id, r.text]))
    // Both sides decode each text alone (the server one lane, the local run deterministic), so the
    // texts must be identical: the engine does not change the answer. (Batched decoding would not
    // promise that: llama.cpp's batched kernels round with what else is in the batch.)
    const differing = after.filter((r) => localText.get(r.item_id) !== r.text).length
    expect(differing).toBe(0)
    delete process.env.IMHI_TEST_SERVE_TOKEN
  }, 240_000)

  it('the CLI: engines add checks the server, generate --engine warns, runs and stores; a server gone pauses the run with a non-zero exit and the reason', async () => {
    const db = join(dir, 'cli.db')
    const env = { ...process.env, IMHI_CLI_ENGINE_KEY: TOKEN }
    const cli = (args: string[]) => spawnSync(process.execPath, [join(ROOT, 'bin', 'imhi.js'), ...args, '--db', db], { cwd: ROOT, encoding: 'utf8', env })
    expect(cli(['import', writeManyItems(join(dir, 'cli'), 4)]).status).toBe(0)
    const added = cli(['engines', 'add', 'box', '--url', `http://127.0.0.1:${port}`, '--api-key-env', 'IMHI_CLI_ENGINE_KEY', '--retries', '0', '--json'])
    expect(added.status, added.stderr).toBe(0)
    const info = JSON.parse(added.stdout) as { url: string; apiKeyEnv: string; check: { ok: boolean; model: string } }
    expect(info).toMatchObject({ url: `http://127.0.0.1:${port}/v1`, apiKeyEnv: 'IMHI_CLI_ENGINE_KEY', check: { ok: true, model: 'tiny-engine.gguf' } })
    expect(added.stdout).not.toContain(TOKEN)
    const run = cli(['generate', '--engine', 'box', '--dataset', 'DR', '--split', 'instruction', '--parallel', '4', '--max-tokens', '16', '--json', '--quiet'])
    expect(run.status, run.stderr).toBe(0)
    expect(run.stderr).toMatch(/the 4 post\(s\) of this run are sent to http:\/\/127\.0\.0\.1:\d+\/v1 \(server "box"\), over plain HTTP/)
    expect(JSON.parse(run.stdout)).toMatchObject({ run: 1, items: 4, status: 'completed' })
    expect(cli(['generate', '--model', MODEL, '--engine', 'box', '--dataset', 'DR', '--split', 'instruction']).stderr).toMatch(/either --model .* or --engine/)

    await killEngine()
    const paused = cli(['generate', '--engine', 'box', '--dataset', 'DR', '--split', 'instruction', '--max-tokens', '16', '--json', '--quiet'])
    expect(paused.status).toBe(1)
    expect(paused.stderr).toMatch(/run 2 paused: server "box" .* does not answer \(ECONNREFUSED\).*Resume with: imhi runs resume 2/)
    await startEngine()
    const resumed = cli(['runs', 'resume', '2', '--json', '--quiet'])
    expect(resumed.status, resumed.stderr).toBe(0)
    expect(JSON.parse(resumed.stdout)).toMatchObject({ run: 2, items: 4, status: 'completed' })
  }, 240_000)
})
