import { beforeAll, describe, expect, it } from 'vitest'
import { appendFileSync, cpSync, readFileSync, writeFileSync } from 'node:fs'
import { spawnSync } from 'node:child_process'
import { join } from 'node:path'
import Papa from 'papaparse'
import { testServices } from '../support/services'
import { tempDir } from '../support/tmp'
import { ONNX_FIXTURES } from '../support/onnx-fixture'
import { writeManyItems } from './helpers'
import type { EngineInfo, ExplanationInfo } from '../../src/shared/api/inference'
import type { GeneratedItem } from '../../src/main/inference/engines/onnx/generate'
import { ITEMS_WITH_POSTS, QUERY } from '../../src/main/imhi/items'

// The ONNX seq2seq engine through the inference service: a converted MentalBART-shaped folder
// (test/fixtures/onnx/bart-gen-tiny, random weights, with past key values) registered as an
// engine, runs over the IMHI-completion split, resume, single-post generation, bad folders.

const dir = tempDir('imhi-s2s-engine-')
const s = testServices()
const N = 10
const params = { temperature: 0, topP: 1, topK: 0, seed: 0, maxTokens: 39, truncation: 'middle' as const }
let engine: EngineInfo
let queries: Map<number, string>

beforeAll(async () => {
  await s.imhi.importPath(writeManyItems(dir, N))
  queries = new Map((s.db.prepare(`SELECT i.id, ${QUERY} AS query FROM ${ITEMS_WITH_POSTS} WHERE i.split = 'test_complete'`).all() as { id: number; query: string }[]).map((r) => [r.id, r.query]))
  engine = await s.inference.addSeq2seqEngine({ name: 'mentalbart-tiny', path: join(ONNX_FIXTURES, 'bart-gen-tiny') })
})

/** Each query generated alone straight through the ONNX worker: what a run must store. */
async function alone(folder = join(ONNX_FIXTURES, 'bart-gen-tiny'), maxNewTokens = params.maxTokens): Promise<Map<number, GeneratedItem>> {
  const m = await s.onnx.load(folder)
  const out = new Map<number, GeneratedItem>()
  await s.onnx.seq2seqGenerate(m.id, 'alone', [...queries].map(([key, text]) => ({ key, text })), { batchSize: 1, maxNewTokens }, (e) => e.kind === 'item' && out.set(e.result.key, e.result))
  await s.onnx.unload(m.id)
  return out
}

