import { beforeAll, describe, expect, it } from 'vitest'
import { createServer, type Server } from 'node:http'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { AddressInfo } from 'node:net'
import Papa from 'papaparse'
import { testServices } from '../support/services'
import { tempDir } from '../support/tmp'
import { tinyGguf, writeTinyGguf } from '../support/tiny-gguf'
import { SHARED_TINY_MODEL, hasSharedModel, sharedSkipReason } from '../support/shared'
import { writeManyItems } from './helpers'
import type { ModelInfo } from '../../src/shared/api/inference'

const dir = tempDir('imhi-inf-')
const s = testServices()
const TINY = writeTinyGguf(join(dir, 'imhi-tiny.gguf'))
const LORA = writeTinyGguf(join(dir, 'imhi-tiny-lora.gguf'), { lora: { rank: 4, alpha: 8 } })
const greedy = { temperature: 0, topP: 1, topK: 0, seed: 0, maxTokens: 24, truncation: 'middle' as const }

let model: ModelInfo
let items: number[]

beforeAll(async () => {
  await s.imhi.importPath(writeManyItems(dir, 12))
  items = (s.db.prepare("SELECT id FROM items WHERE split = 'test_instruction' ORDER BY source_row").all() as { id: number }[]).map((r) => r.id)
  model = await s.inference.addModel({ path: TINY })
})

describe('model library on the real llama.cpp (tiny GGUF written by the project)', () => {
  it('reads metadata without loading weights: architecture, parameters, type, context, hash, memory estimate', () => {
    expect(model.kind).toBe('model')
    expect(model.architecture).toBe('llama')
    expect(model.metadata.ggufVersion).toBe(3)
    expect(model.metadata.contextLength).toBe(512)
    expect(model.metadata.layers).toBe(2)
    expect(model.metadata.fileType).toBe('ALL_F32')
    // 2 x (vocab x 32) + 2 norms of 32 + 2 layers x (4 x 32x32 + 3 x 32x64 + 2 x 32)
    const vocab = model.metadata.vocabSize!
    expect(model.metadata.parameters).toBe(2 * vocab * 32 + 32 + 2 * (4 * 1024 + 3 * 2048 + 64))
    expect(model.sha256).toMatch(/^[0-9a-f]{64}$/)
    expect(model.metadata.memory?.fitsInRam).toBe(true)
    expect(s.inference.status().backend?.reason).toMatch(/^(CPU|CUDA|VULKAN|METAL)/)
  })

  it('adding the same path again keeps one entry', async () => {
    const again = await s.inference.addModel({ path: TINY })
    expect(again.id).toBe(model.id)
    expect(s.inference.library.list().filter((m) => m.kind === 'model')).toHaveLength(1)
  })

  it('rejects a truncated GGUF and an unsupported architecture with the file named', async () => {
    const cut = join(dir, 'cut.gguf')
    writeFileSync(cut, tinyGguf().subarray(0, 150_000))
    await expect(s.inference.addModel({ path: cut })).rejects.toThrow(/cut\.gguf is truncated: its header describes [\d,]+ bytes but the file has 150,000/)
    const foo = writeTinyGguf(join(dir, 'foo.gguf'), { architecture: 'fooformer' })
    await expect(s.inference.addModel({ path: foo })).rejects.toThrow(/foo\.gguf: architecture "fooformer" is not supported/)
    const text = join(dir, 'readme.gguf')
    writeFileSync(text, 'not a model')
    await expect(s.inference.addModel({ path: text })).rejects.toMatchObject({ code: 'bad_file' })
    expect(s.inference.library.list().map((m) => m.fileName)).not.toContain('cut.gguf')
  })

  it('adds a LoRA adapter to its base model and generation with it differs and is recorded', async () => {
    const lora = await s.inference.addModel({ path: LORA, baseModelId: model.id })
    expect(lora.kind).toBe('lora')
    expect(lora.metadata.adapterType).toBe('lora')
    await expect(s.inference.addModel({ path: TINY, baseModelId: model.id })).rejects.toThrow(/is a model, not a LoRA adapter/)
    const plain = await s.inference.generate({ requestId: 'l0', itemId: items[0], modelId: model.id, format: 'raw', params: greedy })
    const withLora = await s.inference.generate({ requestId: 'l1', itemId: items[0], modelId: model.id, adapterId: lora.id, format: 'raw', params: greedy })
    expect(withLora.provenance.adapterFile).toBe('imhi-tiny-lora.gguf')
    expect(withLora.provenance.adapterSha256).toBe(lora.sha256)
    expect(withLora.text).not.toBe(plain.text)
    await expect(s.inference.generate({ requestId: 'l2', itemId: items[0], modelId: lora.id, format: 'raw', params: greedy })).rejects.toThrow(/is a LoRA adapter/)
  })
})

