import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { WebSocket } from 'ws'
import { startServer, type RunningServer } from '../../src/main/server/serve'
import { createHandlers } from '../../src/main/api/handlers'
import { ANNOTATOR_SURFACE, EVENT_AUDIENCE } from '../../src/main/api/audience'
import type { EventName, MethodName } from '../../src/shared/api/contract'
import type { ServerMessage } from '../../src/shared/api/protocol'
import { testServices } from '../support/services'
import { tempDir } from '../support/tmp'
import { writeImhiFixture } from '../support/imhi-fixture'

// Defect 3: blinding leaks to annotators. Everything an annotator's token can receive is listed in
// one place (api/audience.ts: ANNOTATOR_SURFACE); this test calls every listed method, fires every
// event of the contract, and checks that nothing an annotator receives names a model, a path, a
// run, a source or another annotator.

const MODEL_FILE = 'SecretModel-13B.Q4_K_M.gguf'
const RUN_NAME = 'secret-run-name'

class Client {
  readonly messages: ServerMessage[] = []
  private next = 1
  private constructor(readonly ws: WebSocket) {
    ws.on('message', (d) => this.messages.push(JSON.parse(String(d)) as ServerMessage))
  }
  static open(url: string): Promise<Client> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url)
      ws.once('open', () => resolve(new Client(ws)))
      ws.once('error', reject)
    })
  }
  call(method: string, params: unknown): Promise<ServerMessage> {
    const id = this.next++
    this.ws.send(JSON.stringify({ type: 'call', id, method, params }))
    return new Promise((resolve, reject) => {
      const t0 = Date.now()
      const poll = () => {
        const m = this.messages.find((x) => x.type !== 'event' && x.id === id)
        if (m) return resolve(m)
        if (Date.now() - t0 > 10_000) return reject(new Error(`no answer to ${method}`))
        setTimeout(poll, 5)
      }
      poll()
    })
  }
  events(): { event: string; payload: unknown }[] {
    return this.messages.filter((m): m is Extract<ServerMessage, { type: 'event' }> => m.type === 'event').map((m) => ({ event: m.event, payload: m.payload }))
  }
}

/** Every value under a key named annotatorId (or annotator.id) in a JSON value. */
function annotatorIds(value: unknown, parentKey = ''): number[] {
  if (Array.isArray(value)) return value.flatMap((v) => annotatorIds(v, parentKey))
  if (value && typeof value === 'object') {
    return Object.entries(value).flatMap(([k, v]) => {
      if (k === 'annotatorId' && typeof v === 'number') return [v]
      if (k === 'id' && parentKey === 'annotator' && typeof v === 'number') return [v]
      return annotatorIds(v, k)
    })
  }
  return []
}

async function settle(): Promise<void> {
  await new Promise((r) => setTimeout(r, 100))
}

