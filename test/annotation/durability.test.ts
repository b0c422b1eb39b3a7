import { describe, expect, it } from 'vitest'
import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { openDatabase } from '../../src/main/db/open'
import { testServices } from '../support/services'
import { tempDir } from '../support/tmp'
import { seedBenchmark } from './helpers'

describe('durability', () => {
  it('keeps every rating acknowledged before a kill -9', async () => {
    const dir = tempDir()
    const dbFile = join(dir, 'kill.db')
    {
      const db = openDatabase(dbFile)
      const { createServices } = await import('../../src/main/services')
      const s = createServices({ db, dataDir: dir, platform: { transport: 'test', version: '0', dbFile } })
      seedBenchmark(db, 10)
      s.annotation.createStudy({ name: 'kill', sources: [{ kind: 'gold', dataset: 'DR', split: 'test_instruction' }], seed: 5, annotatorsPerItem: 1, annotators: ['k'], extraAspects: [], breakMinutes: 45 })
      await s.close()
    }
    const child = spawn(process.execPath, ['--import', 'tsx', join(__dirname, 'fixtures', 'rater.ts'), dbFile, '1', '1'], { stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    let err = ''
    child.stderr.on('data', (d) => (err += String(d)))
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the rater wrote too little: ${err}`)), 60_000)
      child.stdout.on('data', (d) => {
        out += String(d)
        if (out.split('\n').length > 400) {
          clearTimeout(timer)
          child.kill('SIGKILL')
          resolve()
        }
      })
    })
    await new Promise((r) => child.once('exit', r))
    expect(child.signalCode).toBe('SIGKILL')
    // What the rater had acknowledged last for each item/aspect must be in the database.
    const acked = new Map<string, number>()
    for (const line of out.split('\n')) {
      const m = /^(\d+) (\w+) (\d)$/.exec(line)
      if (m) acked.set(`${m[1]} ${m[2]}`, Number(m[3]))
    }
    expect(acked.size).toBeGreaterThan(30)
    const db = openDatabase(dbFile)
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok')
    const rows = db.prepare('SELECT study_item_id, aspect, score FROM ratings').all() as { study_item_id: number; aspect: string; score: number }[]
    const stored = new Map(rows.map((r) => [`${r.study_item_id} ${r.aspect}`, r.score]))
    let lost = 0
    for (const [k, score] of acked) {
      // The child may have committed one more rating than it printed; never fewer.
      if (stored.get(k) !== score) lost++
    }
    expect(lost).toBeLessThanOrEqual(1)
    db.close()
  })

  it('is idempotent: a re-sent rating call writes nothing twice', () => {
    const s = testServices()
    seedBenchmark(s.db, 3)
    const st = s.annotation.createStudy({ name: 'idem', sources: [{ kind: 'gold', dataset: 'DR', split: 'test_instruction' }], seed: 1, annotatorsPerItem: 1, annotators: ['i'], extraAspects: [], breakMinutes: 45 })
    const aid = st.annotatorProgress[0].id
    const item = s.annotation.queue(st.id, aid).entries[0].studyItemId
    const a = s.annotation.rate({ studyId: st.id, annotatorId: aid, studyItemId: item, aspect: 'overall', score: 2, seconds: 4 })
    const b = s.annotation.rate({ studyId: st.id, annotatorId: aid, studyItemId: item, aspect: 'overall', score: 2, seconds: 4 })
    expect(b.ratedAt).toBe(a.ratedAt)
    expect(s.db.prepare('SELECT count(*) FROM ratings').pluck().get()).toBe(1)
    expect(s.db.prepare('SELECT count(*) FROM rating_history').pluck().get()).toBe(0)
    // undo: back to nothing, and the removed score stays in the history
    s.annotation.rate({ studyId: st.id, annotatorId: aid, studyItemId: item, aspect: 'overall', score: null })
    expect(s.db.prepare('SELECT count(*) FROM ratings').pluck().get()).toBe(0)
    expect(s.db.prepare('SELECT old_score, new_score FROM rating_history').all()).toEqual([{ old_score: 2, new_score: null }])
    expect(s.annotation.item(st.id, aid, item).seconds).toBe(4)
  })

  it('rejects scores off the scale, unknown aspects and items outside the queue', () => {
    const s = testServices()
    seedBenchmark(s.db, 3)
    const st = s.annotation.createStudy({ name: 'v', sources: [{ kind: 'gold', dataset: 'DR', split: 'test_instruction' }], seed: 1, annotatorsPerItem: 1, annotators: ['a', 'b'], extraAspects: [], breakMinutes: 45 })
    const [a, b] = st.annotatorProgress
    const qa = s.annotation.queue(st.id, a.id).entries
    const qb = s.annotation.queue(st.id, b.id).entries
    expect(() => s.annotation.rate({ studyId: st.id, annotatorId: a.id, studyItemId: qa[0].studyItemId, aspect: 'overall', score: 4 })).toThrow(/Score 4 is outside Overall's scale 0-3/)
    expect(() => s.annotation.rate({ studyId: st.id, annotatorId: a.id, studyItemId: qa[0].studyItemId, aspect: 'beauty', score: 1 })).toThrow(/no aspect "beauty"/)
    expect(() => s.annotation.rate({ studyId: st.id, annotatorId: a.id, studyItemId: qb[0].studyItemId, aspect: 'overall', score: 1 })).toThrow(/not in annotator/)
  })
})
