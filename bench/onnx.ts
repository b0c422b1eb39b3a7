/**
 * npm run bench:onnx [-- --n 64 --batch-size 8 --threads 0]
 *
 * ONNX Runtime in the workbench against torch on the same weights, in one run:
 * - MentalBERT labelling: a random-weight BertForSequenceClassification of bert-base's real shape
 *   (12 layers, 768 hidden, 30,522-token vocabulary: MentalBERT's shape), generated once by
 *   scripts/fixtures/make_bench_model.py where /usr/bin/python3 has torch, cached under
 *   bench/.cache/onnx (gitignored). N explanations (the released DR gold explanations of
 *   ../shared/imhi when present, else synthetic) labelled as label_inference.py labels them
 *   (batches of 8, padding, truncation to 512 tokens, argmax): by the workbench (OnnxEngine: worker
 *   thread, tokenization included) and by torch (scripts/fixtures/torch_label_bench.py: the
 *   model's forward only; its pure-Python tokenization is timed apart). Prints explanations per
 *   second, the ratio (target: workbench >= torch), the labels' agreement and memory (RSS).
 * - BART-score: bench/onnx-bart.ts (pairs BART-scored per second, workbench vs torch BARTScorer on
 *   random weights of bart-large-cnn's shape; BENCH_PAIRS pairs, default 16).
 * --threads N sets both sides' intra-op threads (default: the machine's CPUs, for both; Debian's
 * torch defaults to 1 thread here, ONNX Runtime to the physical cores; 0 keeps each library's default).
 */
