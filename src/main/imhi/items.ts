import type { Db } from '../db/open'
import type { ItemDetail } from '../../shared/api/imhi'
import type { SplitName } from '../../shared/imhi/datasets'
import { goldExplanation } from './labels'

/** One benchmark item with its row in its source file (the same row in another split is its twin), as runs and evaluations read it. */
export type ItemRow = Pick<ItemDetail, 'id' | 'dataset' | 'split' | 'sourceRow' | 'query' | 'post' | 'question' | 'goldResponse' | 'goldLabel' | 'goldExplanation'>

/**
 * The items every imhi read may see: those of complete files (an `items` row aliased `i`). The file
 * an import is writing, chunk after chunk, has its items from items_pending.first_id on until its
 * last chunk commits and clears it (importer.ts); so does a file a crash cut short, until it is
 * deleted. A rowid comparison (every index holds the rowid) against one value read once per
 * statement; the unary `+` keeps it from steering the query plan (a rowid range over the wide rows
 * instead of the narrow covering indexes).
 */
export const VISIBLE_ITEM = '+i.id < coalesce((SELECT first_id FROM items_pending WHERE id = 1), 9223372036854775807)'

/**
 * What `items.query` stores: an instruction-style query that is exactly `Consider this post: "POST"
 * Question: QUESTION` over the item's own post and question is stored as '' and rebuilt on read
 * (QUERY, the same text to the byte); any other query as it is. An empty query is refused at
 * import, so '' means nothing else. Half the released items are such queries (11 MB at 1x).
 */
export function storedQuery(query: string, post: string, question: string | null): string {
  return question !== null && query === `Consider this post: "${post}" Question: ${question}` ? '' : query
}
/** The query as in the file, of an item `i` joined with its post `p` (storedQuery undone). */
export const QUERY = `CASE WHEN i.query = '' THEN 'Consider this post: "' || p.text || '" Question: ' || i.question ELSE i.query END`

/** Items `i` joined with their post `p` (the post's text is stored once, in posts): the aliases QUERY reads. */
export const ITEMS_WITH_POSTS = 'items i JOIN posts p ON p.id = i.post_id'
/** An item's columns, FROM ITEMS_WITH_POSTS. */
const ITEM_COLUMNS = `i.id, i.dataset, i.split, i.source_row AS sourceRow, ${QUERY} AS query, p.text AS post, i.question, i.gold_response AS goldResponse,
  i.gold_label AS goldLabel`

/** The gold explanation is the gold response from "Reasoning:" on: derived on read, as the importer derived gold_explained. */
export const withExplanation = <T extends { goldResponse: string | null }>(r: T): T & { goldExplanation: string | null } => ({
  ...r,
  goldExplanation: goldExplanation(r.goldResponse)
})

/**
 * The item reads other domains make (inference plans and prompts runs, evaluation pairs outputs
 * with goldens and trains classifiers, annotation builds studies from gold explanations): the
 * imhi domain's SQL on its own tables, prepared once, so no other domain queries `items`.
 */