describe('single-post generation', () => {
  it('streams the text piece by piece; the pieces make the stored explanation, with provenance', async () => {
    const pieces: string[] = []
    const e = await s.inference.generate({ requestId: 's1', itemId: items[1], modelId: model.id, format: 'raw', params: { ...greedy, maxTokens: 40 } }, (t) => pieces.push(t))
    expect(pieces.length).toBeGreaterThan(3)
    expect(pieces.join('')).toBe(e.text)
    const p = e.provenance
    expect(p.modelFile).toBe('imhi-tiny.gguf')
    expect(p.sha256).toBe(model.sha256)
    expect(p.promptFormat).toBe('raw')
    expect(p.generatedTokens).toBeGreaterThan(0)
    expect(p.generatedTokens).toBeLessThanOrEqual(40)
    expect(p.promptTokens).toBeGreaterThan(10)
    expect(p.timeToFirstTokenMs).toBeGreaterThan(0)
    expect(p.backend).toBe(s.inference.status().backend!.kind)
    expect(p.truncation).toBeNull()
    const stored = s.inference.explanations(items[1])
    expect(stored[0].id).toBe(e.id)
    expect(stored[0].text).toBe(e.text)
  })

  it('stop ends a generation early; what was generated is kept and marked stopped', async () => {
    let stopped = false
    const e = await s.inference.generate(
      { requestId: 'stop-me', itemId: items[2], modelId: model.id, format: 'raw', params: { ...greedy, maxTokens: 400, contextSize: 512 } },
      (_t, n) => {
        if (n >= 5 && !stopped) {
          stopped = true
          void s.inference.stop('stop-me')
        }
      }
    )
    expect(e.provenance.finish).toBe('stopped')
    expect(e.provenance.generatedTokens).toBeLessThan(400)
    expect(e.provenance.generatedTokens).toBeGreaterThanOrEqual(5)
    expect(await s.inference.stop('not-running')).toEqual({ stopped: false })
  })

  it('greedy is deterministic; sampling with a fixed seed repeats, another seed differs', async () => {
    const run = (id: string, params: object) => s.inference.generate({ requestId: id, itemId: items[3], modelId: model.id, format: 'raw', params: { ...greedy, maxTokens: 32, ...params } })
    const g1 = await run('g1', {})
    const g2 = await run('g2', {})
    expect(g2.text).toBe(g1.text)
    const a = await run('a', { temperature: 1.2, seed: 7 })
    const b = await run('b', { temperature: 1.2, seed: 7 })
    const c = await run('c', { temperature: 1.2, seed: 8 })
    expect(b.text).toBe(a.text)
    expect(c.text).not.toBe(a.text)
    expect(a.provenance.seed).toBe(7)
  })

  it('chat and completion formats are recorded; completion uses the test_complete query', async () => {
    const chat = await s.inference.generate({ requestId: 'c1', itemId: items[0], modelId: model.id, format: 'chat', params: greedy })
    const raw = await s.inference.generate({ requestId: 'c2', itemId: items[0], modelId: model.id, format: 'raw', params: greedy })
    const compl = await s.inference.generate({ requestId: 'c3', itemId: items[0], modelId: model.id, format: 'completion', params: greedy })
    expect(chat.promptFormat).toBe('chat')
    expect(chat.provenance.promptTokens).toBeGreaterThan(raw.provenance.promptTokens)
    expect(compl.provenance.promptTokens).not.toBe(raw.provenance.promptTokens)
    expect(raw.provenance.chatWrapper).toBeUndefined()
  })

  it("chat uses the GGUF's own chat template (a ChatML template is recognised)", async () => {
    const tpl =
      "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n' }}{% endfor %}" +
      "{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
    const chatModel = await s.inference.addModel({ path: writeTinyGguf(join(dir, 'chat.gguf'), { chatTemplate: tpl }) })
    expect(chatModel.metadata.chatTemplate).toBe(tpl)
    const chat = await s.inference.generate({ requestId: 'ct', itemId: items[0], modelId: chatModel.id, format: 'chat', params: greedy })
    const raw = await s.inference.generate({ requestId: 'ct2', itemId: items[0], modelId: chatModel.id, format: 'raw', params: greedy })
    expect(chat.provenance.chatWrapper).toBe('ChatML')
    // "<|im_start|>user\n" ... "<|im_end|>\n<|im_start|>assistant\n" around the query, byte tokens here.
    expect(chat.provenance.promptTokens).toBeGreaterThan(raw.provenance.promptTokens + 20)

    // Removing the model (loaded right now) unloads it; its explanations keep file name and hash.
    expect(s.inference.status().model.fileName).toBe('chat.gguf')
    expect(await s.inference.removeModel({ id: chatModel.id, deleteFile: true })).toEqual({ removed: 1 })
    expect(s.inference.status().model.status).toBe('idle')
    expect(s.inference.library.list().map((m) => m.fileName)).not.toContain('chat.gguf')
    // Not a file the app downloaded: it stays on disk.
    expect(existsSync(join(dir, 'chat.gguf'))).toBe(true)
    const kept = s.inference.explanations(items[0]).find((e) => e.id === chat.id)!
    expect(kept).toMatchObject({ modelId: null, modelFile: 'chat.gguf' })
    expect(kept.provenance.sha256).toBe(chatModel.sha256)
    await expect(s.inference.removeModel({ id: chatModel.id, deleteFile: false })).rejects.toMatchObject({ code: 'not_found' })
  })

  it('a prompt longer than the context: middle truncation is recorded; the error policy refuses clearly', async () => {
    const e = await s.inference.generate({ requestId: 't1', itemId: items[0], modelId: model.id, format: 'raw', params: { ...greedy, contextSize: 64, maxTokens: 40 } })
    expect(e.provenance.truncation).toMatchObject({ policy: 'middle', keptTokens: 24 })
    expect(e.provenance.truncation!.droppedTokens).toBe(e.provenance.promptTokens - 24)
    await expect(
      s.inference.generate({ requestId: 't2', itemId: items[0], modelId: model.id, format: 'raw', params: { ...greedy, contextSize: 64, maxTokens: 40, truncation: 'error' } })
    ).rejects.toThrow(/longer than the 24 tokens the context leaves for it/)
    // The service is still healthy afterwards.
    const ok = await s.inference.generate({ requestId: 't3', itemId: items[0], modelId: model.id, format: 'raw', params: greedy })
    expect(ok.text.length).toBeGreaterThan(0)
  })

  it('unknown item or model: not_found naming the field', async () => {
    await expect(s.inference.generate({ requestId: 'x', itemId: 999999, modelId: model.id, format: 'raw', params: greedy })).rejects.toMatchObject({ code: 'not_found' })
    await expect(s.inference.generate({ requestId: 'y', itemId: items[0], modelId: 424242, format: 'raw', params: greedy })).rejects.toThrow(/Model 424242 is not in the library/)
  })
})

