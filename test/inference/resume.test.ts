import { describe, expect, it } from 'vitest'
import { spawn, spawnSync } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import Database from 'better-sqlite3'
import { tempDir } from '../support/tmp'
import { writeTinyGguf } from '../support/tiny-gguf'
import { writeManyItems } from './helpers'

const ROOT = resolve(__dirname, '..', '..')
const CLI = join(ROOT, 'bin', 'imhi.js')

function imhi(args: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd: ROOT, encoding: 'utf8' })
  return { status: r.status, stdout: r.stdout, stderr: r.stderr }
}

describe('a benchmark run killed with SIGKILL resumes without repeating or losing items (CLI)', () => {
  it('kill -9 mid-run, runs list shows it interrupted, runs resume finishes it, export has every row once', async () => {
    const dir = tempDir('imhi-resume-')
    const db = join(dir, 'r.db')
    const model = writeTinyGguf(join(dir, 'tiny.gguf'))
    const N = 30
    expect(imhi(['import', writeManyItems(dir, N), '--db', db]).status).toBe(0)

    const child = spawn(
      process.execPath,
      [CLI, 'generate', '--db', db, '--model', model, '--dataset', 'DR', '--split', 'instruction', '--parallel', '2', '--max-tokens', '300', '--json'],
      { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] }
    )
    let stderr = ''
    child.stderr.on('data', (d) => (stderr += String(d)))
    const exited = new Promise<number | null>((r) => child.once('exit', (_code, signal) => r(signal === 'SIGKILL' ? -9 : _code)))

    // Wait until a few items are committed, then kill the process outright.
    const reader = () => new Database(db, { readonly: true, fileMustExist: true })
    let doneAtKill = 0
    for (let i = 0; i < 600; i++) {
      await new Promise((r) => setTimeout(r, 100))
      try {
        const r = reader()
        const n = (r.prepare('SELECT COUNT(*) AS n FROM explanations WHERE run_id = 1').get() as { n: number } | undefined)?.n ?? 0
        r.close()
        if (n >= 3) {
          child.kill('SIGKILL')
          break
        }
      } catch {
        // The database or its tables may not exist yet.
      }
    }
    expect(await exited, stderr).toBe(-9)
    {
      const r = reader()
      doneAtKill = (r.prepare('SELECT COUNT(*) AS n FROM explanations WHERE run_id = 1').get() as { n: number }).n
      r.close()
    }
    expect(doneAtKill).toBeGreaterThanOrEqual(3)
    expect(doneAtKill).toBeLessThan(N)
    const before = (() => {
      const r = reader()
      const rows = r.prepare('SELECT id, item_id, text FROM explanations WHERE run_id = 1 ORDER BY id').all()
      r.close()
      return rows
    })()

    const listed = imhi(['runs', 'list', '--db', db, '--json'])
    expect(listed.status).toBe(0)
    const run = (JSON.parse(listed.stdout) as { id: number; status: string; error: string; done: number; total: number }[])[0]
    expect(run).toMatchObject({ id: 1, status: 'paused', total: N, done: doneAtKill })
    expect(run.error).toMatch(/interrupted/)

    const resumed = imhi(['runs', 'resume', '1', '--db', db, '--json', '--quiet'])
    expect(resumed.status, resumed.stderr).toBe(0)
    const summary = JSON.parse(resumed.stdout) as Record<string, number | string>
    expect(summary).toMatchObject({ run: 1, items: N, status: 'completed' })
    expect(Number(summary.tokens)).toBeGreaterThan(0)
    expect(Number(summary.tokens_per_second)).toBeGreaterThan(0)

    const r = reader()
    const after = r.prepare('SELECT id, item_id, text FROM explanations WHERE run_id = 1 ORDER BY id').all() as { item_id: number }[]
    const planned = r.prepare('SELECT item_id FROM run_items WHERE run_id = 1').all() as { item_id: number }[]
    r.close()
    // Finished items are untouched, none is repeated, none is lost.
    expect(after.slice(0, before.length)).toEqual(before)
    expect(after).toHaveLength(N)
    expect(new Set(after.map((x) => x.item_id))).toEqual(new Set(planned.map((x) => x.item_id)))

    const exported = imhi(['runs', 'export', '1', '--out', join(dir, 'out'), '--db', db, '--json'])
    expect(exported.status, exported.stderr).toBe(0)
    expect(JSON.parse(exported.stdout)).toMatchObject({ files: [{ dataset: 'DR', rows: N }], missing: 0 })

    // Resuming a completed run is a clear error with a non-zero exit.
    const again = imhi(['runs', 'resume', '1', '--db', db])
    expect(again.status).not.toBe(0)
    expect(again.stderr).toMatch(/already complete/)
  }, 120_000)

  it('bad CLI input gets a clear message and a non-zero exit', () => {
    const dir = tempDir('imhi-cli-')
    const db = join(dir, 'c.db')
    const notGguf = join(dir, 'notes.txt')
    writeFileSync(notGguf, 'plain text')
    const r1 = imhi(['models', 'add', notGguf, '--db', db])
    expect(r1.status).toBe(1)
    expect(r1.stderr).toMatch(/notes\.txt is not a GGUF model file/)
    const r2 = imhi(['generate', '--db', db, '--model', notGguf, '--dataset', 'DR', '--split', 'sideways'])
    expect(r2.status).toBe(2)
    expect(r2.stderr).toMatch(/--split must be instruction, completion or expert/)
    const r3 = imhi(['models', 'list', '--db', db, '--json'])
    expect(r3.status).toBe(0)
    expect(JSON.parse(r3.stdout)).toEqual([])
  })
})
