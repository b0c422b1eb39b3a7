import { describe, expect, it } from 'vitest'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { testServices } from '../support/services'
import { tempDir } from '../support/tmp'
import { createHandlers } from '../../src/main/api/handlers'
import { dispatch, type CallContext } from '../../src/main/api/dispatch'
import { PROGRESS_ROWS, type ImportProgress } from '../../src/main/imhi/importer'
import type { ImportReport } from '../../src/shared/api/imhi'

// Import progress inside a file (every PROGRESS_ROWS rows) and at each file's end; a cancel stops
// before the next file or at the next progress point inside one (that file rolled back whole).

const row = (name: string, i: number) => `"Consider this post: ""${name} post ${i} about sleep"" Question: Does the poster suffer from depression?","yes. Reasoning: r."`

function folder(dir: string, files: Record<string, number>): string {
  const root = join(dir, `f-${Math.random().toString(36).slice(2)}`)
  for (const [name, rows] of Object.entries(files)) {
    const file = join(root, 'test_data', 'test_instruction', `${name}.csv`)
    mkdirSync(join(file, '..'), { recursive: true })
    writeFileSync(file, 'query,gpt-3.5-turbo\n' + Array.from({ length: rows }, (_, i) => row(name, i)).join('\n') + '\n')
  }
  return root
}

const itemsOf = (s: ReturnType<typeof testServices>, dataset: string) => s.imhi.search({ datasets: [dataset], offset: 0, limit: 1 }).total

describe('import: progress and cancel', () => {
  const dir = tempDir()

  it('reports rows inside a long file, then the file done', async () => {
    const s = testServices()
    const seen: ImportProgress[] = []
    const r = await s.imhi.importPath(folder(dir, { DR: 25_000, SAD: 10 }), { onProgress: (p) => seen.push({ ...p }) })
    expect(r.errors).toBe(0)
    expect(seen).toEqual([
      { file: 'test_data/test_instruction/DR.csv', filesDone: 0, filesTotal: 2, rows: PROGRESS_ROWS },
      { file: 'test_data/test_instruction/DR.csv', filesDone: 0, filesTotal: 2, rows: 2 * PROGRESS_ROWS },
      { file: 'test_data/test_instruction/DR.csv', filesDone: 1, filesTotal: 2, rows: 25_000 },
      { file: 'test_data/test_instruction/SAD.csv', filesDone: 2, filesTotal: 2, rows: 25_010 }
    ])
  })

  it('a cancel between files: the files before stay whole, the rest are not read; importing again finishes', async () => {
    const s = testServices()
    const root = folder(dir, { DR: 30, SAD: 20, CAMS: 10 })
    const r = await s.imhi.importPath(root, { onProgress: (p) => p.filesDone === 1 && s.imhi.cancelImport() })
    expect(r).toMatchObject({ cancelled: true, notRead: 2, added: 10, errors: 0 })
    expect(r.files.map((f) => f.file)).toEqual(['test_data/test_instruction/CAMS.csv'])
    expect([itemsOf(s, 'CAMS'), itemsOf(s, 'DR'), itemsOf(s, 'SAD')]).toEqual([10, 0, 0])
    const again = await s.imhi.importPath(root)
    expect(again.cancelled).toBeUndefined()
    expect(again).toMatchObject({ added: 50, unchanged: 10, errors: 0 })
    expect(s.imhi.search({ query: 'sleep', offset: 0, limit: 1 }).total).toBe(60)
  })

  it('a cancel inside a file rolls that file back whole', async () => {
    const s = testServices()
    const root = folder(dir, { CAMS: 5, DR: 25_000 })
    const r = await s.imhi.importPath(root, { onProgress: (p) => p.file.endsWith('DR.csv') && p.filesDone === 1 && s.imhi.cancelImport() })
    expect(r).toMatchObject({ cancelled: true, notRead: 1, added: 5 })
    expect([itemsOf(s, 'CAMS'), itemsOf(s, 'DR')]).toEqual([5, 0])
    // Nothing of the cancelled file is left behind: not its source row, not its posts.
    expect((await s.imhi.importPath(root)).added).toBe(25_000)
    expect(itemsOf(s, 'DR')).toBe(25_000)
  })

  it('imhi.cancelImport through the API: false when no import runs, true while one does', async () => {
    const s = testServices()
    const handlers = createHandlers(s)
    const calls: Promise<unknown>[] = []
    const ctx: CallContext = {
      client: { id: 't', transport: 'serve', role: 'owner', annotatorId: null },
      emit: (event, payload) => {
        if (event === 'imhi.importProgress' && (payload as ImportProgress).filesDone === 1) calls.push(dispatch(handlers, 'imhi.cancelImport', {}, ctx))
      }
    }
    expect(await dispatch(handlers, 'imhi.cancelImport', {}, ctx)).toEqual({ cancelled: false })
    const r = (await dispatch(handlers, 'imhi.import', { path: folder(dir, { DR: 3, SAD: 3 }) }, ctx)) as ImportReport
    expect(await Promise.all(calls)).toEqual([{ cancelled: true }])
    expect(r).toMatchObject({ cancelled: true, notRead: 1, added: 3 })
    const annotator: CallContext = { ...ctx, client: { ...ctx.client, role: 'annotator', annotatorId: 1 } }
    await expect(dispatch(handlers, 'imhi.cancelImport', {}, annotator)).rejects.toMatchObject({ code: 'forbidden' })
  })
})
