import { describe, expect, it } from 'vitest'
import { testServices } from '../support/services'
import { hasSharedImhi, sharedSkipReason, SHARED_IMHI } from '../support/shared'
import type { ImportReport } from '../../src/shared/api/imhi'

/**
 * The released IMHI files (../shared/imhi). The label counts below were counted independently of
 * the app's rules: a Python script mapped each distinct label sentence of the release (the text
 * before "Reasoning:", 71 distinct sentences) to its class by hand and counted the rows.
 */
const TEST_LABELS: Record<string, Record<string, number>> = {
  CAMS: { none: 107, 'bias or abuse': 28, 'jobs and career': 68, medication: 64, relationship: 174, alienation: 184 },
  DR: { no: 98, yes: 307 },
  Irf: { no: 747, yes: 1366 },
  MultiWD: { no: 1554, yes: 887 },
  SAD: {
    school: 76,
    'financial problem': 81,
    'family issues': 73,
    'social relationships': 61,
    work: 110,
    'health issues': 85,
    'emotional turmoil': 66,
    'everyday decision making': 56,
    'other stress causes': 76
  },
  dreaddit: { no: 203, yes: 211 },
  loneliness: { no: 115, yes: 413 },
  't-sid': { none: 501, depression: 154, 'suicide or self-harm': 253, ptsd: 51 }
}
const EXPERT_LABELS: Record<string, Record<string, number>> = {
  CAMS: { none: 11, 'bias or abuse': 5, 'jobs and career': 7, medication: 4, relationship: 6, alienation: 2 },
  DR: { no: 12, yes: 23 },
  Irf: { no: 15, yes: 20 },
  MultiWD: { no: 18, yes: 17 },
  SAD: { school: 4, 'financial problem': 5, 'family issues': 7, 'social relationships': 6, work: 5, 'health issues': 5, 'emotional turmoil': 1, 'other stress causes': 2 },
  dreaddit: { no: 7, yes: 28 },
  loneliness: { no: 11, yes: 24 },
  swmh: { none: 9, depression: 6, suicide: 4, anxiety: 9, 'bipolar disorder': 7 },
  't-sid': { none: 14, depression: 1, 'suicide or self-harm': 20 }
}
const SAD_TRAIN = { school: 538, 'financial problem': 641, 'family issues': 479, 'social relationships': 472, work: 812, 'health issues': 697, 'emotional turmoil': 674, 'everyday decision making': 525, 'other stress causes': 709 }
const SAD_VAL = { school: 60, 'financial problem': 78, 'family issues': 70, 'social relationships': 57, work: 79, 'health issues': 75, 'emotional turmoil': 59, 'everyday decision making': 63, 'other stress causes': 75 }
const TRAIN_LABELS: Record<string, Record<string, Record<string, number>>> = {
  DR: { train_instruction: { no: 202, yes: 801 }, val_instruction: { no: 100, yes: 330 }, train_complete: { no: 202, yes: 801 }, val_complete: { no: 100, yes: 330 } },
  Irf: { val_instruction: { no: 306, yes: 679 }, val_complete: { no: 306, yes: 679 } },
  MultiWD: { val_instruction: { no: 953, yes: 547 }, val_complete: { no: 953, yes: 547 } },
  SAD: { train_instruction: SAD_TRAIN, val_instruction: SAD_VAL, train_complete: SAD_TRAIN, val_complete: SAD_VAL },
  dreaddit: { train_instruction: { no: 1345, yes: 1492 }, val_instruction: { no: 143, yes: 157 }, train_complete: { no: 1345, yes: 1492 }, val_complete: { no: 143, yes: 157 } }
}
const TEST_ITEMS: Record<string, number> = { CAMS: 625, DR: 405, Irf: 2113, MultiWD: 2441, SAD: 684, dreaddit: 414, loneliness: 528, 't-sid': 959 }

sharedSkipReason('imhi')