describe('benchmark runs', () => {
  it('K parallel sequences produce the same outputs as one sequence; export follows the test file order', async () => {
    const seq = s.inference.createRun({ modelId: model.id, datasets: ['DR'], split: 'test_instruction', parallel: 1, format: 'raw', params: greedy }, { start: false })
    const par = s.inference.createRun({ modelId: model.id, datasets: ['dr'], split: 'test_instruction', parallel: 4, format: 'raw', params: greedy }, { start: false })
    const progress: number[] = []
    const off = s.events.subscribe((ev, p) => {
      if (ev === 'inference.runProgress' && (p as { runId: number }).runId === par.id) progress.push((p as { done: number }).done)
    })
    const r1 = await s.inference.runToEnd(seq.id)
    const r4 = await s.inference.runToEnd(par.id)
    off()
    expect(r1.status).toBe('completed')
    expect(r4.status).toBe('completed')
    expect(r4.done).toBe(12)
    expect(progress.at(-1)).toBe(12)
    const texts = (runId: number) =>
      new Map((s.db.prepare('SELECT item_id, text FROM explanations WHERE run_id = ?').all(runId) as { item_id: number; text: string }[]).map((r) => [r.item_id, r.text]))
    const a = texts(r1.id)
    const b = texts(r4.id)
    expect(a.size).toBe(12)
    expect(b.size).toBe(12)
    // Batched decoding rounds differently from decoding alone (llama.cpp evaluates a sequence's
    // next token in the same batch as other sequences' prompts, through other kernels), and this
    // random-weight model has many near-ties (two tokens within rounding of each other), so an item
    // can part ways after a common start. What must hold: almost every item is identical, and each
    // parallel output is closest to its own item's sequential output (a mix-up of items or
    // sequences would match another item's text, or none).
    const common = (x: string, y: string) => {
      let n = 0
      while (n < x.length && x[n] === y[n]) n++
      return n
    }
    const identical = [...a].filter(([item, text]) => b.get(item) === text).length
    expect(identical, 'items whose parallel output equals the sequential one').toBeGreaterThanOrEqual(8)
    // A near-tie at the very first token can leave an output sharing a character or two with any
    // text; a mix-up would share far more with another item's text than with its own.
    const CHANCE = 16
    for (const [item, own] of a) {
      const par = b.get(item)!
      for (const [other, text] of a) {
        if (other !== item && text !== own) expect(common(par, text), `item ${item} vs item ${other}`).toBeLessThanOrEqual(Math.max(common(par, own), CHANCE))
      }
    }

    const out = join(dir, 'export')
    const ex = await s.inference.exportRun(r4.id, out)
    expect(ex.files).toEqual([{ dataset: 'DR', path: join(out, 'DR.csv'), rows: 12 }])
    expect(ex.missing).toBe(0)
    const csv = readFileSync(join(out, 'DR.csv'), 'utf8')
    const parsed = Papa.parse<{ goldens: string; generated_text: string }>(csv, { header: true, skipEmptyLines: true })
    expect(parsed.errors).toEqual([])
    expect(parsed.meta.fields).toEqual(['goldens', 'generated_text'])
    const gold = s.db.prepare("SELECT id, gold_response FROM items WHERE split = 'test_instruction' ORDER BY source_row").all() as { id: number; gold_response: string }[]
    expect(parsed.data.map((r) => r.goldens)).toEqual(gold.map((g) => (g.gold_response.startsWith('=') ? `'${g.gold_response}` : g.gold_response)))
    expect(parsed.data.map((r) => r.generated_text)).toEqual(gold.map((g) => {
      const t = b.get(g.id)!
      return /^[=+\-@\t\r]/.test(t) ? `'${t}` : t
    }))
  })

  it('pause stops a run with finished items kept; resume completes it without repeating any', async () => {
    const run = s.inference.createRun({ modelId: model.id, datasets: ['DR'], split: 'test_instruction', parallel: 2, format: 'raw', params: { ...greedy, maxTokens: 200 } })
    await new Promise<void>((resolve) => {
      const off = s.events.subscribe((ev, p) => {
        const pr = p as { runId: number; done: number }
        if (ev === 'inference.runProgress' && pr.runId === run.id && pr.done >= 2) {
          off()
          resolve()
        }
      })
    })
    const paused = await s.inference.pauseRun(run.id)
    expect(paused.status).toBe('paused')
    expect(paused.done).toBeGreaterThanOrEqual(2)
    expect(paused.done).toBeLessThan(12)
    const before = s.db.prepare('SELECT id, item_id, text FROM explanations WHERE run_id = ? ORDER BY id').all(run.id)
    await s.inference.runToEnd(run.id)
    const after = s.db.prepare('SELECT id, item_id, text FROM explanations WHERE run_id = ? ORDER BY id').all(run.id) as { item_id: number }[]
    expect(after.slice(0, before.length)).toEqual(before)
    expect(new Set(after.map((r) => r.item_id)).size).toBe(12)
    expect(s.inference.getRun(run.id)).toMatchObject({ status: 'completed', done: 12, total: 12 })
    await expect(s.inference.runToEnd(run.id)).rejects.toThrow(/already complete/)
  })

  it('cancel is final; unknown datasets and splits without items are clear errors', async () => {
    const run = s.inference.createRun({ modelId: model.id, datasets: ['DR'], split: 'test_instruction', limit: 2, parallel: 1, format: 'raw', params: greedy }, { start: false })
    expect(run.total).toBe(2)
    const c = await s.inference.cancelRun(run.id)
    expect(c.status).toBe('cancelled')
    expect(() => s.inference.resumeRun(run.id)).toThrow(/was cancelled/)
    expect(() => s.inference.createRun({ modelId: model.id, datasets: ['nope'], split: 'test_instruction', parallel: 1, format: 'raw', params: greedy })).toThrow(/Unknown dataset "nope"/)
    expect(() => s.inference.createRun({ modelId: model.id, datasets: ['DR'], split: 'expert', parallel: 1, format: 'raw', params: greedy })).toThrow(/No expert items for DR/)
  })
})

