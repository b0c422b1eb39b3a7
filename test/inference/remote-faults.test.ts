import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createServer } from 'node:net'
import { testServices } from '../support/services'
import { tempDir } from '../support/tmp'
import { answerFor, promptLogprob, startFaultServer, type FaultServer } from '../support/fault-server'
import { writeManyItems } from './helpers'
import { dispatch } from '../../src/main/api/dispatch'
import { createHandlers } from '../../src/main/api/handlers'
import type { Provenance, RunInfo } from '../../src/shared/api/inference'
import { inferenceLmScorer } from '../../src/main/evaluation/lmscore'
import { ITEMS_WITH_POSTS, QUERY } from '../../src/main/imhi/items'

// The OpenAI-compatible engine against a fault-injecting server on 127.0.0.1: retries, pauses and
// resumes, clear messages; every request stays on this machine and every test is bounded.

const dir = tempDir('imhi-remote-')
const s = testServices()
const N = 10
let fault: FaultServer
let queries: Map<number, string>

beforeAll(async () => {
  await s.imhi.importPath(writeManyItems(dir, N))
  queries = new Map((s.db.prepare(`SELECT i.id, ${QUERY} AS query FROM ${ITEMS_WITH_POSTS} WHERE i.split = 'test_instruction'`).all() as { id: number; query: string }[]).map((r) => [r.id, r.query]))
  fault = await startFaultServer()
})
afterAll(() => fault.close())

let serial = 0
function register(opts: { retries?: number; timeout?: number; model?: string; keyEnv?: string; url?: string } = {}) {
  return s.inference.engines.add({
    name: `fault-${++serial}`,
    url: opts.url ?? fault.url,
    model: opts.model,
    apiKeyEnv: opts.keyEnv,
    timeoutSeconds: opts.timeout ?? 10,
    maxRetries: opts.retries ?? 2
  })
}

function reset(fallback: FaultServer['fallback'] = 'ok') {
  fault.script = []
  fault.fallback = fallback
  fault.prompts = []
  fault.requests = 0
  fault.requireKey = null
  fault.promptLogprobs = false
  fault.models = ['fault-model']
}

const rows = (runId: number) =>
  s.db.prepare('SELECT id, item_id, text, model_file, provenance FROM explanations WHERE run_id = ? ORDER BY id').all(runId) as { id: number; item_id: number; text: string; model_file: string; provenance: string }[]

async function runOn(engineId: number, parallel = 1): Promise<RunInfo> {
  const run = s.inference.createRun({ engineId, datasets: ['DR'], split: 'test_instruction', parallel, format: 'raw', params: { temperature: 0, topP: 1, topK: 0, seed: 0, maxTokens: 32, truncation: 'middle' } }, { start: false })
  return await s.inference.runToEnd(run.id)
}

function expectEveryItemOnceWithItsOwnText(runId: number) {
  const r = rows(runId)
  expect(r).toHaveLength(N)
  expect(new Set(r.map((x) => x.item_id)).size).toBe(N)
  for (const x of r) expect(x.text).toBe(answerFor(queries.get(x.item_id)!))
}

describe('retries with backoff', () => {
  it('429, 500 and garbage answers are retried; the run completes; attempts are in the provenance', async () => {
    reset()
    fault.script = [{ status: 429 }, { status: 500 }, 'ok', 'garbage', 'ok', 'html', 'ok']
    const e = register({ retries: 3 })
    const run = await runOn(e.id)
    expect(run.status, run.error ?? '').toBe('completed')
    expectEveryItemOnceWithItsOwnText(run.id)
    const prov = rows(run.id).map((r) => JSON.parse(r.provenance) as Provenance)
    expect(prov[0].remote).toMatchObject({ engine: 'openai', server: e.name, url: fault.url, endpoint: 'completions', model: 'fault-model', attempts: 3, systemFingerprint: 'fp-test' })
    expect(prov[0].remote!.request).toEqual({ model: 'fault-model', max_tokens: 32, temperature: 0, top_p: 1, seed: 0 })
    expect(prov[0].backend).toBe(`remote:${e.name}`)
    expect(prov[0].sha256).toBeNull()
    expect(rows(run.id)[0].model_file).toBe(`fault-model @ ${e.name}`)
    // 10 items + 2 retried errors + 2 retried malformed answers.
    expect(fault.requests).toBe(N + 4)
  }, 60_000)
})