describe.skipIf(!hasSharedImhi)('the released IMHI files (../shared/imhi)', () => {
  const s = testServices()
  let report: ImportReport

  it('imports every file without an error: 43,479 CSV rows = 43,089 items + 285 ratings + 105 skipped model outputs', async () => {
    report = await s.imhi.importPath(SHARED_IMHI)
    expect(report.errors).toBe(0)
    expect(report.files.filter((f) => f.kind === 'outputs').map((f) => f.file)).toEqual([
      'examples/response_generation_examples/Irf.csv',
      'examples/response_generation_examples/MultiWD.csv',
      'examples/response_generation_examples/dreaddit.csv'
    ])
    expect(report.added).toBe(43_089 + 285)
    expect(report.files.reduce((a, f) => a + f.rows, 0)).toBe(43_479)
    expect(report.files.filter((f) => f.kind === 'outputs').reduce((a, f) => a + f.rows, 0)).toBe(105)
    expect(s.imhi.facets().total).toBe(43_089)
    expect(report.files.every((f) => (f.unlabeled ?? 0) === 0)).toBe(true)
    // The full-text index agrees with the posts it indexes.
    expect(() => s.db.prepare("INSERT INTO posts_fts(posts_fts, rank) VALUES ('integrity-check', 1)").run()).not.toThrow()
    expect(s.db.prepare('SELECT count(*) AS n FROM posts').get()).toEqual({ n: 16_560 })
  })

  it('has 8,169 test items in each style, per dataset exactly as released', () => {
    const stats = s.imhi.stats()
    for (const split of ['test_instruction', 'test_complete'] as const) {
      let total = 0
      for (const [name, n] of Object.entries(TEST_ITEMS)) {
        expect(stats.datasets[name].splits[split]?.items, `${name}/${split}`).toBe(n)
        total += n
      }
      expect(total).toBe(8169)
      expect(Object.values(stats.datasets).reduce((a, d) => a + (d.splits[split]?.items ?? 0), 0)).toBe(8169)
    }
    expect(stats.datasets.swmh.splits.test_instruction).toBeUndefined()
  })

  it('gives every released test item a gold label, with the independently counted label counts', () => {
    const stats = s.imhi.stats()
    for (const [name, labels] of Object.entries(TEST_LABELS)) {
      expect(stats.datasets[name].splits.test_instruction?.labels, `${name}/test_instruction`).toEqual(labels)
      expect(stats.datasets[name].splits.test_complete?.labels, `${name}/test_complete`).toEqual(labels)
    }
    for (const [name, labels] of Object.entries(EXPERT_LABELS)) {
      expect(stats.datasets[name].splits.expert?.items, `${name}/expert`).toBe(35)
      expect(stats.datasets[name].splits.expert?.labels, `${name}/expert`).toEqual(labels)
    }
    expect(s.db.prepare("SELECT count(*) AS n FROM items WHERE gold_label IS NULL AND split IN ('test_instruction','test_complete','expert')").get()).toEqual({ n: 0 })
  })

  it('labels the training and validation data too (train/val from the file names)', () => {
    const stats = s.imhi.stats()
    for (const [name, splits] of Object.entries(TRAIN_LABELS)) {
      for (const [split, labels] of Object.entries(splits)) {
        expect(stats.datasets[name].splits[split as 'train_instruction']?.labels, `${name}/${split}`).toEqual(labels)
      }
    }
    expect(s.db.prepare('SELECT count(*) AS n FROM items WHERE gold_label IS NULL').get()).toEqual({ n: 0 })
  })

  it('stores the DR_annotation ratings: 121 / 43 / 121, three annotators per aspect', () => {
    const ratings = s.imhi.referenceRatings()
    const by = (sys: string) => ratings.filter((r) => r.system === sys)
    expect(by('chatgpt_data')).toHaveLength(121)
    expect(by('chatgpt_false_data')).toHaveLength(43)
    expect(by('gpt3_data')).toHaveLength(121)
    expect(new Set(by('gpt3_data').map((r) => r.explanationColumn))).toEqual(new Set(['curie-instruct-beta']))
    expect(new Set(by('chatgpt_false_data').map((r) => r.explanationColumn))).toEqual(new Set(['gpt-3.5-turbo']))
    for (const r of ratings) for (const scores of Object.values(r.scores)) expect(scores).toHaveLength(3)
  })

  it('splits every query into a non-empty post and question', () => {
    expect(s.db.prepare("SELECT count(*) AS n FROM items i JOIN posts p ON p.id = i.post_id WHERE p.text = '' OR i.question IS NULL OR i.question = ''").get()).toEqual({ n: 0 })
    expect(s.db.prepare("SELECT count(*) AS n FROM posts WHERE text LIKE 'Consider this post:%' OR text LIKE 'Post:%'").get()).toEqual({ n: 0 })
  })

  it('adds nothing on a second import of the same folder', async () => {
    const again = await s.imhi.importPath(SHARED_IMHI)
    expect(again.added).toBe(0)
    expect(again.unchanged).toBe(43_089 + 285)
    expect(s.imhi.facets().total).toBe(43_089)
  })

  it('searches all of it with filters', () => {
    const r = s.imhi.search({ query: 'insomnia', datasets: ['DR'], splits: ['test_instruction'], offset: 0, limit: 5 })
    expect(r.total).toBeGreaterThan(0)
    expect(r.items.every((i) => i.dataset === 'DR' && i.split === 'test_instruction')).toBe(true)
    const yes = s.imhi.search({ datasets: ['DR'], splits: ['test_instruction'], labels: ['yes'], offset: 0, limit: 1 })
    expect(yes.total).toBe(307)
  })
})