describe('faults', () => {
  it('a model larger than the memory allowed is refused before loading, with the sizes', async () => {
    process.env.IMHI_MEMORY_LIMIT = '64K'
    try {
      const small = testServices('small.db')
      await small.imhi.importPath(writeManyItems(tempDir(), 2))
      const m = await small.inference.addModel({ path: TINY })
      expect(m.metadata.memory?.fitsInRam).toBe(false)
      const item = (small.db.prepare('SELECT id FROM items LIMIT 1').get() as { id: number }).id
      await expect(small.inference.generate({ requestId: 'big', itemId: item, modelId: m.id, format: 'raw', params: greedy })).rejects.toThrow(
        /imhi-tiny\.gguf needs about [\d.]+ MiB of memory .* but this machine has 0\.1 MiB allowed/
      )
      expect(small.inference.status().model.status).toBe('error')
      await expect(small.inference.load({ id: m.id, gpuLayers: 'auto' })).rejects.toMatchObject({ code: 'unsupported' })
    } finally {
      delete process.env.IMHI_MEMORY_LIMIT
    }
  })

  it('a download that breaks off fails with a clear message; a bad address is refused', async () => {
    await expect(s.inference.download({ uri: 'ftp://example.org/x.gguf' })).rejects.toThrow(/is not a model address/)
    process.env.IMHI_DOWNLOAD_STALL_MS = '2000'
    const d0 = testServices('download.db')
    delete process.env.IMHI_DOWNLOAD_STALL_MS
    const body = tinyGguf()
    let gets = 0
    // Sends a third of the file, then the connection drops and the server stops answering.
    const server: Server = createServer((req, res) => {
      res.writeHead(200, { 'Content-Length': String(body.length), 'Content-Type': 'application/octet-stream' })
      if (req.method === 'HEAD') return res.end()
      if (gets++ > 0) return
      res.write(body.subarray(0, 60_000))
      setTimeout(() => res.destroy(), 50)
    })
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()))
    try {
      const port = (server.address() as AddressInfo).port
      const d = await d0.inference.download({ uri: `http://127.0.0.1:${port}/broken.gguf` })
      expect(d.status).toBe('downloading')
      const end = await d0.inference.waitForDownload(d.downloadId)
      expect(end.status).toBe('failed')
      expect(end.error).toMatch(/The download of http:\/\/127\.0\.0\.1:\d+\/broken\.gguf broke off .*Start it again to resume/)
      expect(end.modelId).toBeNull()
      expect(d0.inference.library.list()).toEqual([])
      expect(d0.inference.status().downloads.find((x) => x.downloadId === d.downloadId)?.status).toBe('failed')
    } finally {
      server.closeAllConnections()
      server.close()
    }
  }, 60_000)
})

