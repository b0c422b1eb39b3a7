import { Option, type Command } from 'commander'
import { dbOption, intArg, openServices } from './common'
import { createHandlers } from '../api/handlers'
import { inProcessBackend, type ApiBackend } from '../api/backend'
import { startServer } from '../server/serve'
import { createOpenAiApi } from '../server/openai-api'
import { CoreHost } from '../core/host'
import { threadLanes } from '../core/thread-lanes'
import { readConfig } from '../config'
import { resolveModel } from './inference'
import { AppError } from '../../shared/api/errors'
import { rendererDir } from '../paths'
import { APP_VERSION } from '../version'
import type { Services } from '../services'
import { networkInterfaces } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { existsSync } from 'node:fs'

function isLoopbackName(host: string): boolean {
  return host === '127.0.0.1' || host === 'localhost' || host === '::1'
}

/** For a wildcard bind (0.0.0.0, ::) the URLs on each of this machine's network addresses. */
function lanUrls(host: string, port: number, token: string): string[] {
  if (host !== '0.0.0.0' && host !== '::') return []
  const urls: string[] = []
  for (const addrs of Object.values(networkInterfaces())) {
    for (const a of addrs ?? []) {
      if (a.internal || (host === '0.0.0.0' && a.family !== 'IPv4')) continue
      const h = a.family === 'IPv6' ? `[${a.address}]` : a.address
      urls.push(`http://${h}:${port}/?token=${encodeURIComponent(token)}`)
    }
  }
  return urls
}