describe('the run pauses, never fails, when the server cannot go on; resume finishes it', () => {
  it('persistent 500s: paused with the reason, finished items kept; resume after the server recovers stores the rest once', async () => {
    reset()
    fault.script = ['ok', 'ok', 'ok']
    fault.fallback = { status: 500 }
    const e = register({ retries: 1 })
    const paused = await runOn(e.id, 2)
    expect(paused.status).toBe('paused')
    expect(paused.error).toMatch(/answered 500 after 1 retries/)
    expect(paused.done).toBe(3)
    const before = rows(paused.id)
    fault.fallback = 'ok'
    const done = await s.inference.runToEnd(paused.id)
    expect(done.status).toBe('completed')
    expect(rows(done.id).slice(0, 3)).toEqual(before)
    expectEveryItemOnceWithItsOwnText(done.id)
  }, 60_000)

  it('a 401 pauses with a message naming the key variable; the right key resumes it', async () => {
    reset()
    fault.requireKey = 'secret-key-123'
    process.env.IMHI_TEST_REMOTE_KEY = 'wrong-key'
    const e = register({ keyEnv: 'IMHI_TEST_REMOTE_KEY' })
    const paused = await runOn(e.id)
    expect(paused.status).toBe('paused')
    expect(paused.error).toMatch(/refused the API key \(401\): check IMHI_TEST_REMOTE_KEY/)
    expect(paused.error).not.toContain('wrong-key')
    process.env.IMHI_TEST_REMOTE_KEY = 'secret-key-123'
    const done = await s.inference.runToEnd(paused.id)
    expect(done.status).toBe('completed')
    expectEveryItemOnceWithItsOwnText(done.id)
    // The key is nowhere in the database.
    const dump = JSON.stringify(s.db.prepare('SELECT * FROM engines').all()) + JSON.stringify(s.db.prepare('SELECT * FROM runs').all()) + JSON.stringify(rows(done.id))
    expect(dump).not.toContain('secret-key-123')
    delete process.env.IMHI_TEST_REMOTE_KEY
  }, 60_000)

  it('an unset key variable, a model the server lacks, a URL that does not answer, a very slow server: paused with a clear message, nothing stored', async () => {
    reset()
    const unset = await runOn(register({ keyEnv: 'IMHI_TEST_NOT_SET_ANYWHERE' }).id)
    expect(unset).toMatchObject({ status: 'paused', done: 0 })
    expect(unset.error).toMatch(/IMHI_TEST_NOT_SET_ANYWHERE, which is not set/)

    const noModel = await runOn(register({ model: 'MentaLLaMA-chat-13B' }).id)
    expect(noModel).toMatchObject({ status: 'paused', done: 0 })
    expect(noModel.error).toMatch(/has no model "MentaLLaMA-chat-13B"; it offers: fault-model/)

    // A port that nothing listens on.
    const port = await new Promise<number>((resolve) => {
      const srv = createServer().listen(0, '127.0.0.1', () => {
        const p = (srv.address() as { port: number }).port
        srv.close(() => resolve(p))
      })
    })
    const gone = await runOn(register({ url: `http://127.0.0.1:${port}/v1`, retries: 1 }).id)
    expect(gone).toMatchObject({ status: 'paused', done: 0 })
    expect(gone.error).toMatch(/does not answer \(ECONNREFUSED\) after 1 retries/)

    reset({ delayMs: 3000 })
    const slow = await runOn(register({ timeout: 1, retries: 0 }).id)
    expect(slow).toMatchObject({ status: 'paused', done: 0 })
    expect(slow.error).toMatch(/did not answer within 1 s/)
    for (const r of [unset, noModel, gone, slow]) expect(rows(r.id)).toHaveLength(0)
  }, 60_000)

  it('a request the server rejects as bad (400) fails that item only; the others are stored; resume retries it', async () => {
    reset()
    fault.script = ['ok', { status: 400, body: JSON.stringify({ error: { message: 'prompt too long for the context' } }) }]
    const e = register()
    const run = await runOn(e.id)
    expect(run.status).toBe('failed')
    expect(run.done).toBe(N - 1)
    expect(run.error).toMatch(/rejected the request \(400\): prompt too long/)
    const done = await s.inference.runToEnd(run.id)
    expect(done.status).toBe('completed')
    expectEveryItemOnceWithItsOwnText(done.id)
  }, 60_000)

  it('pause by the user mid-run: in-flight requests are dropped, nothing is stored twice', async () => {
    reset({ delayMs: 150 })
    const e = register()
    const run = s.inference.createRun({ engineId: e.id, datasets: ['DR'], split: 'test_instruction', parallel: 3, format: 'raw', params: { temperature: 0, topP: 1, topK: 0, seed: 0, maxTokens: 16, truncation: 'middle' } })
    while (s.inference.getRun(run.id).done < 3) await new Promise((r) => setTimeout(r, 20))
    const paused = await s.inference.pauseRun(run.id)
    expect(paused.status).toBe('paused')
    expect(paused.error).toBeNull()
    reset()
    const done = await s.inference.runToEnd(run.id)
    expect(done.status).toBe('completed')
    expectEveryItemOnceWithItsOwnText(done.id)
  }, 60_000)
})