describe('the onnx-seq2seq engine in the inference service', () => {
  it('registers a folder: checked by loading it, hashed, listed with its kind', async () => {
    expect(engine).toMatchObject({ kind: 'onnx-seq2seq', name: 'mentalbart-tiny', url: join(ONNX_FIXTURES, 'bart-gen-tiny') })
    expect(engine.model).toMatch(/^[0-9a-f]{64}$/)
    const check = await s.inference.checkEngine(engine.id)
    expect(check.ok).toBe(true)
    expect(check.message).toMatch(/bart export, decoder with past key values, on cpu; greedy decoding/)
    await expect(s.inference.addSeq2seqEngine({ name: 'mentalbart-tiny', path: join(ONNX_FIXTURES, 't5-tiny') })).rejects.toThrow(/already registered/)
  })

  it('a run over the IMHI-completion split, batched, stores every item with the text each query gives alone and its provenance', async () => {
    const run = s.inference.createRun({ engineId: engine.id, datasets: ['DR'], split: 'test_complete', parallel: 4, format: 'raw', params }, { start: false })
    expect(run).toMatchObject({ modelFile: 'bart-gen-tiny', modelSha256: engine.model, backend: 'onnx-seq2seq', total: N })
    const done = await s.inference.runToEnd(run.id)
    expect(done).toMatchObject({ status: 'completed', done: N, error: null })
    const expected = await alone()
    const rows = s.db.prepare('SELECT item_id, text, provenance FROM explanations WHERE run_id = ?').all(run.id) as { item_id: number; text: string; provenance: string }[]
    expect(rows).toHaveLength(N)
    for (const r of rows) {
      expect(r.text).toBe(expected.get(r.item_id)!.text)
      const p = JSON.parse(r.provenance)
      expect(p).toMatchObject({ modelFile: 'bart-gen-tiny', sha256: engine.model, backend: 'onnxruntime-cpu', generatedTokens: expected.get(r.item_id)!.generatedTokens, promptTokens: expected.get(r.item_id)!.promptTokens })
      expect(p.seq2seq).toMatchObject({
        engine: 'onnx-seq2seq',
        name: 'mentalbart-tiny',
        fingerprint: engine.model,
        modelType: 'bart',
        decoder: 'with-past',
        decoding: { strategy: 'greedy', configFile: 'generation_config.json', decoderStartTokenId: 2, forcedBosTokenId: 0, forcedEosTokenIds: [2], minLength: 5, noRepeatNgramSize: 3, maxLength: 40, numBeams: 1 }
      })
      expect([4, 2]).toContain(p.seq2seq.batchSize) // 10 items: batches of 4, 4, 2
    }
    // export in IMHI.py's layout
    const out = await s.inference.exportRun(run.id, join(dir, 'out'))
    const csv = Papa.parse<{ goldens: string; generated_text: string }>(readFileSync(out.files[0].path, 'utf8'), { header: true, skipEmptyLines: true }).data
    expect(csv).toHaveLength(N)
  })

  it('pause mid-run and resume: every item once, the same texts as an uninterrupted run', async () => {
    // A copy whose generation_config.json asks min_length 150: every item takes 150+ decoder steps.
    const slow = join(dir, 'slow')
    cpSync(join(ONNX_FIXTURES, 'bart-gen-tiny'), slow, { recursive: true })
    const gen = JSON.parse(readFileSync(join(slow, 'generation_config.json'), 'utf8'))
    writeFileSync(join(slow, 'generation_config.json'), JSON.stringify({ ...gen, min_length: 150 }))
    const e = await s.inference.addSeq2seqEngine({ name: 'slow', path: slow })
    const long = { ...params, maxTokens: 200 }
    const run = s.inference.createRun({ engineId: e.id, datasets: ['DR'], split: 'test_complete', parallel: 1, format: 'raw', params: long }, { start: false })
    const count = s.db.prepare('SELECT COUNT(*) AS n FROM explanations WHERE run_id = ?')
    let paused = false
    const poll = setInterval(() => {
      if (!paused && (count.get(run.id) as { n: number }).n >= 3) {
        paused = true
        void s.inference.pauseRun(run.id)
      }
    }, 2)
    const first = await s.inference.runToEnd(run.id)
    clearInterval(poll)
    expect(first.status).toBe('paused')
    expect(first.done).toBeGreaterThanOrEqual(3)
    expect(first.done).toBeLessThan(N)
    const second = await s.inference.runToEnd(run.id)
    expect(second).toMatchObject({ status: 'completed', done: N })
    const expected = await alone(slow, long.maxTokens)
    const rows = s.db.prepare('SELECT item_id, text, provenance FROM explanations WHERE run_id = ?').all(run.id) as { item_id: number; text: string; provenance: string }[]
    expect(new Set(rows.map((r) => r.item_id)).size).toBe(N)
    for (const r of rows) {
      expect(r.text).toBe(expected.get(r.item_id)!.text)
      expect(JSON.parse(r.provenance).generatedTokens).toBeGreaterThanOrEqual(149)
    }
  })

  it('single-post generation streams and stores the explanation; a chat format is refused', async () => {
    const [itemId, query] = [...queries][0]
    const pieces: string[] = []
    const e: ExplanationInfo = await s.inference.generate({ requestId: 'r1', itemId, engineId: engine.id, format: 'raw', params }, (t) => pieces.push(t))
    const expected = (await alone()).get(itemId)!
    expect(e.text).toBe(expected.text)
    expect(e.provenance.seq2seq?.batchSize).toBe(1)
    expect(e.modelFile).toBe('bart-gen-tiny')
    expect(e.text.length).toBeGreaterThan(3)
    expect(pieces.join('').length).toBeGreaterThan(0)
    expect(e.text.startsWith(pieces.join(''))).toBe(true)
    expect(query.length).toBeGreaterThan(0)
    await expect(s.inference.generate({ requestId: 'r2', itemId, engineId: engine.id, format: 'chat', params })).rejects.toThrow(/encoder-decoder model: it takes the query as is/)
    expect(() => s.inference.createRun({ engineId: engine.id, datasets: ['DR'], split: 'test_instruction', parallel: 1, format: 'chat', params }, { start: false })).toThrow(/encoder-decoder model \(MentalBART \/ MentalT5\): it takes the query as is/)
  })

  it('bad folders: a clear error naming what is missing, nothing registered', async () => {
    await expect(s.inference.addSeq2seqEngine({ name: 'roberta', path: join(ONNX_FIXTURES, 'roberta-tiny-l3') })).rejects.toThrow(/not a seq2seq export: it holds model\.onnx/)
    await expect(s.inference.addSeq2seqEngine({ name: 'nowhere', path: join(dir, 'nowhere') })).rejects.toThrow(/no such folder/)
    const half = join(dir, 'half')
    cpSync(join(ONNX_FIXTURES, 'bart-gen-tiny'), half, { recursive: true })
    const { unlinkSync } = await import('node:fs')
    unlinkSync(join(half, 'decoder_model.onnx'))
    await expect(s.inference.addSeq2seqEngine({ name: 'half', path: half })).rejects.toThrow(/half\/encoder_model\.onnx is there but no decoder_model\.onnx/)
    expect(s.inference.engines.list().map((e) => e.name)).toEqual(['mentalbart-tiny', 'slow'])
  })

  it('a folder whose files changed after registration: its runs refuse to continue with other weights', async () => {
    const copy = join(dir, 'copy')
    cpSync(join(ONNX_FIXTURES, 'bart-gen-tiny'), copy, { recursive: true })
    const e = await s.inference.addSeq2seqEngine({ name: 'copy', path: copy })
    appendFileSync(join(copy, 'generation_config.json'), '\n')
    const run = s.inference.createRun({ engineId: e.id, datasets: ['DR'], split: 'test_complete', limit: 2, parallel: 1, format: 'raw', params }, { start: false })
    await expect(s.inference.runToEnd(run.id)).rejects.toThrow(/changed since it was registered/)
    expect(s.inference.getRun(run.id)).toMatchObject({ status: 'failed', done: 0 })
  })
})