/** A port that is taken or not ours to bind becomes a message with the way out, not a stack trace. */
function listenError(err: unknown, host: string, port: number): unknown {
  const code = (err as NodeJS.ErrnoException | null)?.code
  if (code === 'EADDRINUSE') {
    return new AppError('conflict', `Port ${port} on ${host} is already in use (another imhi serve or app?). Stop it, or choose another port: --port ${port + 1}, or --port 0 for any free port.`)
  }
  if (code === 'EACCES') {
    return new AppError('forbidden', `Not allowed to listen on port ${port} on ${host} (ports below 1024 need administrator rights). Choose another port: --port 7860, or --port 0 for any free port.`)
  }
  if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND') {
    return new AppError('invalid_input', `Cannot listen on ${host}: this machine has no such address. Leave --host out for 127.0.0.1.`)
  }
  return err
}

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('Serve the workbench UI and API to a browser (127.0.0.1 unless --host says otherwise)')
    .addOption(dbOption())
    .addOption(new Option('--port <n>', 'port (0: any free port)').default(7860).argParser(intArg('--port', 0)))
    .addOption(new Option('--host <host>', 'interface to bind; anything but 127.0.0.1 opens the server to your network').default('127.0.0.1'))
    .addOption(new Option('--token <token>', 'owner token (default: a new random one)').env('IMHI_TOKEN'))
    .addOption(new Option('--engine <path|id>', 'also answer the OpenAI-compatible API (/v1/models, /v1/completions, /v1/chat/completions) with this GGUF; the API key is the token'))
    .addOption(new Option('--engine-parallel <n>', 'with --engine: requests decoding side by side (more wait their turn)').default(8).argParser(intArg('--engine-parallel')))
    .addOption(new Option('--engine-context <n>', "with --engine: tokens per sequence (default: the model's saved setting, else min(its context, 2048))").argParser(intArg('--engine-context', 64)))
    .action(async (opts: { db: string; port: number; host: string; token?: string; engine?: string; engineParallel: number; engineContext?: number }) => {
      const config = readConfig()
      const dbFile = resolve(opts.db)
      // Said before the core starts: there is nothing to serve a browser without the built renderer.
      if (!opts.engine && !existsSync(join(rendererDir(), 'index.html'))) {
        throw new AppError('not_found', `The renderer is not built (${join(rendererDir(), 'index.html')} is missing). Run "npm run build" first.`)
      }
      // The services run in the core's own threads (core/host.ts): this thread only serves HTTP and
      // the WebSocket, so it answers within a frame while an import or a training runs.
      let backend: ApiBackend
      let core: CoreHost | null = null
      let local: Services | null = null
      if (config.coreInProcess) {
        local = openServices(opts.db)
        backend = inProcessBackend(createHandlers(local), local.events, (t) => local!.annotation.resolveToken(t))
      } else {
        core = new CoreHost({
          spawn: threadLanes({ dbFile, dataDir: dirname(dbFile), transport: 'serve', version: APP_VERSION, sqliteBinding: config.sqliteBinding ?? undefined, services: config.services }),
          dbFile,
          onState: (st) => {
            if (st.state !== 'ready' && st.state !== 'starting') process.stderr.write(`imhi serve: ${st.message}\n`)
          }
        })
        try {
          await core.start()
        } catch (err) {
          await core.close()
          const e = AppError.from(err)
          if ((e.details as { damaged?: boolean } | undefined)?.damaged) {
            throw new AppError(e.code, `${e.message} Run "imhi doctor --db ${opts.db}" to check it, back it up and recover what can be read.`, e.details)
          }
          throw e
        }
        backend = core
      }
      const closeAll = async (): Promise<void> => {
        await core?.close()
        await local?.close()
      }
      let openAiApi: ReturnType<typeof createOpenAiApi> | undefined
      let engineLine = ''
      if (opts.engine) {
        // The OpenAI-compatible API drives llama.cpp's own worker thread from here.
        local ??= openServices(opts.db)
        const s = local
        const model = await resolveModel(s, opts.engine, '--engine')
        if (model.kind !== 'model') throw new AppError('invalid_input', `--engine ${opts.engine}: ${model.fileName} is a LoRA adapter, not a model.`)
        const session = s.inference.localSession(model.id, { lanes: opts.engineParallel })
        await session.prepare()
        await s.inference.load({ id: model.id, gpuLayers: 'auto' })
        // The flag, else the model's saved context size (its other settings apply in localSession), else the default.
        const contextSize = opts.engineContext ?? s.inference.settings.store.get(model.id)?.settings.contextSize ?? Math.min(model.metadata.contextLength || 2048, 2048)
        openAiApi = createOpenAiApi({ session, modelName: model.fileName, contextSize, lanes: opts.engineParallel, maxBodyBytes: 16 * 1024 * 1024 })
        engineLine = `model ${model.fileName}, ${opts.engineParallel} in flight, ${contextSize}-token context`
      }
      const server = await startServer({
        backend,
        rendererDir: rendererDir(),
        host: opts.host,
        port: opts.port,
        token: opts.token,
        openAiApi,
        allowMissingRenderer: !!opts.engine
      }).catch(async (err: unknown) => {
        await closeAll()
        throw listenError(err, opts.host, opts.port)
      })
      process.stdout.write(`IMHI Workbench is serving ${dbFile}\nOpen ${server.url}\n`)
      if (openAiApi) {
        const urlHost = opts.host.includes(':') ? `[${opts.host}]` : opts.host
        process.stdout.write(`OpenAI-compatible API: http://${urlHost}:${server.port}/v1 (${engineLine}); the API key is the token above\n`)
      }
      if (!isLoopbackName(opts.host)) {
        for (const url of lanUrls(opts.host, server.port, server.token)) process.stdout.write(`     ${url}\n`)
        process.stderr.write(
          `Warning: bound to ${opts.host}, not 127.0.0.1: anyone on your network who has the token can read this database ` +
            '(posts about depression and suicide). Share the URL only with people who may see the data, and stop the server when done.\n'
        )
      }
      // The handlers go in before the last line is printed: whoever waits for that line to stop the
      // server (a test, a supervisor) must find them in place.
      const stopped = new Promise<void>((resolve) => {
        const stop = () => resolve()
        process.once('SIGINT', stop)
        process.once('SIGTERM', stop)
      })
      process.stdout.write('For research use only: not a diagnostic or clinical tool. Press Ctrl+C to stop.\n')
      await stopped
      await server.close()
      await closeAll()
    })
}