export function createItemReads(db: Db) {
  type Stored = Omit<ItemRow, 'goldExplanation'>
  const byIds = db.prepare<[string], Stored>(
    `SELECT ${ITEM_COLUMNS} FROM ${ITEMS_WITH_POSTS} WHERE i.id IN (SELECT value FROM json_each(?)) AND ${VISIBLE_ITEM} ORDER BY i.dataset, i.source_file_id, i.source_row`
  )
  const twin = db.prepare<[string, string, number], { id: number; query: string; post: string }>(
    `SELECT i.id, ${QUERY} AS query, p.text AS post FROM ${ITEMS_WITH_POSTS} WHERE i.dataset = ? AND i.split = ? AND i.source_row = ? AND ${VISIBLE_ITEM} LIMIT 1`
  )
  const idsInOrder = db.prepare<[string, string, number], { id: number }>(`SELECT i.id FROM items i WHERE i.dataset = ? AND i.split = ? AND ${VISIBLE_ITEM} ORDER BY i.source_file_id, i.source_row LIMIT ?`)
  const datasetCase = db.prepare<[string], { dataset: string }>(`SELECT DISTINCT i.dataset FROM items i WHERE lower(i.dataset) = lower(?) AND ${VISIBLE_ITEM}`)
  const ofDatasetSplits = db.prepare<[string, string], Stored>(
    `SELECT ${ITEM_COLUMNS} FROM ${ITEMS_WITH_POSTS} WHERE i.dataset = ? AND i.split IN (SELECT value FROM json_each(?)) AND ${VISIBLE_ITEM} ORDER BY i.split, i.source_file_id, i.source_row`
  )
  const goldens = db.prepare<[string], { post: string; goldResponse: string; split: SplitName }>(
    `SELECT p.text AS post, i.gold_response AS goldResponse, i.split FROM ${ITEMS_WITH_POSTS} WHERE i.dataset = ? AND i.gold_response IS NOT NULL AND ${VISIBLE_ITEM}
     ORDER BY CASE i.split WHEN 'test_instruction' THEN 0 WHEN 'expert' THEN 1 ELSE 2 END, i.id`
  )
  const goldExplained = db.prepare<[string, string | null, string | null], Stored & { goldResponse: string }>(
    `SELECT ${ITEM_COLUMNS} FROM ${ITEMS_WITH_POSTS} WHERE i.split = ? AND (? IS NULL OR lower(i.dataset) = lower(?)) AND i.gold_explained = 1 AND ${VISIBLE_ITEM} ORDER BY i.id`
  )
  const goldExplainedCounts = db.prepare<[], { dataset: string; split: SplitName; items: number }>(
    `SELECT i.dataset, i.split, count(*) AS items FROM items i WHERE i.split <> 'expert' AND i.gold_explained = 1
     AND i.split LIKE 'test%' AND ${VISIBLE_ITEM} GROUP BY i.dataset, i.split ORDER BY i.dataset, i.split`
  )
  const expertCounts = db.prepare<[], { dataset: string; items: number }>(
    `SELECT i.dataset, count(*) AS items FROM items i WHERE i.split = 'expert' AND i.gold_explained = 1 AND ${VISIBLE_ITEM} GROUP BY i.dataset ORDER BY i.dataset`
  )

  return {
    /** The items with these ids (unknown ids are left out), by dataset then file order. */
    itemsByIds: (ids: readonly number[]): ItemRow[] => (ids.length === 0 ? [] : byIds.all(JSON.stringify(ids)).map(withExplanation)),
    /** The item of another split on the same row of the same dataset (test_complete <-> test_instruction). */
    twinItem: (dataset: string, split: SplitName, sourceRow: number) => twin.get(dataset, split, sourceRow),
    /** The ids of a dataset's split in file order, at most `limit`. */
    itemIdsInOrder: (dataset: string, split: SplitName, limit: number): number[] => idsInOrder.all(dataset, split, limit).map((r) => r.id),
    /** The dataset's name as stored (whatever its case in `name`), when any item has it. */
    storedDatasetName: (name: string): string | undefined => datasetCase.get(name)?.dataset,
    /** A dataset's items of the given splits, by split then file order. */
    itemsOfSplits: (dataset: string, splits: readonly SplitName[]): ItemRow[] => ofDatasetSplits.all(dataset, JSON.stringify(splits)).map(withExplanation),
    /** Every gold response of a dataset with its post; test_instruction first, then expert, then the rest. */
    goldResponses: (dataset: string) => goldens.all(dataset),
    /** Items of a split (optionally one dataset, any case) that carry a gold explanation, by id. */
    goldExplained: (split: SplitName, dataset: string | null) =>
      goldExplained.all(split, dataset, dataset).map((r) => ({ ...r, goldExplanation: goldExplanation(r.goldResponse) ?? '' })),
    /** How many test items carry a gold explanation, per dataset and split; and expert items per dataset. */
    goldExplainedCounts: () => ({ gold: goldExplainedCounts.all(), expert: expertCounts.all() })
  }
}

export type ItemReads = ReturnType<typeof createItemReads>
