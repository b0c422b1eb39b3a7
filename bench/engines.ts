// npm run bench:engines [-- --model PATH] [--items N] [--max-tokens N] [--rounds N] [--seq2seq]
//
// --seq2seq adds the ONNX seq2seq engine's figures (npm run bench:seq2seq, bench/seq2seq.ts).
// Remote engine overhead: the same greedy run (same model, items and tokens) on the local
// llama.cpp engine and through `imhi serve --engine` on 127.0.0.1 (the OpenAI-compatible engine,
// the official client, HTTP, the server's own llama.cpp), with 1 and 8 requests in flight.
// Prints tokens/s of each, the remote/local ratio (target: within 10%) and the speed-up of 8 in
// flight over 1 (target: >= 1.5x). Also checks that both engines produced the same texts.
//
// Model: --model, else a random-weight llama GGUF written here (8 layers, 512 wide, about 25 M
// parameters): big enough that a token costs what it costs in a real model relative to the HTTP
// round trip per item (the 0.5 M-parameter tiny GGUF makes a token nearly free, so it measures only
// per-request overhead; --model ../shared/models/llama-2-tiny-random.gguf shows that case).
import { mkdtempSync, rmSync } from 'node:fs'
import { cpus, tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { openDatabase } from '../src/main/db/open'
import { createServices } from '../src/main/services'
import { APP_VERSION } from '../src/main/version'
import { writeTinyGguf } from '../test/support/tiny-gguf'
import { spawnServe } from '../test/support/serve-process'
import { writeManyItems } from '../test/inference/helpers'

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`)
  return i >= 0 ? process.argv[i + 1] : undefined
}

const ROOT = resolve(import.meta.dirname, '..')
const dir = mkdtempSync(join(tmpdir(), 'imhi-bench-engines-'))
const ITEMS = Number(arg('items') ?? 24)
const MAX_TOKENS = Number(arg('max-tokens') ?? 96)
const ROUNDS = Number(arg('rounds') ?? 2)
const modelPath = arg('model')
  ? resolve(arg('model')!)
  : writeTinyGguf(join(dir, 'imhi-bench-25m.gguf'), { contextLength: 2048, layers: 8, embedding: 512, heads: 8, feedForward: 1376 })
const TOKEN = 'bench-engines-token-0123456789abcdef'

const dbFile = join(dir, 'bench.db')
const s = createServices({ db: openDatabase(dbFile), dataDir: dir, platform: { transport: 'cli', version: APP_VERSION, dbFile } })

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]

async function main() {
  await s.imhi.importPath(writeManyItems(dir, ITEMS))
  const model = await s.inference.addModel({ path: modelPath })
  const status = await s.inference.load({ id: model.id, gpuLayers: 'auto' })
  const backend = status.backend!
  const params = { temperature: 0, topP: 1, topK: 0, seed: 0, maxTokens: MAX_TOKENS, truncation: 'middle' as const }
  const contextSize = Math.min(model.metadata.contextLength || 2048, 2048)

  console.log(`IMHI Workbench bench:engines — ${new Date().toISOString()}`)
  console.log(`model: ${model.fileName} (${model.metadata.architecture}, ${(model.metadata.parameters / 1e6).toFixed(2)} M parameters, ${model.metadata.fileType}), ${contextSize}-token context`)
  console.log(`backend: ${backend.kind}; ${cpus().length} CPU core(s); ${ITEMS} items, greedy, max ${MAX_TOKENS} new tokens each, median of ${ROUNDS} round(s)`)

  const server = await spawnServe(ROOT, ['--db', join(dir, 'server.db'), '--port', '0', '--token', TOKEN, '--engine', modelPath, '--engine-parallel', '8', '--engine-context', String(contextSize)])
  const port = Number(new URL(server.url).port)
  process.env.IMHI_BENCH_ENGINE_TOKEN = TOKEN
  const engine = s.inference.engines.add({ name: 'bench', url: `http://127.0.0.1:${port}/v1`, apiKeyEnv: 'IMHI_BENCH_ENGINE_TOKEN', timeoutSeconds: 600, maxRetries: 0 })

  const run = async (target: { modelId: number } | { engineId: number }, parallel: number) => {
    const r = s.inference.createRun({ ...target, datasets: ['DR'], split: 'test_instruction', parallel, format: 'raw', params, limit: ITEMS }, { start: false })
    const t0 = performance.now()
    const done = await s.inference.runToEnd(r.id, parallel)
    const seconds = (performance.now() - t0) / 1000
    if (done.status !== 'completed') throw new Error(`run ${r.id} ${done.status}: ${done.error}`)
    const texts = new Map((s.db.prepare('SELECT item_id, text FROM explanations WHERE run_id = ?').all(r.id) as { item_id: number; text: string }[]).map((x) => [x.item_id, x.text]))
    return { tps: done.generatedTokens / seconds, tokens: done.generatedTokens, texts }
  }

  try {
    // Warm both (model pages, contexts) before measuring.
    await run({ modelId: model.id }, 8)
    await run({ engineId: engine.id }, 8)
    const figures: Record<string, number> = {}
    let same = 0
    let compared = 0
    for (const parallel of [1, 8]) {
      const local: number[] = []
      const remote: number[] = []
      for (let i = 0; i < ROUNDS; i++) {
        const l = await run({ modelId: model.id }, parallel)
        const r = await run({ engineId: engine.id }, parallel)
        local.push(l.tps)
        remote.push(r.tps)
        for (const [k, v] of l.texts) {
          compared++
          if (r.texts.get(k) === v) same++
        }
      }
      figures[`local${parallel}`] = median(local)
      figures[`remote${parallel}`] = median(remote)
      console.log(
        `${parallel} in flight: local llama.cpp ${median(local).toFixed(1)} tokens/s, remote (imhi serve --engine) ${median(remote).toFixed(1)} tokens/s, ratio ${(median(remote) / median(local)).toFixed(3)}`
      )
    }
    console.log(`remote 8 in flight vs 1 in flight: ${(figures.remote8 / figures.remote1).toFixed(2)}x (target >= 1.5x)`)
    // The ceiling on this machine: what llama.cpp itself gains from 8 sequences in one batch.
    console.log(`local llama.cpp 8 in flight vs 1 in flight: ${(figures.local8 / figures.local1).toFixed(2)}x (the same batching without HTTP: the remote engine cannot exceed it)`)
    console.log(`remote/local at 8 in flight: ${(figures.remote8 / figures.local8).toFixed(3)} (target >= 0.90); at 1: ${(figures.remote1 / figures.local1).toFixed(3)}`)
    console.log(`identical texts, remote vs local: ${same}/${compared}`)
  } finally {
    server.process.kill('SIGTERM')
    await s.close()
    rmSync(dir, { recursive: true, force: true })
  }
}

main()
  // The seq2seq part (MentalBART shape, ONNX Runtime against torch): also alone as npm run bench:seq2seq.
  .then(async () => {
    if (process.argv.includes('--seq2seq')) await (await import('./seq2seq')).benchSeq2seq()
  })
  .catch((err) => {
    console.error(err)
    process.exit(1)
  })
