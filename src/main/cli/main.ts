import { Command, CommanderError } from 'commander'
import { AppError } from '../../shared/api/errors'
import { APP_VERSION } from '../version'
import { registerImhi } from './imhi'
import { registerServe } from './serve'
import { registerInference } from './inference'
import { registerEvaluation } from './evaluation'
import { registerAnnotation } from './annotation'
import { registerDoctor } from './doctor'
import { withCliHint } from './hints'
import { readConfig } from '../config'

export function buildProgram(): Command {
  const program = new Command()
  program
    .name('imhi')
    .description(
      'IMHI Workbench command line: import and search the IMHI benchmark, generate and score explanations, run annotation studies.\n' +
        'For research use only: not a diagnostic or clinical tool.'
    )
    .version(APP_VERSION)
    .showHelpAfterError()
    .exitOverride()
  registerImhi(program)
  registerServe(program)
  registerInference(program)
  registerEvaluation(program)
  registerAnnotation(program)
  registerDoctor(program)
  return program
}

/** Errors go to stderr with a non-zero exit code; stdout stays clean for --json. */
export async function main(argv: string[] = process.argv): Promise<number> {
  const program = buildProgram()
  try {
    await program.parseAsync(argv)
    return 0
  } catch (err) {
    if (err instanceof CommanderError) {
      // Help and version are "errors" to commander with exit code 0.
      return err.exitCode
    }
    const e = AppError.from(err)
    process.stderr.write(`imhi: ${withCliHint(e.message, e.details)}\n`)
    if (readConfig().debug && err instanceof Error && err.stack) process.stderr.write(err.stack + '\n')
    return e.code === 'invalid_input' ? 2 : 1
  }
}
