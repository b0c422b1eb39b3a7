import { Option, type Command } from 'commander'
import { existsSync, statSync } from 'node:fs'
import { basename, resolve } from 'node:path'
import { dbOption, intArg, jsonOption, printJson, withServices } from './common'
import type { Services } from '../services'
import { registerModelSettingsCommand } from './modelSettings'
import { AppError } from '../../shared/api/errors'
import { generationParamsSchema, type EngineInfo, PROMPT_FORMATS, TRUNCATION_POLICIES, type ModelInfo, type PromptFormat, type RunInfo, type RunSplit } from '../../shared/api/inference'

const SPLIT_ALIASES: Record<string, RunSplit> = {
  instruction: 'test_instruction',
  test_instruction: 'test_instruction',
  completion: 'test_complete',
  complete: 'test_complete',
  test_complete: 'test_complete',
  expert: 'expert'
}

function splitArg(value: string): RunSplit {
  const s = SPLIT_ALIASES[value.trim().toLowerCase()]
  if (!s) throw new AppError('invalid_input', `--split must be instruction, completion or expert (or test_instruction, test_complete), got "${value}"`)
  return s
}

function numberArg(name: string, min: number, max: number) {
  return (value: string): number => {
    const n = Number(value)
    if (!Number.isFinite(n) || n < min || n > max) throw new AppError('invalid_input', `${name} must be a number from ${min} to ${max}, got "${value}"`)
    return n
  }
}

function choiceArg<T extends string>(name: string, choices: readonly T[]) {
  return (value: string): T => {
    if (!(choices as readonly string[]).includes(value)) throw new AppError('invalid_input', `${name} must be one of ${choices.join(', ')}, got "${value}"`)
    return value as T
  }
}

function mib(n: number): string {
  return `${(n / 2 ** 20).toFixed(1)} MiB`
}

/** A model given as a library id, a path already in the library, or a new path (added first). */
export async function resolveModel(s: Services, spec: string, what: string): Promise<ModelInfo> {
  if (/^\d+$/.test(spec)) return s.inference.library.get(Number(spec))
  const path = resolve(spec)
  if (!existsSync(path)) throw new AppError('not_found', `${what} ${spec}: no such file (give a path to a .gguf or a library id from "imhi models list").`)
  return s.inference.library.findByPath(path) ?? (await s.inference.addModel({ path }))
}

function progressPrinter(s: Services, quiet: boolean): () => void {
  let last = ''
  return s.events.subscribe((event, payload) => {
    if (quiet) return
    if (event === 'inference.runProgress') {
      const p = payload as import('../../shared/api/inference').RunProgress
      const eta = p.etaSeconds === null ? '' : `, ETA ${p.etaSeconds} s`
      const line = `run ${p.runId} ${p.status}: ${p.done}/${p.total} items, ${p.itemsPerSecond.toFixed(2)} items/s, ${p.tokensPerSecond.toFixed(1)} tokens/s${eta}${p.error ? ` (${p.error})` : ''}`
      if (line !== last) process.stderr.write(line + '\n')
      last = line
    } else if (event === 'inference.downloadProgress') {
      const d = payload as import('../../shared/api/inference').DownloadProgress
      process.stderr.write(`download ${d.status}: ${mib(d.downloadedBytes)} of ${d.totalBytes ? mib(d.totalBytes) : '?'}${d.error ? ` (${d.error})` : ''}\n`)
    }
  })
}

function runSummary(r: RunInfo) {
  return {
    run: r.id,
    items: r.done,
    tokens: r.generatedTokens,
    seconds: r.seconds,
    tokens_per_second: r.seconds > 0 ? Math.round((r.generatedTokens / r.seconds) * 100) / 100 : 0,
    status: r.status,
    total: r.total,
    ...(r.error ? { error: r.error } : {})
  }
}