describe('a paused run and its server', () => {
  it('a server removed and registered again under its name (at a new URL) takes the run on; unregistered, resume says so', async () => {
    reset()
    fault.script = ['ok', 'ok']
    fault.fallback = { status: 503 }
    const e = register({ retries: 0 })
    const paused = await runOn(e.id)
    expect(paused).toMatchObject({ status: 'paused', done: 2 })
    s.inference.removeEngine(e.id)
    await expect(s.inference.runToEnd(paused.id)).rejects.toThrow(new RegExp(`server "${e.name}", which is no longer registered: register it again under that name`))
    expect(s.inference.getRun(paused.id)).toMatchObject({ status: 'paused', done: 2 })
    reset()
    const again = s.inference.engines.add({ name: e.name, url: `http://localhost:${fault.port}/v1`, timeoutSeconds: 10, maxRetries: 0 })
    const done = await s.inference.runToEnd(paused.id)
    expect(done).toMatchObject({ status: 'completed', engineId: again.id })
    expectEveryItemOnceWithItsOwnText(done.id)
    const urls = new Set(rows(done.id).map((r) => (JSON.parse(r.provenance) as Provenance).remote!.url))
    expect(urls).toEqual(new Set([fault.url, `http://localhost:${fault.port}/v1`]))
  }, 60_000)
})

describe('single-post generation on a server', () => {
  it('streams from the chat endpoint and stores the text with provenance; a truncated stream is a clear error and stores nothing', async () => {
    reset()
    const e = register()
    const item = [...queries.keys()][0]
    const pieces: string[] = []
    const ex = await s.inference.generate({ requestId: 'r1', itemId: item, engineId: e.id, format: 'chat', params: { maxTokens: 20 } }, (t) => pieces.push(t))
    expect(pieces.length).toBeGreaterThan(1)
    expect(pieces.join('')).toBe(ex.text)
    expect(ex.text).toBe(answerFor(queries.get(item)!))
    expect(ex.modelId).toBeNull()
    expect(ex.provenance.remote).toMatchObject({ endpoint: 'chat.completions', model: 'fault-model' })
    const count = () => (s.db.prepare('SELECT COUNT(*) AS n FROM explanations WHERE run_id IS NULL').get() as { n: number }).n
    const before = count()
    fault.script = ['truncated-stream']
    await expect(s.inference.generate({ requestId: 'r2', itemId: item, engineId: e.id, format: 'raw', params: {} }, () => {})).rejects.toThrow(
      /stream ended before the answer was complete|does not answer|terminated/
    )
    fault.script = ['no-choices', 'no-choices', 'no-choices']
    await expect(s.inference.generate({ requestId: 'r3', itemId: item, engineId: e.id, format: 'raw', params: {} })).rejects.toThrow(/malformed answer: the answer is not an OpenAI completion/)
    expect(count()).toBe(before)
  }, 60_000)
})

