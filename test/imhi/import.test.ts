import { describe, expect, it } from 'vitest'
import { appendFileSync, copyFileSync, mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { testServices } from '../support/services'
import { tempDir } from '../support/tmp'
import { IMHI_FIXTURE, MULTILINE_POST, writeImhiFixture } from '../support/imhi-fixture'
import { HIGHLIGHT_END, HIGHLIGHT_START } from '../../src/shared/api/protocol'
import { createHandlers } from '../../src/main/api/handlers'
import { dispatch, type CallContext } from '../../src/main/api/dispatch'
import type { ImportReport } from '../../src/shared/api/imhi'

describe('import of the synthetic IMHI fixture', () => {
  const dir = tempDir()
  const root = writeImhiFixture(dir)
  const s = testServices()
  let report: ImportReport
  const progress: { filesDone: number; filesTotal: number }[] = []

  it('imports every layout and quirk, and reports each file', async () => {
    report = await s.imhi.importPath(root, { onProgress: (p) => progress.push(p) })
    expect(report.errors).toBe(0)
    const byFile = Object.fromEntries(report.files.map((f) => [f.file, f]))
    expect(Object.keys(byFile).sort()).toEqual(Object.keys(IMHI_FIXTURE.files).sort())
    for (const [file, want] of Object.entries(IMHI_FIXTURE.files)) {
      expect(byFile[file], file).toMatchObject({ kind: want.kind, dataset: want.dataset, split: want.split, rows: want.rows, error: null })
      if (want.kind !== 'outputs') expect(byFile[file].added, file).toBe(want.rows)
    }
    expect(byFile['examples/response_generation_examples/Irf.csv'].reason).toMatch(/model outputs/)
    expect(report.added).toBe(IMHI_FIXTURE.items + IMHI_FIXTURE.referenceRatings)
    expect(progress.length).toBe(report.files.length)
    expect(progress.at(-1)).toMatchObject({ filesDone: report.files.length, filesTotal: report.files.length })
  })

  it('derives every gold label, with exact counts per dataset and split', () => {
    const stats = s.imhi.stats()
    const labels: Record<string, Record<string, Record<string, number>>> = {}
    let items = 0
    for (const [name, ds] of Object.entries(stats.datasets)) {
      for (const [split, sp] of Object.entries(ds.splits)) {
        ;(labels[name] ??= {})[split] = sp!.labels
        items += sp!.items
        expect(Object.values(sp!.labels).reduce((a, b) => a + b, 0), `${name}/${split}`).toBe(sp!.items)
      }
    }
    expect(labels).toEqual(IMHI_FIXTURE.labels)
    expect(items).toBe(IMHI_FIXTURE.items)
    expect(stats.referenceRatings).toBe(IMHI_FIXTURE.referenceRatings)
    expect(stats.datasets.SAD.task).toBe('stress_cause')
  })

  it('keeps multi-line quoted cells whole and splits query into post and question', () => {
    const found = s.imhi.search({ query: '"just rest"', datasets: ['DR'], splits: ['test_complete'], offset: 0, limit: 10 })
    expect(found.total).toBe(1)
    const item = s.imhi.item(found.items[0].id)
    expect(item.post).toBe(MULTILINE_POST)
    expect(item.question).toBe('The answer to the question "Does the poster suffers from depression?" is')
    expect(item.query.startsWith('Post: ')).toBe(true)
    expect(item.goldLabel).toBe('yes')
    expect(item.goldExplanation).toBe('Reasoning: The post describes persistent low mood and withdrawal.')
    expect(item.sourceFile).toBe('test_data/test_complete/DR.csv')
    expect(item.sourceRow).toBe(1)
    expect(item.labels).toEqual(['no', 'yes'])
  })

  it('reads completion-style training files, with and without the unnamed index column', () => {
    const r = s.imhi.listItems('dreaddit', 'val_complete')
    expect(r.map((i) => i.post)).toEqual(['Deadline tomorrow and my laptop just died, I am panicking', 'Sunday brunch, then a nap. Perfect.'])
    expect(r[0].query).toBe('Post: Deadline tomorrow and my laptop just died, I am panicking Question: The answer to the question "Does the poster suffers from stress?" is ')
    expect(r[0].question).toBe('The answer to the question "Does the poster suffers from stress?" is')
    expect(s.imhi.listItems('dreaddit', 'train_complete').map((i) => i.goldLabel)).toEqual(['yes', 'no'])
  })

  it('stores the reference ratings, BOM and curie-instruct-beta column included', () => {
    const ratings = s.imhi.referenceRatings()
    expect(ratings).toHaveLength(4)
    const curie = ratings.filter((r) => r.system === 'gpt3_data')
    expect(curie.map((r) => r.explanationColumn)).toEqual(['curie-instruct-beta', 'curie-instruct-beta'])
    const bom = ratings.filter((r) => r.system === 'chatgpt_false_data')
    expect(bom[0]).toMatchObject({ sourceRow: 1, label: 'yes', explanationColumn: 'gpt-3.5-turbo' })
    expect(bom[0].post).toBe('I feel empty, every day, "all day".\nNothing changes.')
    expect(bom[0].scores).toEqual({ fluency: [3, 3, 2], completeness: [2, 3, 2], reliability: [3, 2, 2], overall: [3, 3, 2] })
    expect(bom[1].label).toBe('no')
  })

  it('adds nothing twice when the same folder is imported again', async () => {
    const again = await s.imhi.importPath(root)
    expect(again.added).toBe(0)
    expect(again.errors).toBe(0)
    expect(again.unchanged).toBe(IMHI_FIXTURE.items + IMHI_FIXTURE.referenceRatings)
    expect(s.imhi.facets().total).toBe(IMHI_FIXTURE.items)
  })

  it('records the same layout path when one file of the folder is imported alone', async () => {
    const one = await s.imhi.importPath(join(root, 'test_data', 'test_instruction', 'DR.csv'))
    expect(one.files).toEqual([expect.objectContaining({ file: 'test_data/test_instruction/DR.csv', added: 0, unchanged: 3 })])
  })

  it('refuses a file that changed since it was imported, and keeps the old items', async () => {
    const copy = join(dir, 'changed')
    mkdirSync(join(copy, 'test_data', 'test_instruction'), { recursive: true })
    const file = join(copy, 'test_data', 'test_instruction', 'DR.csv')
    copyFileSync(join(root, 'test_data', 'test_instruction', 'DR.csv'), file)
    appendFileSync(file, '"Consider this post: ""new"" Question: Does the poster suffer from depression?","yes. Reasoning: x"\n')
    const r = await s.imhi.importPath(copy)
    expect(r.errors).toBe(1)
    expect(r.files[0].error).toMatch(/test_data\/test_instruction\/DR\.csv: this file changed since it was imported/)
    expect(s.imhi.stats().datasets.DR.splits.test_instruction!.items).toBe(3)
  })

  it('imports a single CSV outside the layout when its header says what it is', async () => {
    const d = tempDir()
    const s2 = testServices('single.db')
    const lone = join(d, 'dreaddit-val.csv')
    copyFileSync(join(root, 'train_data', 'complete_data', 'dreaddit', 'val.csv'), lone)
    const r = await s2.imhi.importPath(lone)
    expect(r.files[0]).toMatchObject({ file: 'train_data/complete_data/dreaddit/dreaddit-val.csv', split: 'val_complete', dataset: 'dreaddit', added: 2 })
    const ratings = join(d, 'gpt3_data.csv')
    copyFileSync(join(root, 'human_evaluation', 'DR_annotation', 'gpt3_data.csv'), ratings)
    expect((await s2.imhi.importPath(ratings)).files[0]).toMatchObject({ kind: 'reference_ratings', added: 2 })
    const instr = join(d, 'DR.csv')
    copyFileSync(join(root, 'test_data', 'test_instruction', 'DR.csv'), instr)
    const r3 = await s2.imhi.importPath(instr)
    expect(r3.files[0].error).toMatch(/DR\.csv: cannot tell which split/)
  })

  it('catches the full-text index up on start after a crash between a file and its indexing', async () => {
    const { createImhiService } = await import('../../src/main/imhi/service')
    // Simulate the crash: the posts are committed, the index never got them.
    s.db.exec("INSERT INTO posts_fts(posts_fts) VALUES ('delete-all'); UPDATE posts_fts_state SET indexed_upto = 0")
    expect(s.imhi.search({ query: 'nightmares', offset: 0, limit: 10 }).total).toBe(0)
    const fresh = createImhiService({ db: s.db, dataDir: dir, events: s.events, platform: s.platform })
    expect(fresh.search({ query: 'nightmares', offset: 0, limit: 10 }).total).toBe(1)
    expect(s.db.prepare("INSERT INTO posts_fts(posts_fts, rank) VALUES ('integrity-check', 1)").run().changes).toBeGreaterThanOrEqual(0)
  })

  describe('search', () => {
    it('lists everything with filters, totals and paging when there is no query', () => {
      const all = s.imhi.search({ offset: 0, limit: 1000 })
      expect(all.total).toBe(IMHI_FIXTURE.items)
      const page = s.imhi.search({ offset: 5, limit: 5 })
      expect(page.items.map((i) => i.id)).toEqual(all.items.slice(5, 10).map((i) => i.id))
      expect(s.imhi.search({ datasets: ['dr'], splits: ['test_instruction'], offset: 0, limit: 10 }).total).toBe(3)
      expect(s.imhi.search({ tasks: ['stress_cause'], labels: ['emotional turmoil'], offset: 0, limit: 10 }).total).toBe(2)
      expect(s.imhi.search({ tasks: ['stress_cause'], datasets: ['DR'], offset: 0, limit: 10 }).total).toBe(0)
    })

    it('finds words, phrases and prefixes with highlighted snippets', () => {
      const r = s.imhi.search({ query: 'nightmares', offset: 0, limit: 10 })
      expect(r.total).toBe(1)
      expect(r.items[0]).toMatchObject({ dataset: 't-sid', split: 'test_instruction', task: 'disorders', goldLabel: 'ptsd' })
      expect(r.items[0].snippet).toContain(`${HIGHLIGHT_START}Nightmares${HIGHLIGHT_END}`)
      expect(s.imhi.search({ query: 'nightm*', offset: 0, limit: 10 }).total).toBe(1)
      expect(s.imhi.search({ query: '"rested feel"', offset: 0, limit: 10 }).total).toBe(0)
      // The DR post about hiking is in 5 DR files (test x2, expert, train, val).
      expect(s.imhi.search({ query: 'hiking weather', offset: 0, limit: 10 }).total).toBe(5)
      expect(s.imhi.search({ query: 'hiking', splits: ['expert'], offset: 0, limit: 10 }).total).toBe(1)
      expect(s.imhi.search({ query: 'hiking OR nightmares', offset: 0, limit: 10 }).total).toBe(6)
      expect(s.imhi.search({ query: 'hiking -weather', offset: 0, limit: 10 }).total).toBe(0)
    })

    it('never throws on odd query syntax', () => {
      for (const q of ['"foo', 'AND OR (', 'NEAR(a b)', '*', '"', 'text:abc', '^x', 'a AND', '\u0000', '((("']) {
        expect(() => s.imhi.search({ query: q, offset: 0, limit: 5 }), q).not.toThrow()
      }
      expect(s.imhi.search({ query: '((("', offset: 0, limit: 5 })).toEqual({ total: 0, totalExact: true, items: [] })
    })

    it('names an unknown dataset or task', () => {
      expect(() => s.imhi.search({ datasets: ['CLP'], offset: 0, limit: 5 })).toThrow(/Unknown dataset "CLP"/)
      expect(() => s.imhi.search({ tasks: ['mood'], offset: 0, limit: 5 })).toThrow(/Unknown task "mood"/)
    })
  })

  describe('API', () => {
    const handlers = createHandlers(s)
    const events: { event: string; payload: unknown }[] = []
    const ctx: CallContext = {
      client: { id: 't', transport: 'serve', role: 'owner', annotatorId: null },
      emit: (event, payload) => events.push({ event, payload })
    }

    it('serves stats, facets, search and item through dispatch, validating input', async () => {
      const facets = (await dispatch(handlers, 'imhi.facets', {}, ctx)) as Awaited<ReturnType<typeof s.imhi.facets>>
      expect(facets.total).toBe(IMHI_FIXTURE.items)
      expect(facets.datasets.map((d) => d.name)).toEqual(['DR', 'dreaddit', 'loneliness', 'Irf', 'MultiWD', 'SAD', 'CAMS', 't-sid', 'swmh'])
      expect(facets.splits.find((x) => x.name === 'expert')?.items).toBe(4)
      const found = (await dispatch(handlers, 'imhi.search', { query: 'nightmares' }, ctx)) as { total: number; items: { id: number }[] }
      expect(found.total).toBe(1)
      const item = (await dispatch(handlers, 'imhi.item', { id: found.items[0].id }, ctx)) as { goldLabel: string }
      expect(item.goldLabel).toBe('ptsd')
      await expect(dispatch(handlers, 'imhi.item', { id: 999999 }, ctx)).rejects.toMatchObject({ code: 'not_found' })
      await expect(dispatch(handlers, 'imhi.search', { limit: 5000 }, ctx)).rejects.toMatchObject({ code: 'invalid_input' })
      await expect(dispatch(handlers, 'imhi.import', { path: '' }, ctx)).rejects.toMatchObject({ code: 'invalid_input' })
    })

    it('emits imhi.importProgress to the caller during an import', async () => {
      events.length = 0
      const r = (await dispatch(handlers, 'imhi.import', { path: root }, ctx)) as ImportReport
      expect(r.added).toBe(0)
      const prog = events.filter((e) => e.event === 'imhi.importProgress')
      expect(prog).toHaveLength(r.files.length)
      expect(prog.at(-1)?.payload).toMatchObject({ filesDone: r.files.length, filesTotal: r.files.length })
    })

    it('refuses an annotator token', async () => {
      const annotator: CallContext = { ...ctx, client: { ...ctx.client, role: 'annotator', annotatorId: 1 } }
      await expect(dispatch(handlers, 'imhi.import', { path: root }, annotator)).rejects.toMatchObject({ code: 'forbidden' })
    })
  })
})