describe('download cancel', () => {
  it('cancel stops a download in progress; nothing is added to the library', async () => {
    const body = tinyGguf()
    const server: Server = createServer((req, res) => {
      res.writeHead(200, { 'Content-Length': String(body.length), 'Content-Type': 'application/octet-stream' })
      if (req.method === 'HEAD') return res.end()
      // A slow server: a little, then nothing more until the client gives up.
      res.write(body.subarray(0, 20_000))
    })
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()))
    try {
      const port = (server.address() as AddressInfo).port
      const d = await s.inference.download({ uri: `http://127.0.0.1:${port}/slow.gguf` })
      // The same address while it runs is the same download, not a second one.
      expect((await s.inference.download({ uri: `http://127.0.0.1:${port}/slow.gguf` })).downloadId).toBe(d.downloadId)
      await new Promise((r) => setTimeout(r, 500))
      const c = await s.inference.cancelDownload(d.downloadId)
      expect(c.status).toBe('cancelled')
      expect(c.error).toMatch(/start the same download again to resume/)
      expect(s.inference.library.list().some((m) => m.fileName === 'slow.gguf')).toBe(false)
      await expect(s.inference.cancelDownload('nope')).rejects.toMatchObject({ code: 'not_found' })
    } finally {
      server.closeAllConnections()
      server.close()
    }
  }, 30_000)
})

