import { Option, type Command } from 'commander'
import { existsSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { openDatabase } from '../db/open'
import { createServices, type Services } from '../services'
import { AppError } from '../../shared/api/errors'
import { APP_VERSION } from '../version'
import { readConfig } from '../config'

export const dbOption = () => new Option('--db <file>', 'SQLite database file (created if missing)').makeOptionMandatory()
export const jsonOption = () => new Option('--json', 'print one JSON document on stdout')

/**
 * Opens the database named by --db and builds the services, exactly as the app does. Commands that
 * only read (stats, search) pass `create: false`, so a mistyped path is an error, not a new empty file.
 */
export function openServices(dbFile: string, opts: { create?: boolean; readonly?: boolean } = {}): Services {
  const file = resolve(dbFile)
  if ((opts.create === false || opts.readonly) && !existsSync(file)) {
    throw new AppError('not_found', `No database at ${file}. Import the IMHI data first: imhi import PATH --db ${dbFile}`)
  }
  let db
  try {
    db = openDatabase(file, { readonly: opts.readonly, nativeBinding: readConfig().sqliteBinding ?? undefined })
  } catch (err) {
    const e = AppError.from(err)
    if ((e.details as { damaged?: boolean } | undefined)?.damaged) {
      throw new AppError(e.code, `${e.message} Run "imhi doctor --db ${dbFile}" to check it, back it up and recover what can be read.`, e.details)
    }
    throw e
  }
  return createServices({ db, dataDir: dirname(file), platform: { transport: 'cli', version: APP_VERSION, dbFile: file }, options: readConfig().services })
}

/** Runs a command body with services open, closing them after, whatever happens. */
export async function withServices<T>(dbFile: string, body: (s: Services) => Promise<T> | T, opts: { create?: boolean; readonly?: boolean } = {}): Promise<T> {
  const s = openServices(dbFile, opts)
  try {
    return await body(s)
  } finally {
    await s.close()
  }
}

export function printJson(value: unknown): void {
  process.stdout.write(JSON.stringify(value, null, 2) + '\n')
}

/** Parses a positive integer CLI argument, naming the option when it is not one. */
export function intArg(name: string, min = 1) {
  return (value: string): number => {
    const n = Number(value)
    if (!Number.isInteger(n) || n < min) throw new AppError('invalid_input', `${name} must be an integer >= ${min}, got "${value}"`)
    return n
  }
}

export type Register = (program: Command) => void
