import { createHash } from 'node:crypto'
import type { Db } from '../../src/main/db/open'
import { hasGoldExplanation } from '../../src/main/imhi/labels'

export interface SeedItem {
  dataset: string
  split: string
  sourceFileId: number | bigint
  sourceRow: number
  query: string
  post: string
  goldResponse?: string | null
  goldLabel?: string | null
}

/**
 * Writes one item straight into the imhi tables, as the importer stores it (the importer's job in
 * the app; tests and benches that need items without CSV files use this): the post's text once in
 * `posts` under its SHA-1 (shared with any item of the same text), and whether the gold response
 * carries an explanation.
 */
export function insertItem(db: Db, it: SeedItem): number {
  const hash = createHash('sha1').update(it.post).digest('base64')
  db.prepare('INSERT OR IGNORE INTO posts (hash, text) VALUES (?, ?)').run(hash, it.post)
  const postId = (db.prepare('SELECT id FROM posts WHERE hash = ?').get(hash) as { id: number }).id
  const gold = it.goldResponse ?? null
  return Number(
    db
      .prepare(
        `INSERT INTO items (dataset, split, source_file_id, source_row, query, question, gold_response, gold_label, gold_explained, post_id)
         VALUES (?, ?, ?, ?, ?, NULL, ?, ?, ?, ?)`
      )
      .run(it.dataset, it.split, it.sourceFileId, it.sourceRow, it.query, gold, it.goldLabel ?? null, hasGoldExplanation(gold) ? 1 : 0, postId).lastInsertRowid
  )
}