describe('blinding: what an annotator token can receive', () => {
  const s = testServices()
  const dir = tempDir()
  let server: RunningServer
  let alice: Client
  let bob: Client
  let aliceId: number
  let bobId: number
  let studyId: number
  let otherStudyId: number

  beforeAll(async () => {
    await s.imhi.importPath(writeImhiFixture(dir))
    // A finished run with a model name and outputs in the raw form ("Yes, ... Reasoning: ...").
    const run = s.db
      .prepare("INSERT INTO runs (name, model_file, prompt_format, datasets, split, status, backend) VALUES (?, ?, 'raw', '[\"DR\"]', 'test_instruction', 'completed', 'cpu')")
      .run(RUN_NAME, MODEL_FILE)
    const items = s.db.prepare("SELECT id FROM items WHERE dataset = 'DR' AND split = 'test_instruction' ORDER BY id").all() as { id: number }[]
    for (const it of items) {
      s.db
        .prepare("INSERT INTO explanations (item_id, run_id, model_file, text, prompt_format) VALUES (?, ?, ?, ?, 'raw')")
        .run(it.id, run.lastInsertRowid, MODEL_FILE, `Yes, the poster suffers from depression. Reasoning: the model's own words about item ${it.id}.`)
    }
    const study = s.annotation.createStudy({
      name: 'Blind study',
      sources: [{ kind: 'gold', dataset: 'DR', split: 'test_instruction' }, { kind: 'expert' }, { kind: 'run', runId: Number(run.lastInsertRowid) }],
      seed: 1,
      annotatorsPerItem: 2,
      annotators: ['alice', 'bob'],
      extraAspects: [],
      breakMinutes: 45
    })
    studyId = study.id
    otherStudyId = s.annotation.createStudy({
      name: 'Not hers',
      sources: [{ kind: 'expert' }],
      seed: 2,
      annotatorsPerItem: 1,
      annotators: ['carol'],
      extraAspects: [],
      breakMinutes: 45
    }).id
    const people = s.annotation.annotators()
    const a = people.find((p) => p.name === 'alice')!
    const b = people.find((p) => p.name === 'bob')!
    aliceId = a.id
    bobId = b.id
    const rendererDir = join(dir, 'renderer')
    mkdirSync(rendererDir, { recursive: true })
    writeFileSync(join(rendererDir, 'index.html'), '<!doctype html>')
    server = await startServer({ handlers: createHandlers(s), events: s.events, rendererDir, port: 0, resolveToken: (t) => s.annotation.resolveToken(t) })
    const base = `ws://127.0.0.1:${server.port}/api/ws?token=`
    alice = await Client.open(base + encodeURIComponent(a.token))
    bob = await Client.open(base + encodeURIComponent(b.token))
  })
  afterAll(async () => {
    alice?.ws.close()
    bob?.ws.close()
    await server?.close()
  })

  it('the surface is listed in one place: the annotator methods of the contract and the events they may hear', () => {
    expect([...ANNOTATOR_SURFACE.methods].sort()).toEqual(
      ['annotation.item', 'annotation.myStudies', 'annotation.queue', 'annotation.rate', 'annotation.setItemState', 'app.info'].sort()
    )
    expect([...ANNOTATOR_SURFACE.events].sort()).toEqual(['annotation.changed', 'annotation.studiesChanged'])
  })

  it('every method and event an annotator receives carries no model name, path, run, source or other annotator id', async () => {
    const called = new Set<MethodName>()
    const answers: unknown[] = []
    const call = async (method: MethodName, params: unknown) => {
      called.add(method)
      const m = await alice.call(method, params)
      expect(m.type, `${method}: ${JSON.stringify(m)}`).toBe('result')
      answers.push((m as { result: unknown }).result)
      return (m as { result: unknown }).result
    }
    const info = (await call('app.info', {})) as { dbFile: string | null; dataDir: string | null; role: string; database: string }
    expect(info).toMatchObject({ dbFile: null, dataDir: null, role: 'annotator' })
    expect(info.database).toMatch(/^[0-9a-f]{16}$/)
    await call('annotation.myStudies', {})
    const queue = (await call('annotation.queue', { studyId })) as { entries: { studyItemId: number }[] }
    expect(queue.entries.length).toBeGreaterThan(0)
    const texts: string[] = []
    for (const e of queue.entries) {
      const item = (await call('annotation.item', { studyId, studyItemId: e.studyItemId })) as { explanation: string }
      texts.push(item.explanation)
    }
    await call('annotation.rate', { studyId, studyItemId: queue.entries[0].studyItemId, aspect: 'fluency', score: 2 })
    await call('annotation.setItemState', { studyId, studyItemId: queue.entries[0].studyItemId, flagged: true })
    expect([...called].sort()).toEqual([...ANNOTATOR_SURFACE.methods].sort())

    // Bob rates; the owner changes both studies; every event of the contract is fired with
    // payloads that name the model and the paths.
    const bobQueue = (await bob.call('annotation.queue', { studyId })) as { result: { entries: { studyItemId: number }[] } }
    await bob.call('annotation.rate', { studyId, studyItemId: bobQueue.result.entries[0].studyItemId, aspect: 'overall', score: 1 })
    s.annotation.updateStudy({ studyId, name: 'Blind study (renamed)' })
    s.annotation.updateStudy({ studyId: otherStudyId, name: 'Not hers (renamed)' })
    const secretPayloads: { [E in EventName]: unknown } = {
      'app.log': { level: 'warn', message: `loading ${MODEL_FILE} from ${dir}` },
      'app.core': { lane: 'jobs', state: 'restarting', message: `stopped while importing ${dir}` },
      'imhi.importProgress': { file: 'test_data/test_instruction/DR.csv', filesDone: 1, filesTotal: 2, rows: 3 },
      'inference.token': { requestId: 'r', text: 'Yes, the poster', tokens: 3 },
      'inference.downloadProgress': { id: 'd', url: `hf:x/${MODEL_FILE}`, file: join(dir, MODEL_FILE) },
      'inference.runProgress': { runId: 1, status: 'running', done: 1, total: 3, itemsPerSecond: 1, tokensPerSecond: 1, etaSeconds: 1, error: null },
      'inference.status': { model: { file: MODEL_FILE, path: join(dir, MODEL_FILE) }, backend: 'cpu' },
      'evaluation.progress': { stage: 'train', dataset: 'DR', done: 1, total: 2 },
      'annotation.changed': { studyId, annotatorId: bobId, studyItemId: 1 },
      'annotation.studiesChanged': { studyId: otherStudyId }
    }
    for (const [event, payload] of Object.entries(secretPayloads)) s.events.broadcast(event as EventName, payload as never)
    await settle()

    const events = alice.events()
    // She hears about her own rating and her study, nothing else.
    expect(events.length).toBeGreaterThan(0)
    for (const e of events) expect(ANNOTATOR_SURFACE.events).toContain(e.event)
    expect(events.some((e) => e.event === 'annotation.changed' && (e.payload as { annotatorId: number }).annotatorId === aliceId)).toBe(true)
    expect(events.some((e) => e.event === 'annotation.studiesChanged' && (e.payload as { studyId: number }).studyId === studyId)).toBe(true)
    expect(events.some((e) => e.event === 'annotation.studiesChanged' && (e.payload as { studyId: number }).studyId === otherStudyId)).toBe(false)
    // ... while the owner-side listener (the desktop window) heard all of them.
    expect(Object.keys(EVENT_AUDIENCE).sort()).toEqual(Object.keys(secretPayloads).sort())

    const everything = JSON.stringify([answers, alice.messages])
    for (const secret of [MODEL_FILE, 'SecretModel', RUN_NAME, dir, s.platform.dbFile, 'test_data/', '.csv', 'run:', '"gold"', '"expert"', 'bob', 'carol']) {
      expect(everything, `an annotator received "${secret}"`).not.toContain(secret)
    }
    expect(new Set(annotatorIds([answers, alice.messages]))).toEqual(new Set([aliceId]))

    // One text form: no explanation she sees starts with a label sentence or carries the marker.
    for (const t of texts) {
      expect(t).not.toMatch(/reasoning\s*:/i)
      expect(t).not.toMatch(/^(yes|no)\b/i)
    }
  })

  it('the explanation form is chosen per study and recorded: "full" keeps the label sentence for every source', () => {
    const run = s.db.prepare('SELECT id FROM runs WHERE name = ?').get(RUN_NAME) as { id: number }
    const full = s.annotation.createStudy({
      name: 'Full form',
      sources: [{ kind: 'gold', dataset: 'DR', split: 'test_instruction' }, { kind: 'run', runId: run.id }],
      seed: 3,
      annotatorsPerItem: 1,
      annotators: ['dave'],
      extraAspects: [],
      breakMinutes: 45,
      explanationForm: 'full'
    })
    expect(full.spec).toMatchObject({ explanationForm: 'full' })
    const rows = s.db.prepare('SELECT explanation, source FROM study_items WHERE study_id = ?').all(full.id) as { explanation: string; source: string }[]
    expect(rows.length).toBe(6)
    for (const r of rows) expect(r.explanation, r.source).toMatch(/^(yes|no)\b.*Reasoning:/is)
    const blind = s.annotation.study(studyId)
    expect(blind.spec).toMatchObject({ explanationForm: 'reasoning' })
  })
})