describe('the onnx-seq2seq engine from the CLI', () => {
  const ROOT = join(__dirname, '..', '..')
  const imhi = (args: string[]) => {
    const r = spawnSync(process.execPath, [join(ROOT, 'bin', 'imhi.js'), ...args], { cwd: ROOT, encoding: 'utf8' })
    return { status: r.status, stdout: r.stdout, stderr: r.stderr }
  }
  it('engines add --seq2seq, generate --engine over the completion split, generate --model FOLDER, a bad folder', () => {
    const cdir = tempDir('imhi-s2s-cli-')
    const db = join(cdir, 'cli.db')
    expect(imhi(['import', writeManyItems(cdir, 4), '--db', db]).status).toBe(0)
    const folder = join(ONNX_FIXTURES, 't5-tiny')
    const added = imhi(['engines', 'add', 'mentalt5', '--seq2seq', folder, '--db', db])
    expect(added.status, added.stderr).toBe(0)
    expect(added.stdout).toMatch(/engine 1: mentalt5 onnx-seq2seq .*t5-tiny \(sha256 [0-9a-f]{64}\)\n.*t5 export, decoder with past key values/)
    expect(imhi(['engines', 'list', '--db', db]).stdout).toMatch(/^1\tmentalt5\tonnx-seq2seq\t.*t5-tiny\tsha256 [0-9a-f]{12}\n$/)
    const run = imhi(['generate', '--engine', 'mentalt5', '--dataset', 'DR', '--split', 'completion', '--parallel', '2', '--max-tokens', '20', '--db', db, '--json', '--quiet'])
    expect(run.status, run.stderr).toBe(0)
    expect(JSON.parse(run.stdout)).toMatchObject({ run: 1, items: 4, status: 'completed', total: 4 })
    expect(run.stderr).toContain('2 per batch')
    expect(run.stderr).not.toMatch(/sent to|network/)
    // the same folder as --model: the registered engine, not a second one
    const again = imhi(['generate', '--model', folder, '--dataset', 'DR', '--split', 'completion', '--limit', '1', '--db', db, '--json', '--quiet'])
    expect(again.status, again.stderr).toBe(0)
    expect(JSON.parse(again.stdout)).toMatchObject({ run: 2, items: 1, status: 'completed' })
    expect(imhi(['engines', 'list', '--db', db, '--json']).stdout.match(/"kind": "onnx-seq2seq"/g)).toHaveLength(1)
    const bad = imhi(['engines', 'add', 'bad', '--seq2seq', join(ONNX_FIXTURES, 'roberta-tiny-l3'), '--db', db])
    expect(bad.status).toBe(1)
    expect(bad.stderr).toMatch(/not a seq2seq export: it holds model\.onnx/)
    const both = imhi(['engines', 'add', 'x', '--seq2seq', folder, '--url', 'http://127.0.0.1:1', '--db', db])
    expect(both.status).toBe(2) // invalid input
    expect(both.stderr).toMatch(/give either --url .* or --seq2seq/)
  })
})

