import { describe, expect, it } from 'vitest'
import { chmodSync, closeSync, mkdirSync, openSync, ftruncateSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { testServices } from '../support/services'
import { tempDir } from '../support/tmp'
import { writeImhiFixture } from '../support/imhi-fixture'
import { MAX_CSV_BYTES } from '../../src/main/imhi/csv'

const H = 'query,gpt-3.5-turbo\n'
const row = (post: string, label = 'yes') => `"Consider this post: ""${post}"" Question: Does the poster suffer from depression?","${label}. Reasoning: invented."\n`

/** A folder in the layout with one good file beside the bad one(s). */
function layout(dir: string, files: Record<string, string | Buffer>): string {
  const root = join(dir, `case-${Math.random().toString(36).slice(2)}`)
  const all = { 'test_data/test_instruction/DR.csv': H + row('a good post') + row('another good post', 'no'), ...files }
  for (const [rel, content] of Object.entries(all)) {
    mkdirSync(join(root, rel, '..'), { recursive: true })
    writeFileSync(join(root, rel), content)
  }
  return root
}

describe('bad input: a clear error naming the file (and row), nothing half-imported, the rest imports', () => {
  const dir = tempDir()
  const s = testServices()
  const countOf = (dataset: string) => s.imhi.search({ datasets: [dataset], offset: 0, limit: 1 }).total

  async function importExpectingOneError(files: Record<string, string | Buffer>) {
    const root = layout(dir, files)
    const before = countOf('DR')
    const r = await s.imhi.importPath(root)
    const bad = r.files.filter((f) => f.error !== null)
    expect(bad, JSON.stringify(r.files)).toHaveLength(1)
    expect(r.errors).toBe(1)
    // The good DR file imported (or was already there), the bad file added nothing.
    expect(countOf('DR')).toBeGreaterThanOrEqual(Math.max(before, 2))
    expect(bad[0].added).toBe(0)
    return bad[0]
  }

  it('truncated CSV (a quoted cell never closed): names file and row, imports none of its rows', async () => {
    const bad = await importExpectingOneError({
      'test_data/test_instruction/SAD.csv': H + row('fine row one') + '"Consider this post: ""cut off in the mid'
    })
    expect(bad.error).toMatch(/^test_data\/test_instruction\/SAD\.csv: row 2 .*quoted cell is never closed/)
    expect(countOf('SAD')).toBe(0)
  })

  it('mis-encoded file (invalid UTF-8): names file and line', async () => {
    const latin1 = Buffer.concat([Buffer.from(H + row('ok')), Buffer.from('"Consider this post: ""caf'), Buffer.from([0xe9]), Buffer.from('"" Question: x","yes. Reasoning: y"\n')])
    const bad = await importExpectingOneError({ 'test_data/test_instruction/loneliness.csv': latin1 })
    expect(bad.error).toMatch(/^test_data\/test_instruction\/loneliness\.csv: not valid UTF-8 \(byte \d+, line 3\)/)
    expect(countOf('loneliness')).toBe(0)
  })

  it('missing columns: names the file and what is missing', async () => {
    const bad = await importExpectingOneError({ 'train_data/complete_data/dreaddit/train.csv': 'post,response\n"Post: x","yes. Reasoning: y"\n' })
    expect(bad.error).toMatch(/^train_data\/complete_data\/dreaddit\/train\.csv: .*missing question/)
    expect(countOf('dreaddit')).toBe(0)
  })

  it('wrong number of cells in a row: names the row, and the rows before it are rolled back', async () => {
    const bad = await importExpectingOneError({
      'test_data/test_instruction/Irf.csv': H + row('one') + row('two') + '"Consider this post: ""three"" Question: q","yes. Reasoning: r","extra"\n' + row('four')
    })
    expect(bad.error).toMatch(/^test_data\/test_instruction\/Irf\.csv: row 3 has 3 cells but the header has 2/)
    expect(countOf('Irf')).toBe(0)
  })

  it('an empty query in a later row: names the row, and the rows already written are rolled back', async () => {
    const bad = await importExpectingOneError({ 'test_data/test_complete/t-sid.csv': H + row('first') + row('second') + '"","ptsd. Reasoning: r"\n' })
    expect(bad.error).toMatch(/^test_data\/test_complete\/t-sid\.csv: row 3: the query is empty/)
    expect(countOf('t-sid')).toBe(0)
  })

  it('a post first seen in a file that fails is stored again, correctly, by a later file of the same import', async () => {
    const bad = await importExpectingOneError({
      'test_data/test_complete/CAMS.csv': H + row('zebra crossing at dawn') + '"","yes. Reasoning: r"\n',
      'test_data/test_complete/Irf.csv': H + row('zebra crossing at dawn')
    })
    expect(bad.file).toBe('test_data/test_complete/CAMS.csv')
    const found = s.imhi.search({ query: 'zebra', offset: 0, limit: 5 })
    expect(found.items.map((i) => `${i.dataset}/${i.split}`)).toEqual(['Irf/test_complete'])
    expect(s.imhi.item(found.items[0].id).post).toBe('zebra crossing at dawn')
  })

  it('a ratings cell that is not 3 scores 0-3: names file, row and column', async () => {
    const bad = await importExpectingOneError({
      'human_evaluation/DR_annotation/chatgpt_data.csv':
        'text,label,gpt-3.5-turbo,fluency,completeness,reliability,overall\n"p1",1,"e1","[3, 3, 2]","[3, 3, 2]","[3, 3, 2]","[3, 3, 2]"\n"p2",0,"e2","[3, 3, 2]","[3, 4, 2]","[3, 3, 2]","[3, 3, 2]"\n'
    })
    expect(bad.error).toMatch(/^human_evaluation\/DR_annotation\/chatgpt_data\.csv: row 2, column "completeness": expected a list of 3 integer scores/)
    expect(s.imhi.stats().referenceRatings).toBe(0)
  })

  it('a header that is no IMHI file at all', async () => {
    const bad = await importExpectingOneError({ 'test_data/test_instruction/CAMS.csv': 'name,age\nx,1\n' })
    expect(bad.error).toMatch(/^test_data\/test_instruction\/CAMS\.csv: not an IMHI file: its header is "name", "age"/)
  })

  it('a file named after no IMHI dataset', async () => {
    const bad = await importExpectingOneError({ 'test_data/test_instruction/CLP.csv': H + row('x') })
    expect(bad.error).toMatch(/^test_data\/test_instruction\/CLP\.csv: cannot tell the dataset/)
  })

  it('an empty file', async () => {
    const bad = await importExpectingOneError({ 'test_data/test_complete/DR.csv': '' })
    expect(bad.error).toMatch(/^test_data\/test_complete\/DR\.csv: the file is empty/)
  })

  it('an unreadable file', async () => {
    const root = layout(dir, {})
    const target = join(root, 'test_data', 'test_instruction', 'SAD.csv')
    if (process.getuid?.() === 0) {
      // root reads any file whatever its mode: a dangling link is unreadable for everyone.
      symlinkSync(join(root, 'does-not-exist.csv'), target)
    } else {
      writeFileSync(target, H + row('x'))
      chmodSync(target, 0o000)
    }
    const r = await s.imhi.importPath(root)
    const bad = r.files.find((f) => f.file === 'test_data/test_instruction/SAD.csv')
    expect(bad?.error).toMatch(/^test_data\/test_instruction\/SAD\.csv: cannot read the file \((no such file|permission denied)\)/)
    expect(r.errors).toBe(1)
  })

  it(`a 200 MB file is refused before it is read (limit ${MAX_CSV_BYTES / 1048576} MB)`, async () => {
    const root = layout(dir, {})
    const big = join(root, 'test_data', 'test_instruction', 'MultiWD.csv')
    // A sparse file: 200 MB long, no 200 MB written.
    const fd = openSync(big, 'w')
    ftruncateSync(fd, 200 * 1024 * 1024)
    closeSync(fd)
    const started = performance.now()
    const r = await s.imhi.importPath(root)
    expect(performance.now() - started).toBeLessThan(5000)
    const bad = r.files.find((f) => f.file === 'test_data/test_instruction/MultiWD.csv')
    expect(bad?.error).toMatch(/^test_data\/test_instruction\/MultiWD\.csv: the file is 200\.0 MB; IMHI CSV files larger than 64 MB are refused/)
    expect(countOf('MultiWD')).toBe(0)
  })

  it('an empty folder', async () => {
    const empty = join(dir, 'empty')
    mkdirSync(empty)
    await expect(s.imhi.importPath(empty)).rejects.toThrow(/empty: no CSV files in this folder/)
  })

  it('a folder not in the IMHI layout', async () => {
    const other = join(dir, 'other')
    mkdirSync(join(other, 'data'), { recursive: true })
    writeFileSync(join(other, 'data', 'DR.csv'), H + row('x'))
    await expect(s.imhi.importPath(other)).rejects.toThrow(/other: not in the IMHI layout: none of its 1 CSV file\(s\) sits in an IMHI folder \(data\/DR\.csv\)/)
  })

  it('a path that does not exist, and a file that is not CSV', async () => {
    await expect(s.imhi.importPath(join(dir, 'nope'))).rejects.toMatchObject({ code: 'not_found', message: expect.stringMatching(/nope: no such file or folder/) })
    const txt = join(dir, 'notes.txt')
    writeFileSync(txt, 'hello')
    await expect(s.imhi.importPath(txt)).rejects.toThrow(/notes\.txt: not a CSV file/)
  })

  it('stray CSVs beside the layout are skipped with a reason, the layout imports', async () => {
    const root = writeImhiFixture(join(dir, 'stray'))
    writeFileSync(join(root, 'notes.csv'), 'a,b\n1,2\n')
    const s2 = testServices('stray.db')
    const r = await s2.imhi.importPath(root)
    expect(r.errors).toBe(0)
    expect(r.files.find((f) => f.file === 'notes.csv')).toMatchObject({ kind: 'skipped', reason: expect.stringMatching(/not in an IMHI layout folder/) })
  })

  it('keeps working after all of it: the database is consistent and searchable', () => {
    expect(s.db.pragma('integrity_check', { simple: true })).toBe('ok')
    expect(s.db.prepare('SELECT count(*) AS n FROM source_files WHERE id NOT IN (SELECT source_file_id FROM items UNION SELECT source_file_id FROM reference_ratings)').get()).toEqual({ n: 0 })
    expect(s.imhi.search({ query: 'good', offset: 0, limit: 5 }).total).toBe(2)
  })
})