/**
 * A converted MentalBART / MentalT5 folder given as --model: the engine registered for that folder,
 * or a new one named after it (loaded, checked and hashed first).
 */
async function folderEngine(s: Services, dir: string): Promise<EngineInfo> {
  const known = s.inference.engines.list().find((e) => e.kind === 'onnx-seq2seq' && e.url === dir)
  if (known) return known
  let name = basename(dir).replace(/[^\w.-]/g, '_') || 'seq2seq'
  for (let i = 2; s.inference.engines.byName(name); i++) name = `${basename(dir).replace(/[^\w.-]/g, '_')}-${i}`
  return await s.inference.addSeq2seqEngine({ name, path: dir })
}

function engineByName(s: Services, name: string): EngineInfo {
  const e = /^\d+$/.test(name) ? s.inference.engines.get(Number(name)) : s.inference.engines.byName(name)
  if (!e) throw new AppError('not_found', `No registered server "${name}" (imhi engines list; add one with imhi engines add NAME --url URL).`)
  return e
}

/** What goes over the network, said before it goes (the app shows the same warning). */
export function networkNotice(e: EngineInfo, items: number): string {
  return (
    `Note: the ${items} post(s) of this run are sent to ${e.url} (server "${e.name}"), over ${e.url.startsWith('https:') ? 'HTTPS' : 'plain HTTP (readable on the network path)'}. ` +
    'They are posts about mental health: send them only to a server you may share the data with.\n'
  )
}

