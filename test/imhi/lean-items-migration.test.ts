import { describe, expect, it } from 'vitest'
import Database from 'better-sqlite3'
import { createHash } from 'node:crypto'
import { join } from 'node:path'
import { openDatabase } from '../../src/main/db/open'
import { migrate } from '../../src/main/db/migrate'
import { migrations } from '../../src/main/db/migrations'
import { createServices } from '../../src/main/services'
import { tempDir } from '../support/tmp'

/**
 * Migration 011 (lean items): a database written before it (items holding their post and gold
 * explanation) reads the same afterwards: every item's post, gold response and gold explanation,
 * search and the gold-explained counts; an item that had no post row gets one.
 */
describe('migration 011: items without their repeated texts', () => {
  it('keeps every text of a database written at schema 10', () => {
    const file = join(tempDir(), 'old.db')
    const raw = new Database(file)
    migrate(raw, migrations.slice(0, 10))
    raw.exec(`INSERT INTO datasets (name, task, labels) VALUES ('DR', 'depression', '["no","yes"]');
      INSERT INTO source_files (path, kind, dataset, split, rows, sha256) VALUES ('test_data/test_instruction/DR.csv', 'items', 'DR', 'test_instruction', 3, 'x')`)
    const post = (text: string) => Number(raw.prepare('INSERT INTO posts (hash, text) VALUES (?, ?)').run(createHash('sha1').update(text).digest('base64'), text).lastInsertRowid)
    const ins = raw.prepare(
      'INSERT INTO items (dataset, split, source_file_id, source_row, query, post, question, gold_response, gold_label, gold_explanation, post_id) VALUES (?, ?, 1, ?, ?, ?, ?, ?, ?, ?, ?)'
    )
    const a = post('I cannot sleep and nothing helps.')
    ins.run('DR', 'test_instruction', 1, 'Post: I cannot sleep and nothing helps. Question: depression?', 'I cannot sleep and nothing helps.', 'depression?', 'yes. Reasoning: The poster cannot sleep.', 'yes', 'Reasoning: The poster cannot sleep.', a)
    ins.run('DR', 'test_instruction', 2, 'Post: A fine day. Question: depression?', 'A fine day.', 'depression?', 'no.', 'no', null, post('A fine day.'))
    // Written by hand, without a post row.
    ins.run('DR', 'test_instruction', 3, 'Post: zebra at dawn. Question: depression?', 'zebra at dawn', 'depression?', null, null, null, null)
    raw.prepare('UPDATE posts_fts_state SET indexed_upto = 0').run()
    raw.close()

    const db = openDatabase(file)
    expect(db.pragma('user_version', { simple: true })).toBe(migrations.length)
    const columns = (db.prepare('PRAGMA table_info(items)').all() as { name: string }[]).map((c) => c.name)
    expect(columns).not.toContain('post')
    expect(columns).not.toContain('gold_explanation')
    const s = createServices({ db, dataDir: tempDir(), platform: { transport: 'cli', version: 'test', dbFile: file } })
    const items = s.imhi.listItems('DR', 'test_instruction')
    expect(items.map((i) => [i.post, i.goldResponse, i.goldExplanation])).toEqual([
      ['I cannot sleep and nothing helps.', 'yes. Reasoning: The poster cannot sleep.', 'Reasoning: The poster cannot sleep.'],
      ['A fine day.', 'no.', null],
      ['zebra at dawn', null, null]
    ])
    expect(s.imhi.item(items[2].id).post).toBe('zebra at dawn')
    // The hand-written item's new post is searchable (the index catches up when the importer starts).
    expect(s.imhi.search({ query: 'zebra', limit: 10, offset: 0 }).items.map((i) => i.id)).toEqual([items[2].id])
    expect(s.imhi.goldExplained('test_instruction', 'DR').map((i) => i.goldExplanation)).toEqual(['Reasoning: The poster cannot sleep.'])
    expect(s.imhi.goldExplainedCounts().gold).toEqual([{ dataset: 'DR', split: 'test_instruction', items: 1 }])
    db.close()
  })
})