import Papa from 'papaparse'
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { cpus, loadavg, tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { OnnxEngine } from '../src/main/inference/engines/onnx'
import { SHARED_IMHI, hasSharedImhi } from '../test/support/shared'
import { benchBartScore } from './onnx-bart'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const CACHE = join(ROOT, 'bench', '.cache', 'onnx')
const PYTHON = '/usr/bin/python3'

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`)
  if (i < 0) return fallback
  const v = Number(process.argv[i + 1])
  if (!Number.isInteger(v) || v < 0) throw new Error(`--${name} must be a non-negative integer`)
  return v
}

function torchVersion(): string {
  return spawnSync(PYTHON, ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8' }).stdout.trim()
}

function pythonHasTorch(): boolean {
  return spawnSync(PYTHON, ['-c', 'import torch, onnx'], { encoding: 'utf8' }).status === 0
}

/** The cached bench model, generated on first use (a few minutes: 110M parameters exported to ONNX). */
function benchModel(): string | null {
  const dir = join(CACHE, 'mentalbert-base')
  if (['config.json', 'tokenizer.json', 'model.onnx', 'model.pt'].every((f) => existsSync(join(dir, f)))) return dir
  if (!pythonHasTorch()) return null
  mkdirSync(CACHE, { recursive: true })
  const corpus = hasSharedImhi ? readdirSync(join(SHARED_IMHI, 'test_data', 'test_instruction')).map((f) => join(SHARED_IMHI, 'test_data', 'test_instruction', f)) : []
  process.stdout.write(`generating ${dir} (bert-base shape, random weights; once)...\n`)
  const r = spawnSync(PYTHON, [join(ROOT, 'scripts', 'fixtures', 'make_bench_model.py'), dir, '--corpus', ...corpus], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
  if (r.status !== 0) throw new Error(`make_bench_model.py failed: ${r.stderr.slice(-2000)}`)
  process.stdout.write(r.stdout)
  return dir
}

function explanations(n: number): string[] {
  const pool: string[] = []
  const file = join(SHARED_IMHI, 'test_data', 'test_instruction', 'DR.csv')
  if (existsSync(file)) {
    const rows = Papa.parse<Record<string, string>>(readFileSync(file, 'utf8').replace(/^\ufeff/, ''), { header: true, skipEmptyLines: true }).data
    for (const r of rows) if (r['gpt-3.5-turbo']) pool.push(r['gpt-3.5-turbo'])
  }
  if (pool.length === 0) {
    for (let i = 0; i < 50; i++) pool.push(`${i % 2 ? 'Yes' : 'No'}, the poster ${i % 2 ? 'suffers' : 'does not suffer'} from depression. Reasoning: the poster describes ${'feeling tired and hopeless for weeks, '.repeat(1 + (i % 6))}and asks for advice.`)
  }
  return Array.from({ length: n }, (_, i) => pool[i % pool.length])
}

interface Side {
  perSecond: number
  seconds: number
  labels: number[]
  rssMb: number
}

async function workbenchSide(dir: string, texts: string[], batchSize: number, threads: number): Promise<Side & { provider: string; truncated: number }> {
  const engine = new OnnxEngine()
  let peak = 0
  const sample = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 50)
  try {
    const model = await engine.load(dir, { sessions: ['model'], ...(threads > 0 ? { threads } : {}) })
    await engine.classify(model.id, texts.slice(0, batchSize), { maxLength: 512, batchSize }) // warm-up, as the torch side
    const t0 = performance.now()
    const r = await engine.classify(model.id, texts, { maxLength: 512, batchSize })
    const seconds = (performance.now() - t0) / 1000
    peak = Math.max(peak, process.memoryUsage().rss)
    const labels = texts.map((_, i) => {
      const row = Array.from(r.logits.subarray(i * r.labels, (i + 1) * r.labels))
      return row.indexOf(Math.max(...row))
    })
    return { perSecond: texts.length / seconds, seconds, labels, rssMb: peak / 2 ** 20, provider: model.provider, truncated: r.truncated.length }
  } finally {
    clearInterval(sample)
    await engine.close()
  }
}

function torchSide(dir: string, texts: string[], batchSize: number, threads: number): (Side & { tokenizeSeconds: number; threads: number }) | null {
  const tmp = mkdtempSync(join(tmpdir(), 'imhi-bench-onnx-'))
  try {
    writeFileSync(join(tmp, 'texts.json'), JSON.stringify(texts))
    const r = spawnSync(PYTHON, [join(ROOT, 'scripts', 'fixtures', 'torch_label_bench.py'), dir, join(tmp, 'texts.json'), String(batchSize), String(threads)], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 })
    if (r.status !== 0) {
      process.stdout.write(`torch side failed: ${r.stderr.slice(-1500)}\n`)
      return null
    }
    const o = JSON.parse(r.stdout.trim().split('\n').pop()!) as { texts: number; seconds: number; tokenize_seconds: number; labels: number[]; peak_rss_mb: number; threads: number }
    return { perSecond: o.texts / o.seconds, seconds: o.seconds, labels: o.labels, rssMb: o.peak_rss_mb, tokenizeSeconds: o.tokenize_seconds, threads: o.threads }
  } finally {
    rmSync(tmp, { recursive: true, force: true })
  }
}

async function benchMentalBert(n: number, batchSize: number, threads: number): Promise<void> {
  process.stdout.write('\n== MentalBERT labelling (bert-base shape) ==\n')
  const dir = benchModel()
  if (!dir) {
    process.stdout.write(`skipped: no cached bench model in ${CACHE} and ${PYTHON} has no torch/onnx to generate one\n`)
    return
  }
  const texts = explanations(n)
  process.stdout.write(`${n} explanations (${hasSharedImhi ? 'released DR gold explanations' : 'synthetic'}), batch ${batchSize}, max 512 tokens\n`)
  const wb = await workbenchSide(dir, texts, batchSize, threads)
  process.stdout.write(`workbench (onnxruntime-node on ${wb.provider}, ${threads || 'default'} threads, worker thread, tokenization included): ${wb.perSecond.toFixed(2)} explanations/s (${wb.seconds.toFixed(2)} s; ${wb.truncated} cut to 512 tokens); peak RSS ${wb.rssMb.toFixed(0)} MB\n`)
  if (!pythonHasTorch()) {
    process.stdout.write(`torch: skipped (${PYTHON} has no torch), no ratio\n`)
    return
  }
  const pt = torchSide(dir, texts, batchSize, threads)
  if (!pt) return
  process.stdout.write(`torch ${torchVersion()} (same weights, ${pt.threads} threads, forward only): ${pt.perSecond.toFixed(2)} explanations/s (${pt.seconds.toFixed(2)} s; its Python tokenization another ${pt.tokenizeSeconds.toFixed(2)} s); peak RSS ${pt.rssMb.toFixed(0)} MB\n`)
  const agree = wb.labels.filter((l, i) => l === pt.labels[i]).length
  process.stdout.write(`ratio workbench/torch: ${(wb.perSecond / pt.perSecond).toFixed(2)} (target >= 1.0); labels agree on ${agree}/${texts.length}\n`)
}

async function main(): Promise<void> {
  const n = arg('n', 64)
  const batchSize = arg('batch-size', 8)
  const threads = arg('threads', cpus().length)
  process.stdout.write(`bench:onnx on ${cpus().length} CPUs (${cpus()[0]?.model ?? '?'}), load ${loadavg().map((x) => x.toFixed(2)).join(' ')}\n`)
  await benchMentalBert(n, Math.max(1, batchSize), threads)
  await benchBartScore()
}

await main()