function registerEngines(program: Command): void {
  const engines = program
    .command('engines')
    .description('Engines runs can choose besides a local GGUF: remote OpenAI-compatible servers (vLLM, llama-server, Ollama, TGI, imhi serve --engine) and converted MentalBART/MentalT5 folders (ONNX seq2seq)')
  engines
    .command('add')
    .description('Register a server (nothing is sent to it but a request for its model list), or with --seq2seq a converted MentalBART/MentalT5 folder (loaded, checked and hashed)')
    .argument('<name>', 'a short name for the engine')
    .addOption(dbOption())
    .addOption(new Option('--url <url>', 'base URL of its OpenAI API, e.g. http://gpu-box:8000/v1'))
    .addOption(new Option('--seq2seq <dir>', "a MentalBART / MentalT5 folder in Optimum's ONNX layout (scripts/convert_checkpoints.py seq2seq); it runs on this machine"))
    .addOption(new Option('--api-key-env <var>', 'environment variable that holds its API key (the key is never stored)'))
    .addOption(new Option('--model <id>', "the server's model id (default: the first it lists)"))
    .addOption(new Option('--timeout <s>', 'seconds before a request counts as timed out (then retried)').default(120).argParser(intArg('--timeout')))
    .addOption(new Option('--retries <n>', 'retries of a request on 429, 5xx, timeouts and dropped connections').default(4).argParser(intArg('--retries', 0)))
    .addOption(jsonOption())
    .action(async (name: string, opts: { db: string; url?: string; seq2seq?: string; apiKeyEnv?: string; model?: string; timeout: number; retries: number; json?: boolean }) => {
      if (!opts.url === !opts.seq2seq) throw new AppError('invalid_input', 'give either --url (a remote server) or --seq2seq (a converted MentalBART/MentalT5 folder)')
      await withServices(opts.db, async (s) => {
        if (opts.seq2seq) {
          if (opts.apiKeyEnv || opts.model) throw new AppError('invalid_input', '--api-key-env and --model go with --url, not with --seq2seq')
          const e = await s.inference.addSeq2seqEngine({ name, path: opts.seq2seq })
          const check = await s.inference.checkEngine(e.id)
          if (opts.json) return printJson({ ...e, check })
          process.stdout.write(`engine ${e.id}: ${e.name} onnx-seq2seq ${e.url} (sha256 ${e.model})\n${check.message}\n`)
          return
        }
        const e = s.inference.engines.add({ name, url: opts.url!, apiKeyEnv: opts.apiKeyEnv, model: opts.model, timeoutSeconds: opts.timeout, maxRetries: opts.retries })
        const check = await s.inference.checkEngine(e.id)
        if (opts.json) return printJson({ ...e, check })
        process.stdout.write(`server ${e.id}: ${e.name} ${e.url}${e.model ? ` model ${e.model}` : ''}${e.apiKeyEnv ? ` (key from $${e.apiKeyEnv}${e.apiKeySet ? '' : ', not set now'})` : ''}\n`)
        process.stdout.write(`${check.ok ? 'ok' : 'not reachable now'}: ${check.message}\n`)
      })
    })
  engines
    .command('list')
    .description('List the registered servers')
    .addOption(dbOption())
    .addOption(jsonOption())
    .action(async (opts: { db: string; json?: boolean }) => {
      await withServices(opts.db, (s) => {
        const list = s.inference.engines.list()
        if (opts.json) return printJson(list)
        if (list.length === 0) process.stdout.write('no servers; add one with: imhi engines add NAME --url URL --db FILE\n')
        for (const e of list) {
          if (e.kind === 'onnx-seq2seq') process.stdout.write(`${e.id}\t${e.name}\tonnx-seq2seq\t${e.url}\tsha256 ${e.model?.slice(0, 12) ?? '?'}\n`)
          else process.stdout.write(`${e.id}\t${e.name}\t${e.url}\t${e.model ?? '(first listed)'}\t${e.apiKeyEnv ? `$${e.apiKeyEnv}` : 'no key'}\n`)
        }
      })
    })
  engines
    .command('check')
    .description("Ask a server for its models and whether it returns prompt log-probabilities (sends no post)")
    .argument('<name>', 'server name or id')
    .addOption(dbOption())
    .addOption(jsonOption())
    .action(async (name: string, opts: { db: string; json?: boolean }) => {
      await withServices(opts.db, async (s) => {
        const check = await s.inference.checkEngine(engineByName(s, name).id)
        if (opts.json) return printJson(check)
        process.stdout.write(`${check.ok ? 'ok' : 'not reachable'}: ${check.message}\n`)
        if (!check.ok) throw new AppError('unsupported', check.message)
      })
    })
  engines
    .command('remove')
    .description('Forget a server (its runs keep their rows)')
    .argument('<name>', 'server name or id')
    .addOption(dbOption())
    .action(async (name: string, opts: { db: string }) => {
      await withServices(opts.db, (s) => {
        const e = engineByName(s, name)
        s.inference.removeEngine(e.id)
        process.stdout.write(`removed server ${e.name}\n`)
      })
    })
}

/** Ctrl+C (or SIGTERM) pauses the run cleanly: finished items are kept and `imhi runs resume` continues. */
async function runInForeground(s: Services, runId: number, parallel: number | undefined): Promise<RunInfo> {
  const onSignal = () => {
    process.stderr.write(`\npausing run ${runId} (resume with: imhi runs resume ${runId})\n`)
    void s.inference.pauseRun(runId).catch(() => undefined)
  }
  process.once('SIGINT', onSignal)
  process.once('SIGTERM', onSignal)
  try {
    return await s.inference.runToEnd(runId, parallel)
  } finally {
    process.off('SIGINT', onSignal)
    process.off('SIGTERM', onSignal)
  }
}

function finishRunCommand(r: RunInfo, json: boolean): void {
  if (json) printJson(runSummary(r))
  else {
    const sum = runSummary(r)
    process.stdout.write(`run ${r.id} ${r.status}: ${r.done}/${r.total} items, ${sum.tokens} tokens in ${sum.seconds} s (${sum.tokens_per_second} tokens/s)\n`)
  }
  if (r.status === 'failed') throw new AppError('internal', `run ${r.id} failed: ${r.error ?? 'unknown error'}`)
  // Paused by the engine (a server that went away, refused the key, ...): say why and how to go on.
  if (r.status === 'paused' && r.error) throw new AppError('unsupported', `run ${r.id} paused: ${r.error} Resume with: imhi runs resume ${r.id}`)
}

