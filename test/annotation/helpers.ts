import type { Db } from '../../src/main/db/open'
import { insertItem } from '../support/items'

/** Writes a small benchmark into the core tables: DR test items with gold explanations, expert items and one run. */
export function seedBenchmark(db: Db, n = 12): { itemIds: number[]; runId: number } {
  return db.transaction(() => {
    db.prepare(`INSERT OR IGNORE INTO datasets (name, task, labels) VALUES ('DR', 'depression', '["no","yes"]'), ('t-sid', 'disorders', '["none","depression","suicide or self-harm","ptsd"]')`).run()
    const sf = Number(
      db.prepare(`INSERT INTO source_files (path, kind, dataset, split, rows, sha256) VALUES ('test_data/test_instruction/DR.csv', 'items', 'DR', 'test_instruction', ?, 'x')`).run(n).lastInsertRowid
    )
    const ex = Number(db.prepare(`INSERT INTO source_files (path, kind, dataset, split, rows, sha256) VALUES ('human_evaluation/test_instruction_expert/DR.csv', 'items', 'DR', 'expert', 3, 'y')`).run().lastInsertRowid)
    const ins = (split: string, sourceFileId: number, sourceRow: number, query: string, post: string, goldLabel: string, explanation: string) =>
      insertItem(db, { dataset: 'DR', split, sourceFileId, sourceRow, query, post, goldLabel, goldResponse: `${goldLabel}. Reasoning: ${explanation}` })
    const itemIds: number[] = []
    for (let i = 1; i <= n; i++) {
      const post = i === 3 ? `Post ${i}: some nights I think about suicide.` : `Post ${i}: I have been feeling tired and empty.`
      itemIds.push(ins('test_instruction', sf, i, `q${i}`, post, i % 2 ? 'yes' : 'no', `Gold explanation ${i}.`))
    }
    for (let i = 1; i <= 3; i++) ins('expert', ex, i, `eq${i}`, `Expert post ${i}`, 'yes', `Expert explanation ${i}.`)
    const runId = Number(
      db.prepare(`INSERT INTO runs (name, model_file, prompt_format, datasets, split, status) VALUES ('tiny run', 'tiny.gguf', 'chat', '["DR"]', 'test_instruction', 'completed')`).run().lastInsertRowid
    )
    const ex2 = db.prepare(`INSERT INTO explanations (item_id, run_id, model_file, text, prompt_format) VALUES (?, ?, 'tiny.gguf', ?, 'chat')`)
    for (const id of itemIds.slice(0, Math.ceil(n / 2))) ex2.run(id, runId, `Model explanation of item ${id}.`)
    return { itemIds, runId }
  })()
}