describe('LM score from a server', () => {
  it("uses the server's prompt log-probabilities where it offers them, and says so where not", async () => {
    reset()
    const e = register()
    expect((await s.inference.checkEngine(e.id)).promptLogprobs).toBe(false)
    await expect(s.inference.scoreLogProbRemote({ engineId: e.id, context: 'I feel', continuation: ' sad and tired' })).rejects.toThrow(/does not return prompt log-probabilities/)
    fault.promptLogprobs = true
    const check = await s.inference.checkEngine(e.id)
    expect(check.promptLogprobs).toBe(true)
    expect(check.message).toMatch(/returns prompt log-probabilities/)
    const r = await s.inference.scoreLogProbRemote({ engineId: e.id, context: 'I feel', continuation: ' sad and tired' })
    // The continuation's tokens only: " sad", " and", " tired".
    const want = [' sad', ' and', ' tired'].map(promptLogprob)
    expect(r.tokens).toBe(3)
    expect(r.logProbs).toEqual(want)
    expect(r.meanLogProb).toBeCloseTo(want.reduce((a, b) => a + b, 0) / 3, 12)
    // The evaluation domain's LM scorer takes the server as server:NAME.
    const scorer = inferenceLmScorer(s.inference, `server:${e.name}`)
    expect(await scorer.score('I feel', ' sad and tired')).toEqual({ meanLogProb: r.meanLogProb, tokens: 3, truncated: false })
    await expect(inferenceLmScorer(s.inference, 'server:nope').score('a', 'b')).rejects.toThrow(/No registered server "nope"/)
  }, 30_000)
})

describe('registering a server', () => {
  it('validates the URL and the key variable; never stores a key in the URL; the API door checks the payload', async () => {
    reset()
    expect(() => s.inference.engines.add({ name: 'x1', url: 'ftp://host/v1', timeoutSeconds: 5, maxRetries: 1 })).toThrow(/only http/)
    expect(() => s.inference.engines.add({ name: 'x2', url: 'http://user:pw@host/v1', timeoutSeconds: 5, maxRetries: 1 })).toThrow(/no user name or password/)
    expect(() => s.inference.engines.add({ name: 'x3', url: 'http://host/v1?api_key=abc', timeoutSeconds: 5, maxRetries: 1 })).toThrow(/no \?query/)
    expect(() => s.inference.engines.add({ name: 'x4', url: 'not a url', timeoutSeconds: 5, maxRetries: 1 })).toThrow(/is not a URL/)
    expect(s.inference.engines.add({ name: 'x5', url: 'http://gpu-box:8000', timeoutSeconds: 5, maxRetries: 1 }).url).toBe('http://gpu-box:8000/v1')
    const handlers = createHandlers(s)
    const ctx = { client: { id: 't', transport: 'serve' as const, role: 'owner' as const, annotatorId: null }, emit: () => {} }
    await expect(dispatch(handlers, 'inference.engines.add', { name: 'x6', url: 'http://h/v1', apiKeyEnv: 'sk-abc def' }, ctx)).rejects.toMatchObject({ code: 'invalid_input' })
    await expect(dispatch(handlers, 'inference.runs.create', { datasets: ['DR'], split: 'test_instruction' }, ctx)).rejects.toThrow(/either modelId .* or engineId/)
    const check = await dispatch(handlers, 'inference.engines.check', { id: register().id }, ctx)
    expect(check).toMatchObject({ ok: true, model: 'fault-model', models: ['fault-model'], promptLogprobs: false })
  }, 30_000)
})