/** The inference domain's commands. */
export function registerInference(program: Command): void {
  const models = program.command('models').description('The model library: GGUF files (local, downloaded) and LoRA adapters')

  models
    .command('add')
    .description('Add a local .gguf (validated, metadata read, hashed), or download one by https URL or hf:user/repo[:quant]')
    .argument('<source>', 'PATH to a .gguf, an https:// URL, or an hf: URI')
    .addOption(dbOption())
    .addOption(new Option('--base <id>', 'for a LoRA adapter: the library id of its base model').argParser(intArg('--base')))
    .addOption(jsonOption())
    .action(async (source: string, opts: { db: string; base?: number; json?: boolean }) => {
      await withServices(opts.db, async (s) => {
        let model: ModelInfo
        if (/^(hf:|https?:\/\/)/i.test(source)) {
          const stop = progressPrinter(s, false)
          try {
            const started = await s.inference.download({ uri: source, baseModelId: opts.base })
            const d = await s.inference.waitForDownload(started.downloadId)
            if (d.status !== 'completed' || d.modelId === null) throw new AppError('internal', d.error ?? `download ${d.status}`)
            model = s.inference.library.get(d.modelId)
          } finally {
            stop()
          }
        } else {
          model = await s.inference.addModel({ path: source, baseModelId: opts.base })
        }
        if (opts.json) printJson(model)
        else {
          const m = model.metadata
          process.stdout.write(
            `model ${model.id}: ${model.fileName} (${model.kind}) ${m.architecture}, ${(m.parameters / 1e6).toFixed(1)} M parameters, ${m.fileType ?? '?'}, context ${m.contextLength ?? '?'}, ${mib(model.sizeBytes)}, sha256 ${model.sha256}\n`
          )
        }
      })
    })

  models
    .command('list')
    .description('List the model library')
    .addOption(dbOption())
    .addOption(jsonOption())
    .action(async (opts: { db: string; json?: boolean }) => {
      await withServices(opts.db, (s) => {
        const list = s.inference.library.list()
        if (opts.json) return printJson(list)
        if (list.length === 0) process.stdout.write('no models; add one with: imhi models add PATH --db FILE\n')
        for (const m of list) {
          process.stdout.write(
            `${m.id}\t${m.kind}\t${m.fileName}\t${m.architecture ?? '?'}\t${(m.metadata.parameters / 1e6).toFixed(1)}M\t${m.metadata.fileType ?? '?'}\t${mib(m.sizeBytes)}${m.missing ? '\tMISSING' : ''}\n`
          )
        }
      })
    })

  models
    .command('remove')
    .description('Remove a model from the library (its explanations keep the file name and SHA-256)')
    .argument('<id>', 'library id', intArg('id'))
    .addOption(dbOption())
    .addOption(new Option('--delete-file', 'also delete the file when the app downloaded it'))
    .addOption(jsonOption())
    .action(async (id: number, opts: { db: string; deleteFile?: boolean; json?: boolean }) => {
      await withServices(opts.db, async (s) => {
        const r = await s.inference.removeModel({ id, deleteFile: !!opts.deleteFile })
        if (opts.json) printJson(r)
        else process.stdout.write(`removed model ${id}\n`)
      })
    })

  registerModelSettingsCommand(models)

  program
    .command('generate')
    .description('Run a model over IMHI test sets as IMHI.py does (a benchmark run); progress on stderr, Ctrl+C pauses')
    .addOption(dbOption())
    .addOption(new Option('--model <path|id>', 'a .gguf path (added to the library if new), a library id, or a converted MentalBART/MentalT5 folder (registered as an engine if new)'))
    .addOption(new Option('--engine <name>', 'a registered engine instead of a local model (imhi engines add): an OpenAI-compatible server (the posts are sent to it) or a MentalBART/MentalT5 folder (run here; --parallel is its batch size)'))
    .addOption(new Option('--adapter <path|id>', 'a LoRA adapter for the model'))
    .addOption(new Option('--dataset <names>', 'dataset(s), comma-separated, e.g. DR,dreaddit').makeOptionMandatory())
    .addOption(new Option('--split <split>', 'instruction, completion or expert').makeOptionMandatory().argParser(splitArg))
    .addOption(new Option('--limit <n>', 'only the first N items of each dataset').argParser(intArg('--limit')))
    .addOption(new Option('--parallel <k>', 'sequences decoded together in one batch; 1 (the default) is the deterministic mode: each text independent of its batch, the same on a rerun; more is faster but texts may differ between runs').default(1).argParser(intArg('--parallel')))
    .addOption(new Option('--format <format>', 'prompt format: raw (IMHI.py), chat (model template), completion').default('raw').argParser(choiceArg('--format', PROMPT_FORMATS)))
    .addOption(new Option('--max-tokens <n>', 'maximum new tokens per item').default(256).argParser(intArg('--max-tokens')))
    .addOption(new Option('--seed <n>', 'sampling seed (with --temperature > 0)').default(0).argParser(intArg('--seed', 0)))
    .addOption(new Option('--temperature <t>', '0 = greedy (default)').default(0).argParser(numberArg('--temperature', 0, 2)))
    .addOption(new Option('--top-p <p>', 'nucleus sampling').default(1).argParser(numberArg('--top-p', 0.0001, 1)))
    .addOption(new Option('--repeat-penalty <r>', 'repeat penalty over the last 64 tokens, 1..2 (default: none)').argParser(numberArg('--repeat-penalty', 1, 2)))
    .addOption(new Option('--context-size <n>', "tokens per sequence (default: the model's saved setting, else min(model context, 2048))").argParser(intArg('--context-size', 64)))
    .addOption(new Option('--truncation <policy>', 'prompts longer than the context: middle (drop the middle) or error').default('middle').argParser(choiceArg('--truncation', TRUNCATION_POLICIES)))
    .addOption(new Option('--name <name>', 'a name for the run'))
    .addOption(new Option('--quiet', 'no progress on stderr'))
    .addOption(jsonOption())
    .action(
      async (opts: {
        db: string
        model?: string
        engine?: string
        adapter?: string
        dataset: string
        split: RunSplit
        limit?: number
        parallel: number
        format: PromptFormat
        maxTokens: number
        seed: number
        temperature: number
        topP: number
        repeatPenalty?: number
        contextSize?: number
        truncation: 'middle' | 'error'
        name?: string
        quiet?: boolean
        json?: boolean
      }) => {
        await withServices(opts.db, async (s) => {
          if (!opts.model === !opts.engine) throw new AppError('invalid_input', 'give either --model (a local GGUF or MentalBART/MentalT5 folder) or --engine (a registered engine)')
          const folder = opts.model && !/^\d+$/.test(opts.model) && existsSync(resolve(opts.model)) && statSync(resolve(opts.model)).isDirectory() ? resolve(opts.model) : null
          if (folder) opts.model = undefined
          const remote = opts.engine ? engineByName(s, opts.engine) : folder ? await folderEngine(s, folder) : null
          if (remote && opts.adapter) throw new AppError('invalid_input', '--adapter goes with a local GGUF --model, not with an engine')
          const model = opts.model ? await resolveModel(s, opts.model, '--model') : null
          const adapter = opts.adapter ? await resolveModel(s, opts.adapter, '--adapter') : null
          const datasets = opts.dataset.split(',').map((d) => d.trim()).filter(Boolean)
          const params = generationParamsSchema.parse({
            temperature: opts.temperature,
            topP: opts.topP,
            seed: opts.seed,
            maxTokens: opts.maxTokens,
            truncation: opts.truncation,
            ...(opts.contextSize ? { contextSize: opts.contextSize } : {}),
            ...(opts.repeatPenalty && opts.repeatPenalty > 1 ? { repeatPenalty: opts.repeatPenalty } : {})
          })
          const planned = s.inference.createRun(
            {
              name: opts.name,
              modelId: model?.id,
              engineId: remote?.id,
              adapterId: adapter?.id,
              datasets,
              split: opts.split,
              limit: opts.limit,
              parallel: opts.parallel,
              format: opts.format,
              params
            },
            { start: false }
          )
          if (remote && remote.kind === 'openai') process.stderr.write(networkNotice(remote, planned.total))
          const per = remote?.kind === 'onnx-seq2seq' ? 'per batch' : remote ? 'requests in flight' : 'parallel'
          process.stderr.write(`run ${planned.id}: ${planned.total} items, ${planned.modelFile}, ${opts.format}, ${opts.parallel} ${per}\n`)
          const stop = progressPrinter(s, !!opts.quiet)
          try {
            finishRunCommand(await runInForeground(s, planned.id, opts.parallel), !!opts.json)
          } finally {
            stop()
          }
        })
      }
    )

  registerEngines(program)

  const runs = program.command('runs').description('Benchmark runs: list, resume, export')

  runs
    .command('list')
    .description('List runs with their progress')
    .addOption(dbOption())
    .addOption(jsonOption())
    .action(async (opts: { db: string; json?: boolean }) => {
      await withServices(opts.db, (s) => {
        const list = s.inference.listRuns()
        if (opts.json) return printJson(list)
        if (list.length === 0) process.stdout.write('no runs\n')
        for (const r of list) {
          process.stdout.write(`${r.id}\t${r.status}\t${r.done}/${r.total}\t${r.modelFile}\t${r.promptFormat}\t${r.split}\t${r.datasets.join(',')}${r.error ? `\t${r.error}` : ''}\n`)
        }
      })
    })

  runs
    .command('resume')
    .description('Continue a paused, failed or interrupted run without repeating finished items')
    .argument('<id>', 'run id', intArg('id'))
    .addOption(dbOption())
    .addOption(new Option('--parallel <k>', 'sequences decoding in parallel (default: as the run was created)').argParser(intArg('--parallel')))
    .addOption(new Option('--quiet', 'no progress on stderr'))
    .addOption(jsonOption())
    .action(async (id: number, opts: { db: string; parallel?: number; quiet?: boolean; json?: boolean }) => {
      await withServices(opts.db, async (s) => {
        const stop = progressPrinter(s, !!opts.quiet)
        try {
          finishRunCommand(await runInForeground(s, id, opts.parallel), !!opts.json)
        } finally {
          stop()
        }
      })
    })

  runs
    .command('export')
    .description('Write DIR/DATASET.csv (goldens,generated_text) per dataset, in the test files\' order, as IMHI.py does')
    .argument('<id>', 'run id', intArg('id'))
    .addOption(dbOption())
    .addOption(new Option('--out <dir>', 'output folder').makeOptionMandatory())
    .addOption(new Option('--no-formula-guard', 'write cells exactly as generated (no apostrophe before =, +, -, @)'))
    .addOption(jsonOption())
    .action(async (id: number, opts: { db: string; out: string; formulaGuard: boolean; json?: boolean }) => {
      await withServices(opts.db, async (s) => {
        const r = await s.inference.exportRun(id, opts.out, { guard: opts.formulaGuard })
        if (opts.json) return printJson(r)
        for (const f of r.files) process.stdout.write(`${f.path}\t${f.rows} rows\n`)
        if (r.missing > 0) process.stderr.write(`warning: ${r.missing} item(s) not generated yet have an empty generated_text (resume the run first)\n`)
      })
    })
}
