import { Option, type Command } from 'commander'
import { dbOption, intArg, openServices } from './common'
import { createHandlers } from '../api/handlers'
import { startServer } from '../server/serve'
import { rendererDir } from '../paths'

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('Serve the workbench UI and API to a browser (127.0.0.1 unless --host says otherwise)')
    .addOption(dbOption())
    .addOption(new Option('--port <n>', 'port (0: any free port)').default(7860).argParser(intArg('--port', 0)))
    .addOption(new Option('--host <host>', 'interface to bind; anything but 127.0.0.1 opens the server to your network').default('127.0.0.1'))
    .addOption(new Option('--token <token>', 'owner token (default: a new random one)').env('IMHI_TOKEN'))
    .action(async (opts: { db: string; port: number; host: string; token?: string }) => {
      const s = openServices(opts.db)
      const handlers = createHandlers(s)
      const server = await startServer({
        handlers,
        events: s.events,
        rendererDir: rendererDir(),
        host: opts.host,
        port: opts.port,
        token: opts.token
      })
      process.stdout.write(`IMHI Workbench is serving ${opts.db}\n${server.url}\n`)
      if (opts.host !== '127.0.0.1' && opts.host !== 'localhost') {
        process.stdout.write(`Warning: bound to ${opts.host}: anyone on your network with the token can use this workbench.\n`)
      }
      process.stdout.write('For research use only: not a diagnostic or clinical tool. Press Ctrl+C to stop.\n')
      await new Promise<void>((resolve) => {
        const stop = () => resolve()
        process.once('SIGINT', stop)
        process.once('SIGTERM', stop)
      })
      await server.close()
      await s.close()
    })
}