describe.skipIf(!hasSharedModel)('the shared llama-2-tiny-random.gguf (real Llama-2 tokenizer)', () => {
  sharedSkipReason('model')
  it('adds, generates greedily and deterministically, and scores a continuation', async () => {
    const m = await s.inference.addModel({ path: SHARED_TINY_MODEL })
    expect(m.metadata.vocabSize).toBe(32000)
    expect(m.metadata.architecture).toBe('llama')
    const a = await s.inference.generate({ requestId: 'sh1', itemId: items[0], modelId: m.id, format: 'raw', params: greedy })
    const b = await s.inference.generate({ requestId: 'sh2', itemId: items[0], modelId: m.id, format: 'raw', params: greedy })
    expect(a.text).toBe(b.text)
    expect(a.provenance.generatedTokens).toBe(24)
    const score = await s.inference.scoreLogProb({ modelPath: SHARED_TINY_MODEL, context: 'Consider this post:', continuation: ' I feel sad.' })
    expect(score.tokens).toBeGreaterThan(1)
    expect(score.meanLogProb).toBeLessThan(0)
    // A random model over 32,000 tokens is close to uniform: about -ln(32000) = -10.4 per token.
    expect(score.meanLogProb).toBeGreaterThan(-20)
    expect(score.meanLogProb).toBeCloseTo(score.logProbs.reduce((x, y) => x + y, 0) / score.logProbs.length, 10)
  })
})

describe('the API contract for inference (dispatch validates every call)', () => {
  it('bad payloads are invalid_input naming the field; a valid call reaches the service', async () => {
    const { dispatch } = await import('../../src/main/api/dispatch')
    const { createHandlers } = await import('../../src/main/api/handlers')
    const handlers = createHandlers(s)
    const events: string[] = []
    const ctx = { client: { id: 't', transport: 'serve' as const, role: 'owner' as const, annotatorId: null }, emit: (e: string) => void events.push(e) }
    await expect(dispatch(handlers, 'inference.runs.create', { modelId: model.id, datasets: ['DR'], split: 'test_instruction', parallel: 0 }, ctx)).rejects.toMatchObject({
      code: 'invalid_input',
      message: expect.stringMatching(/parallel/)
    })
    await expect(dispatch(handlers, 'inference.generate', { requestId: 'd', itemId: items[0], modelId: model.id, format: 'poem' }, ctx)).rejects.toThrow(/format/)
    await expect(dispatch(handlers, 'inference.models.add', { path: '' }, ctx)).rejects.toMatchObject({ code: 'invalid_input' })
    await expect(dispatch(handlers, 'inference.generate', { requestId: 'd', itemId: items[0], modelId: model.id, params: { temperature: 5 } }, ctx)).rejects.toThrow(/temperature/)
    const e = (await dispatch(handlers, 'inference.generate', { requestId: 'd2', itemId: items[0], modelId: model.id, params: { maxTokens: 8 } }, ctx)) as { provenance: { generatedTokens: number } }
    expect(e.provenance.generatedTokens).toBeLessThanOrEqual(8)
    expect(events.filter((x) => x === 'inference.token').length).toBeGreaterThan(0)
    const annotator = { ...ctx, client: { ...ctx.client, role: 'annotator' as const, annotatorId: 1 } }
    await expect(dispatch(handlers, 'inference.models.list', {}, annotator)).rejects.toMatchObject({ code: 'forbidden' })
  })
})