describe('the onnx-seq2seq engine: removal and the LM score', () => {
  it('a removed folder engine is unloaded; it is not a server for the LM score', async () => {
    const e = s.inference.engines.list().find((x) => x.name === 'mentalbart-tiny')!
    await expect(s.inference.scoreLogProbRemote({ engineId: e.id, context: 'a', continuation: 'b' })).rejects.toThrow(/is a MentalBART\/MentalT5 folder, not a server/)
    expect(s.inference.removeEngine(e.id)).toEqual({ removed: 1 })
    expect(s.inference.engines.list().some((x) => x.name === 'mentalbart-tiny')).toBe(false)
    // registered again: loaded again, the same fingerprint
    const again = await s.inference.addSeq2seqEngine({ name: 'mentalbart-tiny', path: join(ONNX_FIXTURES, 'bart-gen-tiny') })
    expect(again.model).toBe(e.model)
  })

  it('a run whose folder engine was removed resumes once the same folder is registered again (under any name)', async () => {
    // (the 'copy' engine of an earlier test was registered with these same files, then changed)
    s.inference.removeEngine(s.inference.engines.byName('copy')!.id)
    const e = s.inference.engines.list().find((x) => x.name === 'mentalbart-tiny')!
    const run = s.inference.createRun({ engineId: e.id, datasets: ['DR'], split: 'test_complete', limit: 2, parallel: 1, format: 'raw', params }, { start: false })
    s.inference.removeEngine(e.id)
    await expect(s.inference.runToEnd(run.id)).rejects.toThrow(/made with the folder bart-gen-tiny \(SHA-256 [0-9a-f]{12}…\), which is no longer registered: register that folder again/)
    await s.inference.addSeq2seqEngine({ name: 'mentalbart-again', path: join(ONNX_FIXTURES, 'bart-gen-tiny') })
    expect(await s.inference.runToEnd(run.id)).toMatchObject({ status: 'completed', done: 2 })
  })
})

