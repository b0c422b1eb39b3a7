import { Option, type Command } from 'commander'
import { dbOption, intArg, jsonOption, printJson, withServices } from './common'
import { AppError } from '../../shared/api/errors'
import { BACKEND_CHOICES, modelSettingsSchema, type ModelSettings } from '../../shared/api/modelSettings'

/** "auto"/"default" (unset) or an integer >= min. */
function intOrUnset(name: string, min: number, unset: string) {
  return (value: string): number | null => {
    if (value.trim().toLowerCase() === unset) return null
    const n = Number(value)
    if (!Number.isInteger(n) || n < min) throw new AppError('invalid_input', `${name} must be ${unset} or an integer >= ${min}, got "${value}"`)
    return n
  }
}

function show(s: ModelSettings): string {
  const v = (x: number | null, unset: string) => (x === null ? unset : String(x))
  return `backend ${s.backend}, GPU layers ${s.gpuLayers}, threads ${v(s.threads, 'default')}, context ${v(s.contextSize, 'default')}, batch ${v(s.batchSize, 'default')}`
}

/**
 * `imhi models settings ID`: a model's inference settings (the same ones as the Models page):
 * shown with the fit estimate, changed field by field (the others keep their saved value), or reset.
 */
export function registerModelSettingsCommand(models: Command): void {
  models
    .command('settings')
    .description("Show or change a model's inference settings (backend, GPU layers, threads, context, batch) with the memory fit estimate")
    .argument('<id>', 'library id of the model', intArg('id'))
    .addOption(dbOption())
    .addOption(new Option('--backend <kind>', `compute backend: ${BACKEND_CHOICES.join(', ')}`).choices([...BACKEND_CHOICES]))
    .addOption(new Option('--gpu-layers <n>', 'layers on the GPU: auto or a number (0 = CPU only)').argParser(intOrUnset('--gpu-layers', 0, 'auto')))
    .addOption(new Option('--threads <n>', 'CPU threads, or default').argParser(intOrUnset('--threads', 1, 'default')))
    .addOption(new Option('--context-size <n>', 'tokens per sequence, or default').argParser(intOrUnset('--context-size', 64, 'default')))
    .addOption(new Option('--batch-size <n>', 'tokens per decode call, or default').argParser(intOrUnset('--batch-size', 16, 'default')))
    .addOption(new Option('--reset', "forget the model's settings (the host defaults apply)"))
    .addOption(jsonOption())
    .action(
      async (
        id: number,
        opts: { db: string; backend?: ModelSettings['backend']; gpuLayers?: number | null; threads?: number | null; contextSize?: number | null; batchSize?: number | null; reset?: boolean; json?: boolean }
      ) => {
        await withServices(opts.db, async (s) => {
          const st = s.inference.settings
          let view = await st.view(id)
          const changes: Partial<ModelSettings> = {}
          if (opts.backend !== undefined) changes.backend = opts.backend
          if (opts.gpuLayers !== undefined) changes.gpuLayers = opts.gpuLayers === null ? 'auto' : opts.gpuLayers
          if (opts.threads !== undefined) changes.threads = opts.threads
          if (opts.contextSize !== undefined) changes.contextSize = opts.contextSize
          if (opts.batchSize !== undefined) changes.batchSize = opts.batchSize
          if (opts.reset && Object.keys(changes).length > 0) throw new AppError('invalid_input', '--reset goes alone: it forgets every setting of the model.')
          if (opts.reset) view = await st.reset(id)
          else if (Object.keys(changes).length > 0) view = await st.set(id, modelSettingsSchema.parse({ ...view.settings, ...changes }))
          const fit = await st.estimate(id, view.settings)
          if (opts.json) return printJson({ ...view, fit })
          process.stdout.write(`${show(view.settings)}${view.updatedAt ? ` (saved ${view.updatedAt})` : ' (defaults: nothing saved)'}\n`)
          process.stdout.write(`host defaults: backend ${view.hostDefaults.backend}, threads ${view.hostDefaults.threads}, context ${view.hostDefaults.contextSize}, batch ${view.hostDefaults.batchSize}\n`)
          process.stdout.write(`${fit.fits ? 'fits' : 'DOES NOT FIT'}: ${fit.message}\n`)
        })
      }
    )
}
