// npm run bench:generate [-- --model PATH] [--items N] [--max-tokens N] [--rounds N]
//
// 1. Service overhead: the same model, the same items and the same greedy tokens, generated
//    (a) by a benchmark run through the inference service (worker thread, messages, one SQLite
//    commit per item) and (b) by a bare node-llama-cpp loop in this thread; prints both tokens/s
//    and the overhead in percent (target: under 5%).
// 2. Parallel sequences: the same run with 1, 2, 4 and 8 sequences decoding together in one
//    context; prints the throughput of each and the speed-up over 1.
//
// Model: --model, else ../shared/models/llama-2-tiny-random.gguf, else a tiny GGUF written here.
// Items: DR test_instruction from ../shared/imhi when present, else invented posts.
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir, cpus } from 'node:os'
import { join, resolve } from 'node:path'
import { getLlama, type Token } from 'node-llama-cpp'
import { openDatabase } from '../src/main/db/open'
import { createServices } from '../src/main/services'
import { APP_VERSION } from '../src/main/version'
import { writeTinyGguf } from '../test/support/tiny-gguf'
import { SHARED_IMHI, SHARED_TINY_MODEL, hasSharedModel } from '../test/support/shared'
import { writeManyItems } from '../test/inference/helpers'
import { ITEMS_WITH_POSTS, QUERY } from '../src/main/imhi/items'

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`)
  return i >= 0 ? process.argv[i + 1] : undefined
}

// ../shared beside the repo (see test/support/shared.ts), found from this file.
const hasSharedImhi = existsSync(join(SHARED_IMHI, 'test_data', 'test_instruction', 'DR.csv'))

const dir = mkdtempSync(join(tmpdir(), 'imhi-bench-gen-'))
const ITEMS = Number(arg('items') ?? 32)
const MAX_TOKENS = Number(arg('max-tokens') ?? 128)
const ROUNDS = Number(arg('rounds') ?? 5)
const modelPath = arg('model') ? resolve(arg('model')!) : hasSharedModel ? SHARED_TINY_MODEL : writeTinyGguf(join(dir, 'imhi-tiny.gguf'), { contextLength: 2048 })

const dbFile = join(dir, 'bench.db')
const s = createServices({ db: openDatabase(dbFile), dataDir: dir, platform: { transport: 'cli', version: APP_VERSION, dbFile } })

async function main() {
  const source = hasSharedImhi ? join(SHARED_IMHI, 'test_data', 'test_instruction', 'DR.csv') : writeManyItems(dir, ITEMS)
  await s.imhi.importPath(source)
  const model = await s.inference.addModel({ path: modelPath })
  const status = await s.inference.load({ id: model.id, gpuLayers: 'auto' })
  const backend = status.backend!
  const params = { temperature: 0, topP: 1, topK: 0, seed: 0, maxTokens: MAX_TOKENS, truncation: 'middle' as const }
  const queries = (
    s.db.prepare(`SELECT i.id, ${QUERY} AS query FROM ${ITEMS_WITH_POSTS} WHERE i.dataset = 'DR' AND i.split = 'test_instruction' ORDER BY i.source_file_id, i.source_row LIMIT ?`).all(ITEMS) as {
      id: number
      query: string
    }[]
  )

  console.log(`IMHI Workbench bench:generate — ${new Date().toISOString()}`)
  console.log(`model: ${model.fileName} (${model.metadata.architecture}, ${(model.metadata.parameters / 1e6).toFixed(2)} M parameters, ${model.metadata.fileType})`)
  console.log(`backend: ${backend.kind} — ${backend.reason}; ${backend.threads} thread(s); ${cpus().length} CPU core(s) on this machine`)
  console.log(`items: ${queries.length} DR test_instruction queries (${hasSharedImhi ? 'the real IMHI data' : 'invented posts'}), greedy, max ${MAX_TOKENS} new tokens each`)

  const runService = async (parallel: number) => {
    const run = s.inference.createRun({ modelId: model.id, datasets: ['DR'], split: 'test_instruction', limit: ITEMS, parallel, format: 'raw', params }, { start: false })
    const t0 = performance.now()
    const done = await s.inference.runToEnd(run.id, parallel)
    const seconds = (performance.now() - t0) / 1000
    const texts = new Map((s.db.prepare('SELECT item_id, text FROM explanations WHERE run_id = ?').all(run.id) as { item_id: number; text: string }[]).map((r) => [r.item_id, r.text]))
    return { tokens: done.generatedTokens, seconds, texts }
  }

  // The bare loop: what a script using node-llama-cpp directly would do, with the same context
  // size, threads, prompt tokens (BOS + query) and greedy decoding.
  const llama = await getLlama({ gpu: backend.kind === 'cpu' ? false : 'auto', build: 'never' })
  const bareModel = await llama.loadModel({ modelPath, gpuLayers: status.model.gpuLayers ?? 'auto' })
  const contextSize = Math.min(bareModel.trainContextSize || 2048, Math.max(2048, MAX_TOKENS + 512))
  // Created once, as the service keeps its context between runs with the same settings.
  const context = await bareModel.createContext({ sequences: 2, contextSize, threads: backend.threads })
  const sequence = context.getSequence()
  const runBare = async () => {
    const t0 = performance.now()
    let tokens = 0
    const texts = new Map<number, string>()
    for (const q of queries) {
      await sequence.clearHistory()
      const prompt = [bareModel.tokens.bos!, ...bareModel.tokenize(q.query, false)]
      const out: Token[] = []
      for await (const t of sequence.evaluate(prompt)) {
        out.push(t)
        if (out.length >= MAX_TOKENS) break
      }
      tokens += out.length
      texts.set(q.id, bareModel.detokenize(out))
    }
    const seconds = (performance.now() - t0) / 1000
    return { tokens, seconds, texts }
  }

  // Warm both paths once (page cache, allocator), then alternate rounds and keep the best of each.
  await runService(1)
  await runBare()
  let bestService = { tokens: 0, seconds: Infinity, texts: new Map<number, string>() }
  let bestBare = { tokens: 0, seconds: Infinity, texts: new Map<number, string>() }
  for (let r = 0; r < ROUNDS; r++) {
    const a = await runService(1)
    if (a.seconds < bestService.seconds) bestService = a
    const b = await runBare()
    if (b.seconds < bestBare.seconds) bestBare = b
  }
  let same = 0
  for (const [id, text] of bestBare.texts) if (bestService.texts.get(id) === text) same++
  const tpsService = bestService.tokens / bestService.seconds
  const tpsBare = bestBare.tokens / bestBare.seconds
  console.log('')
  console.log(`1. service vs bare node-llama-cpp loop (1 sequence, best of ${ROUNDS})`)
  console.log(`   bare loop : ${bestBare.tokens} tokens in ${bestBare.seconds.toFixed(3)} s = ${tpsBare.toFixed(1)} tokens/s`)
  console.log(`   service   : ${bestService.tokens} tokens in ${bestService.seconds.toFixed(3)} s = ${tpsService.toFixed(1)} tokens/s (worker thread, messages, one commit per item)`)
  console.log(`   same output text for ${same}/${bestBare.texts.size} items; same token count: ${bestService.tokens === bestBare.tokens}`)
  console.log(`   overhead  : ${((tpsBare / tpsService - 1) * 100).toFixed(1)} % (target < 5 %)`)
  await context.dispose()
  await bareModel.dispose()

  console.log('')
  console.log('2. parallel sequences in one context (service, same items)')
  let base = 0
  for (const k of [1, 2, 4, 8]) {
    let best = { tokens: 0, seconds: Infinity }
    for (let r = 0; r < Math.max(1, ROUNDS - 1); r++) {
      const x = await runService(k)
      if (x.seconds < best.seconds) best = x
    }
    const tps = best.tokens / best.seconds
    if (k === 1) base = tps
    console.log(`   ${k} sequence(s): ${best.tokens} tokens in ${best.seconds.toFixed(3)} s = ${tps.toFixed(1)} tokens/s, ${(queries.length / best.seconds).toFixed(2)} items/s, speed-up ${(tps / base).toFixed(2)}x`)
  }
}

main()
  .catch((err) => {
    console.error(err)
    process.exitCode = 1
  })
  .finally(async () => {
    await s.close()
    rmSync(dir, { recursive: true, force: true })
  })