describe('the onnx-seq2seq engine: one item ONNX Runtime cannot run', () => {
  it('fails that item alone; the rest of its batch is stored; the run says how many failed', async () => {
    // config.json claims 4,096 positions but the graphs hold 258: no cut, and a query over 256
    // tokens fails in the encoder's position lookup, the others do not.
    const lying = join(dir, 'lying')
    cpSync(join(ONNX_FIXTURES, 'bart-gen-tiny'), lying, { recursive: true })
    const cfg = JSON.parse(readFileSync(join(lying, 'config.json'), 'utf8'))
    writeFileSync(join(lying, 'config.json'), JSON.stringify({ ...cfg, max_position_embeddings: 4096 }))
    const e = await s.inference.addSeq2seqEngine({ name: 'lying', path: lying })
    const [longId] = [...queries.keys()]
    s.db.prepare('UPDATE items SET query = ? WHERE id = ?').run('Post: ' + 'I feel alone and tired. '.repeat(60), longId)
    try {
      const run = s.inference.createRun({ engineId: e.id, datasets: ['DR'], split: 'test_complete', parallel: 4, format: 'raw', params }, { start: false })
      const r = await s.inference.runToEnd(run.id)
      expect(r.status).toBe('failed')
      expect(r.done).toBe(N - 1)
      expect(r.error).toMatch(new RegExp(`^1 item\\(s\\) failed; resume retries them\\. First: item ${longId}: .*encoder_model\\.onnx: ONNX Runtime failed to run the graph`))
      const stored = s.db.prepare('SELECT item_id FROM explanations WHERE run_id = ?').all(run.id) as { item_id: number }[]
      expect(stored.map((x) => x.item_id)).not.toContain(longId)
    } finally {
      s.db.prepare('UPDATE items SET query = ? WHERE id = ?').run(queries.get(longId)!, longId)
    }
  })
})

describe('the onnx-seq2seq engine: the conversion\'s reference outputs (imhi_reference.json)', () => {
  const gref = JSON.parse(readFileSync(join(ONNX_FIXTURES, 'generation-reference.json'), 'utf8'))
  function folderWith(name: string, reference: Record<string, unknown>, genOverrides: Record<string, unknown> = {}): string {
    const d = join(dir, name)
    cpSync(join(ONNX_FIXTURES, 'bart-gen-tiny'), d, { recursive: true })
    writeFileSync(join(d, 'imhi_reference.json'), JSON.stringify(reference))
    const gen = JSON.parse(readFileSync(join(d, 'generation_config.json'), 'utf8'))
    writeFileSync(join(d, 'generation_config.json'), JSON.stringify({ ...gen, ...genOverrides }))
    return d
  }
  const reference = (r: { ids: number[][]; texts: string[]; batch_size: number }) => ({
    transformers: 'torch-reference',
    queries: gref.queries,
    input_ids: gref['bart-gen-tiny'].input_ids,
    max_length: 40,
    batch_size: r.batch_size,
    ids: r.ids,
    texts: r.texts
  })

  it('checks the workbench\'s tokens and texts against them, greedy and with beams; says which differ', async () => {
    const same = await s.inference.addSeq2seqEngine({ name: 'ref-greedy', path: folderWith('ref-greedy', reference(gref['bart-gen-tiny'])) })
    expect((await s.inference.checkEngine(same.id)).message).toMatch(/greedy decoding; against transformers torch-reference \(imhi_reference\.json\): 5\/5 check queries give identical token ids and texts$/)
    const beams = await s.inference.addSeq2seqEngine({ name: 'ref-beams', path: folderWith('ref-beams', reference(gref['bart-gen-tiny-beams']), gref['bart-gen-tiny-beams'].overrides) })
    expect((await s.inference.checkEngine(beams.id)).message).toMatch(/beam search, 4 beams .*: 5\/5 check queries give identical token ids and texts$/)
    const bad = reference(gref['bart-gen-tiny'])
    bad.input_ids = bad.input_ids.map((r: number[], i: number) => (i === 0 ? r.slice(1) : r))
    bad.texts = bad.texts.map((t: string, i: number) => (i === 2 ? t + 'x' : t))
    const differs = await s.inference.addSeq2seqEngine({ name: 'ref-bad', path: folderWith('ref-bad', bad) })
    expect((await s.inference.checkEngine(differs.id)).message).toMatch(/DIFFERS from transformers torch-reference \(imhi_reference\.json\): input token ids of query 1; generated ids or text of query 3$/)
  })
})
