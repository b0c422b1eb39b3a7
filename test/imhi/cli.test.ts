import { describe, expect, it } from 'vitest'
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { tempDir } from '../support/tmp'
import { IMHI_FIXTURE, writeImhiFixture } from '../support/imhi-fixture'

const BIN = resolve(__dirname, '..', '..', 'bin', 'imhi.js')

function imhi(...args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 60_000 })
  return { code: r.status, stdout: r.stdout, stderr: r.stderr }
}

describe('imhi import / stats / search (the real CLI in a child process)', () => {
  const dir = tempDir()
  const root = writeImhiFixture(dir)
  const db = join(dir, 'cli.db')

  it('import --json prints one JSON report on stdout', () => {
    const r = imhi('import', root, '--db', db, '--json')
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    const report = JSON.parse(r.stdout)
    expect(report).toMatchObject({ added: IMHI_FIXTURE.items + IMHI_FIXTURE.referenceRatings, errors: 0 })
  })

  it('stats --json prints datasets -> task, splits -> items and label counts', () => {
    const r = imhi('stats', '--db', db, '--json')
    expect(r.code).toBe(0)
    const stats = JSON.parse(r.stdout)
    expect(stats.datasets.DR).toEqual({
      task: 'depression',
      splits: {
        test_instruction: { items: 3, labels: { no: 1, yes: 2 } },
        test_complete: { items: 3, labels: { no: 1, yes: 2 } },
        expert: { items: 2, labels: { no: 1, yes: 1 } },
        train_instruction: { items: 3, labels: { no: 1, yes: 2 } },
        val_instruction: { items: 1, labels: { no: 1 } }
      }
    })
    expect(stats.referenceRatings).toBe(IMHI_FIXTURE.referenceRatings)
  })

  it('search --json prints { total, items } with filters and a limit', () => {
    const r = imhi('search', 'hiking', '--db', db, '--dataset', 'DR', '--split', 'test_instruction,expert', '--limit', '1', '--json')
    expect(r.code).toBe(0)
    const out = JSON.parse(r.stdout)
    expect(out.total).toBe(2)
    expect(out.items).toHaveLength(1)
    expect(out.items[0]).toMatchObject({ dataset: 'DR', goldLabel: 'no' })
    expect(out.items[0].snippet).toContain('\u0002hiking\u0003')
  })

  it('a second import adds nothing', () => {
    const r = imhi('import', root, '--db', db, '--json')
    expect(r.code).toBe(0)
    expect(JSON.parse(r.stdout)).toMatchObject({ added: 0, unchanged: IMHI_FIXTURE.items + IMHI_FIXTURE.referenceRatings })
  })

  it('a failed file: the report still prints, the error goes to stderr, the exit code is 1', () => {
    const bad = join(dir, 'bad')
    mkdirSync(join(bad, 'test_data', 'test_instruction'), { recursive: true })
    writeFileSync(join(bad, 'test_data', 'test_instruction', 'SAD.csv'), 'query,gpt-3.5-turbo\n"unterminated')
    const r = imhi('import', bad, '--db', join(dir, 'bad.db'), '--json')
    expect(r.code).toBe(1)
    expect(JSON.parse(r.stdout).errors).toBe(1)
    expect(r.stderr).toMatch(/test_data\/test_instruction\/SAD\.csv: row 1 .*never closed/)
  })

  it('bad input: an empty folder, a bad split name; nothing on stdout', () => {
    const empty = join(dir, 'empty')
    mkdirSync(empty)
    const r = imhi('import', empty, '--db', join(dir, 'e.db'), '--json')
    expect(r.code).toBe(1)
    expect(r.stdout).toBe('')
    expect(r.stderr).toMatch(/empty: no CSV files in this folder/)
    const s = imhi('search', 'x', '--db', db, '--split', 'nope', '--json')
    expect(s.code).toBe(2)
    expect(s.stdout).toBe('')
    expect(s.stderr).toMatch(/--split: unknown split "nope"/)
  })

  it('stats and search on a database that does not exist: an error, and no file is created', () => {
    const missing = join(dir, 'typo', 'nothere.db')
    for (const args of [['stats', '--db', missing, '--json'], ['search', 'x', '--db', missing, '--json']]) {
      const r = imhi(...args)
      expect(r.code).toBe(1)
      expect(r.stdout).toBe('')
      expect(r.stderr).toMatch(/No database at .*nothere\.db/)
    }
    expect(existsSync(join(dir, 'typo'))).toBe(false)
  })
})
