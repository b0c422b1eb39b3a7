import { describe, expect, it } from 'vitest'
import { deriveSeed, mulberry32, seededShuffle } from '../../src/main/annotation/order'
import { testServices } from '../support/services'
import { seedBenchmark } from './helpers'

describe('seeded order', () => {
  it('mulberry32 gives the same stream for a seed (frozen reference values)', () => {
    const next = mulberry32(42)
    const first = [next(), next(), next()].map((x) => Math.floor(x * 1e9))
    expect(first).toEqual(FROZEN_42)
    const again = mulberry32(42)
    expect(Math.floor(again() * 1e9)).toBe(FROZEN_42[0])
  })

  it('shuffles into a permutation, the same for the same seed, different for another', () => {
    const xs = Array.from({ length: 50 }, (_, i) => i)
    const a = seededShuffle(xs, 7)
    expect([...a].sort((x, y) => x - y)).toEqual(xs)
    expect(seededShuffle(xs, 7)).toEqual(a)
    expect(seededShuffle(xs, 8)).not.toEqual(a)
    expect(a).not.toEqual(xs)
    expect(xs[0]).toBe(0) // the input is not touched
  })

  it('spreads positions evenly (Fisher-Yates is unbiased)', () => {
    const counts = [0, 0, 0, 0]
    for (let s = 0; s < 4000; s++) counts[seededShuffle([0, 1, 2, 3], s).indexOf(0)]++
    for (const c of counts) expect(Math.abs(c - 1000)).toBeLessThan(120)
  })

  it('derives distinct, stable seeds', () => {
    expect(deriveSeed(1, 'annotator', 0)).toBe(deriveSeed(1, 'annotator', 0))
    expect(deriveSeed(1, 'annotator', 0)).not.toBe(deriveSeed(1, 'annotator', 1))
    // FNV-1a 32-bit of "a" is 0xe40c292c
    expect(deriveSeed('a')).toBe(0xe40c292c)
  })
})

// mulberry32(42): 0.6011037519..., 0.4482905589..., 0.8524657934... (the reference C/JS implementation)
const FROZEN_42 = [601103751, 448290558, 852465793]

describe('blinded study order', () => {
  const make = () => {
    const s = testServices()
    seedBenchmark(s.db, 12)
    const study = s.annotation.createStudy({
      name: 'order',
      sources: [{ kind: 'gold', dataset: 'DR', split: 'test_instruction' }, { kind: 'run', runId: 1 }],
      seed: 1234,
      sampleSize: 8,
      annotatorsPerItem: 2,
      annotators: ['ann', 'bob', 'cyd'],
      extraAspects: [],
      breakMinutes: 45
    })
    const queues = study.annotatorProgress.map((p) => s.annotation.queue(study.id, p.id).entries.map((e) => s.db.prepare("SELECT source || ':' || item_id FROM study_items WHERE id = ?").pluck().get(e.studyItemId)))
    return { s, study, queues }
  }

  it('reproduces the sample, the canonical order and every queue from the stored seed', () => {
    const a = make()
    const b = make()
    const keys = (x: typeof a) => x.s.db.prepare("SELECT source || ':' || item_id FROM study_items WHERE study_id = ? ORDER BY position").pluck().all(x.study.id)
    expect(keys(a)).toEqual(keys(b))
    expect(a.queues).toEqual(b.queues)
    expect(a.study.seed).toBe(1234)
  })

  it('draws 8 posts per source in one seeded order (paired where sources overlap), N annotators per item, balanced', () => {
    const { s, study, queues } = make()
    const items = s.db.prepare('SELECT item_id, source FROM study_items WHERE study_id = ?').all(study.id) as { item_id: number; source: string }[]
    const gold = items.filter((i) => i.source === 'gold').map((i) => i.item_id)
    const run = items.filter((i) => i.source === 'run:1').map((i) => i.item_id)
    expect(gold).toHaveLength(8)
    expect(run).toHaveLength(6) // the run covers only items 1-6: all of them
    // every drawn gold post that the run also covers is rated for both (paired)
    for (const id of gold.filter((g) => g <= 6)) expect(run).toContain(id)
    const counts = s.db.prepare('SELECT count(*) n FROM assignments WHERE study_id = ? GROUP BY study_item_id').pluck().all(study.id) as number[]
    expect(counts.every((n) => n === 2)).toBe(true)
    const sizes = queues.map((q) => q.length).sort()
    expect(sizes[sizes.length - 1] - sizes[0]).toBeLessThanOrEqual(1)
    // orders differ between annotators (each their own seed)
    const common = queues[0].filter((k) => queues[1].includes(k))
    expect(queues[1].filter((k) => common.includes(k))).not.toEqual(common.length > 3 ? common : ['impossible'])
  })
})

describe('sampling per source', () => {
  it('gives each source the same posts where they overlap', () => {
    const s = testServices()
    seedBenchmark(s.db, 12) // the run covers items 1-6
    const st = s.annotation.createStudy({
      name: 'paired',
      sources: [{ kind: 'gold', dataset: 'DR', split: 'test_instruction' }, { kind: 'run', runId: 1 }, { kind: 'expert' }],
      seed: 77,
      sampleSize: 3,
      annotatorsPerItem: 1,
      annotators: ['p'],
      extraAspects: [],
      breakMinutes: 45
    })
    const rows = s.db.prepare('SELECT item_id, source FROM study_items WHERE study_id = ?').all(st.id) as { item_id: number; source: string }[]
    const by = (src: string) => rows.filter((r) => r.source === src).map((r) => r.item_id).sort((a, b) => a - b)
    expect(by('gold')).toHaveLength(3)
    expect(by('run:1')).toHaveLength(3)
    expect(by('expert')).toHaveLength(3) // the 3 expert posts are separate items: each source is sampled on its own
    for (const g of by('gold').filter((x) => x <= 6)) expect(by('run:1')).toContain(g)
  })
})
