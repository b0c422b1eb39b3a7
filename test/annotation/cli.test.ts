import { describe, expect, it } from 'vitest'
import { spawnSync } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { tempDir } from '../support/tmp'
import { isSensitive } from '../../src/main/annotation/sensitive'

const CLI = resolve(__dirname, '..', '..', 'bin', 'imhi.js')
function imhi(...args: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 60_000 })
  return { out: r.stdout, err: r.stderr, code: r.status }
}

const HEADER = 'text,label,gpt-3.5-turbo,fluency,completeness,reliability,overall'
const ROWS = [
  'first post,1,first explanation,"[3, 3, 2]","[2, 2, 2]","[3, 3, 3]","[1, 2, 3]"',
  'second post,0,second explanation,"[0, 1, 0]","[1, 1, 1]","[2, 2, 3]","[0, 0, 0]"',
  'third post,1,third explanation,"[2, 2, 2]","[3, 2, 3]","[1, 1, 2]","[2, 3, 2]"'
]

describe('imhi annotations / imhi agreement', () => {
  const dir = tempDir()
  const db = join(dir, 'cli.db')
  const csv = join(dir, 'small.csv')
  writeFileSync(csv, [HEADER, ...ROWS, ''].join('\n'))

  it('imports, exports both layouts, and prints agreement as one JSON document', () => {
    const imp = imhi('annotations', 'import', csv, '--db', db, '--study', 'small study', '--json')
    expect(imp.code, imp.err).toBe(0)
    expect(JSON.parse(imp.out)).toMatchObject({ layout: 'imhi', studyId: 1, studyName: 'small study', items: 3, ratings: 36 })

    const out = join(dir, 'again.csv')
    expect(imhi('annotations', 'export', '--db', db, '--study', '1', '--format', 'imhi', '--out', out).code).toBe(0)
    expect(readFileSync(out, 'utf8')).toBe([HEADER, ...ROWS, ''].join('\n'))

    const long = join(dir, 'long.csv')
    const ex = imhi('annotations', 'export', '--db', db, '--study', '1', '--format', 'long', '--out', long, '--json')
    expect(JSON.parse(ex.out)).toMatchObject({ rows: 36, format: 'long' })

    const fromDb = imhi('agreement', '--db', db, '--study', '1', '--json')
    expect(fromDb.code, fromDb.err).toBe(0)
    const a = JSON.parse(fromDb.out) as { aspects: Record<string, Record<string, unknown>> }
    expect(Object.keys(a.aspects)).toEqual(['fluency', 'completeness', 'reliability', 'overall'])
    for (const k of ['krippendorff_alpha_interval', 'krippendorff_alpha_ordinal', 'fleiss_kappa', 'items', 'annotators']) expect(a.aspects.fluency).toHaveProperty(k)
    expect(a.aspects.fluency).toMatchObject({ items: 3, annotators: 3 })
    // fluency units [3,3,2], [0,1,0], [2,2,2]: interval alpha by hand
    // values: 3,3,2,0,1,0,2,2,2 (n = 9); D_o = (1/9) * sum_u (1/2) sum_{i!=j} d^2 = (1/9) * (1/2) * (4 + 4 + 0) = 4/9
    // D_e = sum over ordered pairs of all values d^2 / (9*8): sum_{i,j} (v_i - v_j)^2 = 2 * 9 * sum (v - mean)^2 = 2 * 9 * 10 = 180 -> 180/72 = 2.5
    expect(a.aspects.fluency.krippendorff_alpha_interval).toBeCloseTo(1 - 4 / 9 / 2.5, 10)

    const fromFile = imhi('agreement', long, '--json')
    expect(fromFile.code, fromFile.err).toBe(0)
    expect((JSON.parse(fromFile.out) as typeof a).aspects).toEqual(a.aspects)
    const fromImhi = imhi('agreement', csv, '--json')
    expect((JSON.parse(fromImhi.out) as typeof a).aspects.fluency.krippendorff_alpha_interval).toBe(a.aspects.fluency.krippendorff_alpha_interval)
  })

  it('fails with a clear message on stderr and a non-zero exit, stdout clean', () => {
    const bad = join(dir, 'unknown.csv')
    writeFileSync(bad, 'a,b\n1,2\n')
    const r = imhi('annotations', 'import', bad, '--db', db, '--json')
    expect(r.code).not.toBe(0)
    expect(r.out).toBe('')
    expect(r.err).toMatch(/unknown\.csv: unknown CSV layout/)
    const missing = imhi('agreement', '--json')
    expect(missing.code).not.toBe(0)
    expect(missing.err).toMatch(/Give a CSV file, or --db FILE and --study ID/)
    const nostudy = imhi('agreement', '--db', db, '--study', '99', '--json')
    expect(nostudy.code).not.toBe(0)
    expect(nostudy.err).toMatch(/No annotation study with id 99/)
  })

  it('lists conflicts from a package and resolves them only when told', () => {
    const pkg = join(dir, 'a1.json')
    expect(imhi('annotations', 'package', '--db', db, '--study', '1', '--annotator', '1', '--out', pkg).code).toBe(0)
    const p = JSON.parse(readFileSync(pkg, 'utf8')) as { ratings: { item: string; aspect: string; score: number }[] }
    p.ratings[0].score = (p.ratings[0].score + 1) % 4
    writeFileSync(pkg, JSON.stringify(p))
    const first = JSON.parse(imhi('annotations', 'merge', pkg, '--db', db, '--json').out) as { conflicts: unknown[]; unchanged: number }
    expect(first.conflicts).toHaveLength(1)
    expect(first.unchanged).toBe(11)
    const again = JSON.parse(imhi('annotations', 'merge', pkg, '--db', db, '--json').out) as { conflicts: unknown[] }
    expect(again.conflicts).toHaveLength(1) // still there: nothing was overwritten
    const take = JSON.parse(imhi('annotations', 'merge', pkg, '--db', db, '--take', 'theirs', '--json').out) as { conflicts: unknown[]; resolved: number }
    expect(take).toMatchObject({ conflicts: [], resolved: 1 })
  })
})

describe('content notice detection', () => {
  it('flags suicide and self-harm by label, dataset or keywords, and nothing else', () => {
    expect(isSensitive({ post: 'I want to die', label: null })).toBe(true)
    expect(isSensitive({ post: 'thinking about killing myself', label: null })).toBe(true)
    expect(isSensitive({ post: 'I started cutting myself again' })).toBe(true)
    expect(isSensitive({ post: 'a calm day', label: 'suicide or self-harm' })).toBe(true)
    expect(isSensitive({ post: 'a calm day', dataset: 'CAMS' })).toBe(true)
    expect(isSensitive({ post: 'a calm day', explanation: 'mentions suicidal ideation' })).toBe(true)
    expect(isSensitive({ post: 'I feel tired and stressed at work', label: 'yes', dataset: 'DR' })).toBe(false)
    expect(isSensitive({ post: 'the die is cast; I hanged the picture', dataset: 'dreaddit' })).toBe(false)
  })
})
