import { describe, expect, it } from 'vitest'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { testServices } from '../support/services'
import { tempDir } from '../support/tmp'
import { dispatch } from '../../src/main/api/dispatch'
import { createHandlers } from '../../src/main/api/handlers'
import { AppError, MAX_ERROR_CHARS } from '../../src/shared/api/errors'
import { imhiCli } from './isolated'

// Defect 8: a CSV whose header has a million columns was echoed whole (10.9 MB; 200,000 here) into stderr, the
// JSON report and the API answer. Every error message is capped where it is made.

describe('error messages are capped', () => {
  const dir = tempDir()
  const s = testServices()

  const root = join(dir, 'wide')
  const file = join(root, 'test_data', 'test_instruction', 'DR.csv')
  mkdirSync(join(file, '..'), { recursive: true })
  const header = Array.from({ length: 200_000 }, (_, i) => `column_${i}`).join(',')
  writeFileSync(file, `${header}\n`)

  it('the import report, the CLI (stderr and --json) and the API answer each hold a short message', async () => {
    const report = await s.imhi.importPath(root)
    const err = report.files[0].error!
    expect(err).toMatch(/^test_data\/test_instruction\/DR\.csv: /)
    expect(err.length).toBeLessThanOrEqual(MAX_ERROR_CHARS)
    expect(err).toMatch(/characters cut/)

    const cli = imhiCli(['import', root, '--db', join(dir, 'cli.db'), '--json'])
    expect(cli.code).toBe(1)
    expect(cli.stdout.length + cli.stderr.length).toBeLessThan(20_000)

    const ctx = { client: { id: 't', transport: 'serve' as const, role: 'owner' as const, annotatorId: null }, emit: () => {} }
    const answer = await dispatch(createHandlers(s), 'imhi.import', { path: root }, ctx)
    expect(JSON.stringify(answer).length).toBeLessThan(20_000)
  })

  it('an invalid payload with 100,000 unknown fields gets a short error', async () => {
    const ctx = { client: { id: 't', transport: 'serve' as const, role: 'owner' as const, annotatorId: null }, emit: () => {} }
    const params = Object.fromEntries(Array.from({ length: 100_000 }, (_, i) => [`field${i}`, i]))
    const e = await dispatch(createHandlers(s), 'imhi.search', params, ctx).catch((x: unknown) => AppError.from(x))
    expect(e).toBeInstanceOf(AppError)
    expect((e as AppError).message.length).toBeLessThanOrEqual(MAX_ERROR_CHARS)
    expect(JSON.stringify((e as AppError).toBody()).length).toBeLessThan(20_000)
  })
})
