import { hash } from 'node:crypto'
import { readdirSync, statSync, type Stats as FsStats } from 'node:fs'
import { homedir } from 'node:os'
import { basename, join, relative, resolve, sep } from 'node:path'
import type { Db } from '../db/open'
import { AppError } from '../../shared/api/errors'
import { DATASETS, findDataset, type SplitName } from '../../shared/imhi/datasets'
import type { ImportFileReport, ImportReport } from '../../shared/api/imhi'
import { acquireImportLock } from './importLock'
import { waitingWriters, yieldToWaitingWriters } from '../db/waitingWriters'
import { csvRows, MAX_CSV_BYTES, scanCsvFile } from './csv'
import { ASPECTS, parseScores, ratingLabel, shapeOf, type Shape } from './columns'
import { datasetFromName, isValidationName, LAYOUT_HELP, placeByPath, type Placement } from './layout'
import { hasGoldExplanation, labelOfSentence, labelSentence, splitQuery, stripPostPrefix, stripQuestionPrefix } from './labels'
import { storedQuery } from './items'

/**
 * Imports a folder in the MentalLLaMA layout, or one CSV of it, into the database.
 *
 * - A file is imported whole or not at all, as every reader sees it; the other files of the same
 *   import still import, and the report lists each file's error. An items file is written in
 *   short transactions (chunks, CHUNK_MS / CHUNK_ROWS), so that SQLite's one write lock is free
 *   between them for a waiting short writer (a rating: db/waitingWriters.ts); its items stay
 *   invisible (from items_pending.first_id on, source_files.complete = 0) until the transaction that
 *   writes its last row, and a file that fails, is cancelled or is cut short by a crash has its
 *   chunks deleted (at once, or at the next start or import). A ratings file is one transaction.
 * - source_files.path is the layout path (test_data/test_instruction/DR.csv). Importing a file
 *   whose layout path is already imported with the same SHA-256 adds nothing ("unchanged").
 *   A file whose content CHANGED since it was imported is refused with a conflict error: items
 *   are referenced by runs, explanations and ratings, so they are never silently replaced.
 *   Import changed data into a new database.
 */

export interface ImportProgress {
  /** The file being read (every PROGRESS_ROWS rows), or just finished (filesDone counts it). */
  file: string
  filesDone: number
  filesTotal: number
  /** CSV rows read so far, all files together (within a file too, every PROGRESS_ROWS rows). */
  rows: number
}

export interface ImportOptions {
  onProgress?: (p: ImportProgress) => void
  maxFileBytes?: number
  /** The bounds of one chunk of an items file (tests make them small); CHUNK_MS and CHUNK_ROWS by default. */
  chunk?: { ms?: number; rows?: number }
}

/** Progress is reported at the end of each file and every this many rows inside one. */
export const PROGRESS_ROWS = 10_000
/**
 * An items file is written in transactions of at most this long or this many rows, whichever comes
 * first: a rating waits for at most one of them (about 1,000 rows of the released data at 25 ms).
 */
export const CHUNK_MS = 25
export const CHUNK_ROWS = 5000
/** The new posts enter the full-text index at the end of an import in transactions of about this long. */
const INDEX_MS = 100
/** How often a chunk looks for an announced short writer (then it ends early). */
const LOOK_MS = 2
/** The chunks of a discarded file are deleted this many items per transaction. */
const DISCARD_ROWS = 5000

class ImportCancelled extends Error {}

/** What a file read once turns out to be when its last row is in: a copy of one already imported. */
interface Twin {
  path: string
  rows: number
  reason: string
}
/** Thrown inside a file's transaction (rolling it back) when the file is a copy of one already imported. */
class DuplicateFile extends Error {
  constructor(readonly twin: Twin) {
    super(twin.reason)
  }
}

/** A file's SHA-256 and size, known after its first pass or, read once, after its last row. */
type Content = { sha256: string; sizeBytes: number }
const CANCELLED = '\u0000cancelled'

const OUTPUTS_REASON = 'model outputs (goldens, generated_text), not benchmark items: not imported'

const SKIP_DIRS = new Set(['node_modules', '.git', '.svn', '__pycache__', '.venv', 'venv'])
const MAX_DEPTH = 8
const MAX_FILES = 10_000

interface Candidate {
  abs: string
  /** Path relative to what the user picked (the file name for a single file). */
  rel: string
}

function listCsv(root: string): { files: Candidate[]; unreadable: string[] } {
  const files: Candidate[] = []
  const unreadable: string[] = []
  const walk = (dir: string, depth: number) => {
    let entries
    try {
      entries = readdirSync(dir, { withFileTypes: true })
    } catch {
      unreadable.push(relative(root, dir) || '.')
      return
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    for (const e of entries) {
      if (files.length >= MAX_FILES) return
      if (e.name.startsWith('.')) continue
      const abs = join(dir, e.name)
      // Anything named *.csv is a candidate, whatever it is: reading checks that it is (or links to)
      // a regular file and reports a FIFO, a device or a folder named DR.csv instead of skipping it
      // silently (or, for a FIFO, waiting forever for a writer).
      if (/\.csv$/i.test(e.name)) files.push({ abs, rel: relative(root, abs).split(sep).join('/') })
      if (e.isDirectory() && !SKIP_DIRS.has(e.name) && depth < MAX_DEPTH) walk(abs, depth + 1)
    }
  }
  walk(root, 0)
  return { files, unreadable }
}

/** Where a single CSV outside the layout folders belongs, from its header and name. */
function placeByHeader(shape: Shape, fileName: string): Placement {
  switch (shape.kind) {
    case 'outputs':
      return {
        kind: 'outputs',
        dataset: datasetFromName(fileName),
        split: null,
        layoutPath: `examples/response_generation_examples/${fileName}`,
        folder: 'examples/response_generation_examples'
      }
    case 'ratings':
      return { kind: 'reference_ratings', dataset: 'DR', split: null, layoutPath: `human_evaluation/DR_annotation/${fileName}`, folder: 'human_evaluation/DR_annotation' }
    case 'complete': {
      const dataset = datasetFromName(fileName)
      if (!dataset) {
        throw new AppError(
          'bad_file',
          `${fileName}: a completion-style training file, but its name does not say which dataset; put it in train_data/complete_data/DATASET/ or name it after the dataset (e.g. dreaddit-train.csv).`,
          { file: fileName }
        )
      }
      const split: SplitName = isValidationName(fileName) ? 'val_complete' : 'train_complete'
      return { kind: 'items', dataset, split, layoutPath: `train_data/complete_data/${dataset}/${fileName}`, folder: `train_data/complete_data/${dataset}` }
    }
    case 'instruction':
      throw new AppError(
        'bad_file',
        `${fileName}: cannot tell which split this file is: query/gpt-3.5-turbo files are test, expert or training data alike. ` +
          'Import it from its folder (test_data/test_instruction, test_data/test_complete, human_evaluation/test_instruction_expert or train_data/instruction_data/DATASET), or import the whole folder.',
        { file: fileName }
      )
  }
}

function fileError(label: string, err: unknown): string {
  const raw = (err as { code?: string })?.code
  // What another writer at the same moment looks like from here, in words.
  if (raw === 'SQLITE_BUSY' || raw === 'SQLITE_LOCKED') return `${label}: the database is busy (another program is writing to it); nothing of this file was imported: import again.`
  if (raw === 'SQLITE_CONSTRAINT_UNIQUE' && /source_files\.path/.test(String((err as Error).message))) {
    return `${label}: imported by another import at the same moment; import again to see it as unchanged.`
  }
  const e = AppError.from(err)
  return e.message.startsWith(label) ? e.message : `${label}: ${e.message}`
}

export function createImporter(db: Db) {
  const ensureDatasets = db.prepare(
    'INSERT INTO datasets (name, task, labels) VALUES (?, ?, ?) ON CONFLICT(name) DO UPDATE SET task = excluded.task, labels = excluded.labels'
  )
  // A read-only connection (imhi stats, imhi search) writes nothing, not even these upkeep rows;
  // a read-write one writes them only when they differ (start-up writes are where two processes
  // opening one new database at once used to collide). IMMEDIATE: a deferred transaction that
  // reads before it writes is refused at once ("database is locked") when another connection
  // wrote in between, without waiting (SQLite cannot upgrade a stale read snapshot).
  if (!db.readonly) {
    const known = new Map((db.prepare('SELECT name, task, labels FROM datasets').all() as { name: string; task: string; labels: string }[]).map((d) => [d.name, d]))
    const stale = DATASETS.filter((d) => known.get(d.name)?.task !== d.task || known.get(d.name)?.labels !== JSON.stringify(d.labels))
    if (stale.length > 0) {
      db.transaction(() => {
        for (const d of stale) ensureDatasets.run(d.name, d.task, JSON.stringify(d.labels))
      }).immediate()
    }
  }

  const findSource = db.prepare<[string], { id: number; sha256: string; rows: number; imported_at: string; kind: string }>(
    'SELECT id, sha256, rows, imported_at, kind FROM source_files WHERE path = ?'
  )
  // The row count, hash and size are known at the end of the file: set then, in the same transaction.
  // A file's source row is written with its first chunk, incomplete; its last chunk completes it.
  const insertSource = db.prepare("INSERT INTO source_files (path, kind, dataset, split, rows, sha256, size_bytes, columns, complete) VALUES (?, ?, ?, ?, 0, '', 0, ?, 0)")
  const finishSource = db.prepare('UPDATE source_files SET rows = ?, sha256 = ?, size_bytes = ?, complete = 1 WHERE id = ?')
  const findSameContent = db.prepare<[string, string, string, string | null, string | null], { path: string; rows: number }>(
    'SELECT path, rows FROM source_files WHERE sha256 = ? AND path <> ? AND kind = ? AND dataset IS ? AND split IS ? AND complete = 1 ORDER BY id LIMIT 1'
  )
  // The items of the file being written are those from items_pending.first_id on (items get ever
  // larger ids): hidden from its first chunk, shown by its last.
  const hideFromHere = db.prepare(
    'INSERT INTO items_pending (id, first_id) VALUES (1, (SELECT coalesce(max(id), 0) + 1 FROM items)) ON CONFLICT (id) DO UPDATE SET first_id = excluded.first_id'
  )
  const showAll = db.prepare('UPDATE items_pending SET first_id = NULL WHERE id = 1')
  const lastPostId = db.prepare<[], { id: number }>('SELECT coalesce(max(id), 0) AS id FROM posts')
  const hasLeftovers = db.prepare<[], { n: number }>(
    'SELECT EXISTS (SELECT 1 FROM source_files WHERE complete = 0) OR (SELECT first_id FROM items_pending WHERE id = 1) IS NOT NULL AS n'
  )
  const deleteHiddenItems = db.prepare('DELETE FROM items WHERE id IN (SELECT id FROM items WHERE id >= (SELECT first_id FROM items_pending WHERE id = 1) LIMIT ?)')
  const deleteIncompleteSources = db.prepare('DELETE FROM source_files WHERE complete = 0')
  // Posts are added by the file that first has them: those a discarded file added belong to no item
  // now. None is in the full-text index yet (only posts of complete files are indexed).
  // max(): never a post in the index, whatever the caller's floor.
  const deleteOrphanPosts = db.prepare(
    `DELETE FROM posts WHERE id > max(?, (SELECT indexed_upto FROM posts_fts_state WHERE id = 1))
     AND NOT EXISTS (SELECT 1 FROM items i INDEXED BY items_post WHERE i.post_id = posts.id)`
  )
  const findPost = db.prepare<[string], { id: number }>('SELECT id FROM posts WHERE hash = ?')
  const insertPost = db.prepare<[string, string], { id: number }>('INSERT INTO posts (hash, text) VALUES (?, ?) ON CONFLICT (hash) DO NOTHING RETURNING id')
  const insertItem = db.prepare(
    `INSERT INTO items (dataset, split, source_file_id, source_row, query, question, gold_response, gold_label, gold_explained, post_id)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
  )
  const insertRating = db.prepare(
    `INSERT INTO reference_ratings (source_file_id, source_row, system, post, label, explanation, explanation_column, fluency, completeness, reliability, overall)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
  )

  const ftsUpto = db.prepare<[], { upto: number }>('SELECT indexed_upto AS upto FROM posts_fts_state WHERE id = 1')
  const ftsBatchEnd = db.prepare<[number, number], { last: number | null }>('SELECT max(id) AS last FROM (SELECT id FROM posts WHERE id > ? ORDER BY id LIMIT ?)')
  const ftsAdd = db.prepare('INSERT INTO posts_fts (rowid, text) SELECT id, text FROM posts WHERE id > ? AND id <= ? ORDER BY id')
  const ftsSet = db.prepare('UPDATE posts_fts_state SET indexed_upto = ? WHERE id = 1')
  const ftsPending = db.prepare<[], { pending: number }>(
    'SELECT (SELECT coalesce(max(id), 0) FROM posts) > (SELECT indexed_upto FROM posts_fts_state WHERE id = 1) AS pending'
  )
  /**
   * Adds the next (at most) `n` posts not yet in the full-text index, in one transaction; how many.
   * IMMEDIATE (the write lock first, waiting for it): it reads indexed_upto before it writes.
   */
  const indexSomePostsTx = db.transaction((n: number): number => {
    const upto = ftsUpto.get()?.upto ?? 0
    const last = ftsBatchEnd.get(upto, n)?.last
    if (last === null || last === undefined) return 0
    const added = ftsAdd.run(upto, last).changes
    ftsSet.run(last)
    return added
  })
  /**
   * Indexes every pending post in transactions of about INDEX_MS (the number of posts per
   * transaction follows the time the last one took, from 20,000: the released data's 16,560 new
   * posts are one, as before): between two of them a waiting short writer gets the lock. Longer
   * than an items chunk because FTS5 merges its segments again at each commit: batches of 25 ms cost
   * the import 3-4 % more CPU at 1x, a first batch of 8,000 about 2 %. At 10x the first batch holds
   * the lock about 280 ms (one transaction for all held it 475 ms).
   */
  function* indexPendingPostsSteps(): Generator<void, number, void> {
    let total = 0
    let batch = 20_000
    while (ftsPending.get()?.pending) {
      const t = performance.now()
      total += indexSomePostsTx.immediate(batch)
      const ms = performance.now() - t
      batch = Math.max(1000, Math.min(200_000, Math.round((batch * INDEX_MS) / Math.max(ms, 1))))
      yield
    }
    return total
  }
  const indexPendingPosts = (): number => {
    const steps = indexPendingPostsSteps()
    for (;;) {
      const r = steps.next()
      if (r.done) return r.value
    }
  }
  const indexPendingPostsYielding = async (): Promise<number> => {
    const steps = indexPendingPostsSteps()
    for (;;) {
      const r = steps.next()
      if (r.done) return r.value
      if ((await yieldToWaitingWriters(db)) === 0) await new Promise<void>((res) => setImmediate(res))
    }
  }

  /**
   * One step of deleting what a file left incomplete (failed, cancelled, or cut short by a crash):
   * its hidden items, DISCARD_ROWS at a time, then its source row and the posts only it had (above
   * `postsAbove` and above the full-text index). True when nothing is left.
   */
  const discardStep = db.transaction((postsAbove: number): boolean => {
    if (deleteHiddenItems.run(DISCARD_ROWS).changes >= DISCARD_ROWS) return false
    deleteIncompleteSources.run()
    deleteOrphanPosts.run(postsAbove)
    showAll.run()
    return true
  })
  /** Deletes every incomplete file (the import lock held). */
  const discardLeftovers = (postsAbove = 0): void => {
    if (!hasLeftovers.get()?.n) return
    while (!discardStep.immediate(postsAbove));
  }
  /**
   * After an import (and at start): files left incomplete deleted; true when none is left, and only
   * then may the pending posts be indexed (never a post of an incomplete file: it may be deleted,
   * and the index would keep it).
   */
  const settle = (): boolean => {
    try {
      discardLeftovers()
    } catch {
      // Busy past the timeout: the leftovers stay hidden, and the next start or import deletes them.
    }
    return !hasLeftovers.get()?.n
  }
  // At start, catch up after a crash: a file cut short is deleted, and the posts of the files
  // completed before it are indexed (a read when nothing is due). Only when no import runs (in
  // another lane or process): a running import's chunks look exactly like leftovers.
  if (!db.readonly && (hasLeftovers.get()?.n || ftsPending.get()?.pending)) {
    let release: (() => void) | null = null
    try {
      release = acquireImportLock(db.name)
    } catch {
      // Another import holds the database: it settles at its end.
    }
    if (release) {
      try {
        if (settle()) indexPendingPosts()
      } finally {
        release()
      }
    }
  }

  // Post ids known during one import run (the same post comes in both test styles and both
  // training styles), keyed by the post's SHA-1 (28 characters, never the text itself: 10x the
  // release is 119K distinct posts). Only committed files feed it, so a rolled-back file leaves no
  // stale ids.
  const knownPosts = new Map<string, number>()
  let filePosts: [string, number][] = []
  const postId = (text: string): number => {
    const key = hash('sha1', text, 'base64')
    const known = knownPosts.get(key)
    if (known !== undefined) return known
    const id = insertPost.get(key, text)?.id ?? findPost.get(key)!.id
    filePosts.push([key, id])
    return id
  }

  // Gold labels by label sentence, during one import: the released responses state their label in
  // a few hundred distinct sentences ("yes, the poster suffers from depression."), each parsed once.
  const labels = new Map<string, string | null>()
  const labelOf = (dataset: string, response: string): string | null => {
    const sentence = labelSentence(response)
    const key = `${dataset}\u0000${sentence}`
    let label = labels.get(key)
    if (label === undefined) {
      label = labelOfSentence(dataset, sentence)
      if (labels.size < 100_000) labels.set(key, label)
    }
    return label
  }
  const commitPosts = () => {
    for (const [hash, id] of filePosts) knownPosts.set(hash, id)
    filePosts = []
  }

  /**
   * The end of a file's transaction: a file read once is now known by its hash, and a copy of a
   * file already imported is rolled back (DuplicateFile); otherwise its source row gets its count.
   */
  const finishFile = (place: Placement, source: number, rows: number, content: () => Content) => {
    const { sha256, sizeBytes } = content()
    const twin = duplicateOf(place, sha256)
    if (twin) throw new DuplicateFile(twin)
    finishSource.run(rows, sha256, sizeBytes, source)
  }
  let cancelRequested = false
  /** Called for every row read inside a file: progress now and then, and the cancel check. */
  let onRow: (rowsInFile: number) => void = () => {}

  /** An items file being written, chunk after chunk. */
  interface ItemsWrite {
    place: Placement & { dataset: string; split: SplitName }
    shape: Shape
    header: string[]
    rows: Iterator<string[]>
    content: () => Content
    /** The file's source row, from its first chunk on (0 before). */
    source: number
    rowNo: number
    unlabeled: number
    done: boolean
  }

  /**
   * One chunk of an items file, in its own transaction: rows until `until` (performance.now()) or
   * `maxRows`, or until a short writer waits, at least one. The chunk that reads the last row completes the file: its source row
   * gets its count and hash, and its items become visible (items_pending cleared), all at its commit.
   */
  const writeChunk = db.transaction((w: ItemsWrite, until: number, maxRows: number) => {
    const { place, shape } = w
    const label = place.layoutPath
    if (w.source === 0) {
      w.source = Number(insertSource.run(label, 'items', place.dataset, place.split, JSON.stringify(w.header)).lastInsertRowid)
      hideFromHere.run()
    }
    const source = w.source
    // The chunk ends at its bounds, or early when a short writer has announced itself (looked for
    // every LOOK_MS: one stat of a folder that is usually absent). The clock is read every 16 rows.
    let nextLook = performance.now() + LOOK_MS
    for (let n = 0; ; n++) {
      if (n > 0 && (n & 15) === 0) {
        const now = performance.now()
        if (now >= until) return
        if (now >= nextLook) {
          if (waitingWriters(db) > 0) return
          nextLook = now + LOOK_MS
        }
      }
      if (n >= maxRows && n > 0) return
      const next = w.rows.next()
      if (next.done) break
      const r = next.value
      const rowNo = ++w.rowNo
      onRow(rowNo)
      let query: string
      let post: string
      let question: string | null
      let response: string
      if (shape.kind === 'instruction') {
        query = r[shape.query]
        response = r[shape.response]
        const parts = splitQuery(query)
        post = parts.post
        question = parts.question
      } else if (shape.kind === 'complete') {
        query = r[shape.post] + r[shape.question]
        response = r[shape.response]
        post = stripPostPrefix(r[shape.post])
        question = stripQuestionPrefix(r[shape.question])
      } else {
        throw new AppError('bad_file', `${label}: expected an items file, found a ${shape.kind} file.`, { file: label })
      }
      if (!query.trim() || !post) {
        throw new AppError('bad_file', `${label}: row ${rowNo}: the ${shape.kind === 'instruction' ? 'query' : 'post'} is empty.`, { file: label, row: rowNo })
      }
      const gold = response.trim() ? response : null
      const gl = gold === null ? null : labelOf(place.dataset, gold)
      if (gl === null) w.unlabeled++
      insertItem.run(place.dataset, place.split, source, rowNo, storedQuery(query, post, question), question, gold, gl, hasGoldExplanation(gold) ? 1 : 0, postId(post))
    }
    finishFile(place, source, w.rowNo, w.content)
    showAll.run()
    w.done = true
  })

  /**
   * Writes an items file chunk after chunk. Between two chunks the write lock is free: a short
   * writer that announced itself (a rating) is let through first (db/waitingWriters.ts), and the
   * event loop runs (a cancel, progress). A file that fails or is cancelled after some chunks has
   * them deleted before the error goes on (whole, as if never written).
   */
  async function writeItems(w: ItemsWrite, chunk: { ms: number; rows: number }): Promise<void> {
    const postsBefore = lastPostId.get()!.id
    try {
      for (;;) {
        withoutForeignKeyChecks(() => writeChunk.immediate(w, performance.now() + chunk.ms, chunk.rows))
        if (w.done) return
        if (cancelRequested) throw new ImportCancelled()
        if ((await yieldToWaitingWriters(db)) === 0) await new Promise<void>((r) => setImmediate(r))
      }
    } catch (err) {
      if (w.source !== 0) {
        try {
          while (!discardStep.immediate(postsBefore)) await yieldToWaitingWriters(db)
        } catch {
          // Busy past the timeout: hidden, and deleted by the next start or import (settle()).
        }
      }
      throw err
    }
  }

  const writeRatings = db.transaction((place: Placement, shape: Extract<Shape, { kind: 'ratings' }>, header: string[], rows: Iterable<string[]>, content: () => Content) => {
    const label = place.layoutPath
    const system = basename(place.layoutPath).replace(/\.csv$/i, '')
    const source = Number(insertSource.run(label, 'reference_ratings', 'DR', null, JSON.stringify(header)).lastInsertRowid)
    let row = 0
    for (const r of rows) {
      row++
      onRow(row)
      const text = r[shape.text]
      if (!text.trim()) throw new AppError('bad_file', `${label}: row ${row}, column "text": the post is empty.`, { file: label, row, field: 'text' })
      const scores = ASPECTS.map((a) => JSON.stringify(parseScores(r[shape.aspects[a]], { file: label, row, column: a })))
      insertRating.run(source, row, system, text, ratingLabel(r[shape.label], { file: label, row }), r[shape.explanation], shape.explanationColumn, ...scores)
    }
    finishFile(place, source, row, content)
    return row
  })

  let running = false

  async function importPath(input: string, opts: ImportOptions = {}): Promise<ImportReport> {
    if (db.readonly) throw new AppError('unsupported', `${db.name} is open read-only: nothing can be imported into it.`, { file: db.name })
    if (running) throw new AppError('conflict', 'Another import is running on this database; wait for it to finish.')
    running = true
    let release: (() => void) | null = null
    try {
      release = acquireImportLock(db.name)
      return await run(input, opts)
    } finally {
      release?.()
      running = false
    }
  }

  async function run(input: string, opts: ImportOptions): Promise<ImportReport> {
    const started = performance.now()
    // A typed path may start with ~ (the desktop picker and the shell expand it; a text field does not).
    const expanded = input === '~' || /^~[\\/]/.test(input) ? join(homedir(), input.slice(1)) : input
    const root = resolve(expanded)
    let st: FsStats
    try {
      st = statSync(root)
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code
      if (code === 'ENOENT' || code === 'ENOTDIR') throw new AppError('not_found', `${root}: no such file or folder.`, { file: root })
      throw new AppError('bad_file', `${root}: cannot read it (${code ?? (err as Error).message}).`, { file: root })
    }

    const single = st.isFile()
    let candidates: Candidate[]
    const reports: ImportFileReport[] = []
    if (single) {
      if (!/\.csv$/i.test(root)) throw new AppError('bad_file', `${root}: not a CSV file. Import a .csv file or a folder in the IMHI layout. ${LAYOUT_HELP}`, { file: root })
      candidates = [{ abs: root, rel: basename(root) }]
    } else if (st.isDirectory()) {
      const listed = listCsv(root)
      candidates = listed.files
      for (const dir of listed.unreadable) {
        reports.push({ file: dir + '/', kind: 'skipped', dataset: null, split: null, rows: 0, added: 0, unchanged: 0, error: `${dir}/: cannot read this folder (permission denied?).` })
      }
      if (candidates.length === 0) {
        throw new AppError('bad_file', `${root}: no CSV files in this folder${listed.unreadable.length ? ' (some subfolders could not be read)' : ''}. ${LAYOUT_HELP}`, { file: root })
      }
      const placed = candidates.filter((c) => placeByPath(c.abs) !== null)
      if (placed.length === 0) {
        throw new AppError(
          'bad_file',
          `${root}: not in the IMHI layout: none of its ${candidates.length} CSV file(s) sits in an IMHI folder (${candidates
            .slice(0, 3)
            .map((c) => c.rel)
            .join(', ')}${candidates.length > 3 ? ', ...' : ''}). ${LAYOUT_HELP}`,
          { file: root }
        )
      }
    } else {
      throw new AppError('bad_file', `${root}: neither a file nor a folder.`, { file: root })
    }

    const maxBytes = opts.maxFileBytes ?? MAX_CSV_BYTES
    const chunk = { ms: opts.chunk?.ms ?? CHUNK_MS, rows: Math.max(1, opts.chunk?.rows ?? CHUNK_ROWS) }
    // What an import cut short left (a crash, a kill): deleted before anything else is written.
    discardLeftovers()
    let rowsSoFar = 0
    let cancelled = false
    cancelRequested = false
    try {
      for (let n = 0; n < candidates.length; n++) {
        if (cancelRequested) {
          cancelled = true
          break
        }
        const c = candidates[n]
        const shown = placeByPath(c.abs)?.layoutPath ?? c.rel
        onRow = (inFile) => {
          if (inFile % PROGRESS_ROWS === 0) {
            if (cancelRequested) throw new ImportCancelled()
            opts.onProgress?.({ file: shown, filesDone: n, filesTotal: candidates.length, rows: rowsSoFar + inFile })
          }
        }
        const report = await importOne(c, single, maxBytes, chunk)
        onRow = () => {}
        if (report.error === CANCELLED) {
          cancelled = true
          break
        }
        reports.push(report)
        rowsSoFar += report.rows
        opts.onProgress?.({ file: report.file, filesDone: n + 1, filesTotal: candidates.length, rows: rowsSoFar })
        // Let progress events and other calls (a cancel) through between files.
        await new Promise<void>((r) => setImmediate(r))
      }
    } finally {
      onRow = () => {}
      knownPosts.clear()
      labels.clear()
      filePosts = []
      if (settle()) await indexPendingPostsYielding()
    }

    return {
      root,
      files: reports,
      added: reports.reduce((a, r) => a + r.added, 0),
      unchanged: reports.reduce((a, r) => a + r.unchanged, 0),
      errors: reports.filter((r) => r.error !== null).length,
      seconds: Math.round(performance.now() - started) / 1000,
      ...(cancelled ? { cancelled: true, notRead: candidates.length - reports.filter((r) => !r.file.endsWith('/')).length } : {})
    }
  }

  async function importOne(c: Candidate, single: boolean, maxBytes: number, chunk: { ms: number; rows: number }): Promise<ImportFileReport> {
    let place = placeByPath(c.abs)
    const base: ImportFileReport = {
      file: place?.layoutPath ?? c.rel,
      kind: place?.kind ?? 'skipped',
      dataset: place?.dataset ?? null,
      split: place?.split ?? null,
      rows: 0,
      added: 0,
      unchanged: 0,
      error: null
    }
    if (!place && !single) {
      return { ...base, kind: 'skipped', reason: `not in an IMHI layout folder. ${LAYOUT_HELP}` }
    }
    if (place?.kind === 'outputs') return skipOutputs(c, base, maxBytes)
    let label = place?.layoutPath ?? c.rel
    let rows: Generator<string[], void, undefined> | null = null
    const skipped = (twin: Twin): ImportFileReport => ({ ...base, kind: 'skipped', rows: twin.rows, reason: twin.reason, duplicateOf: twin.path })
    try {
      // A path imported before, and a file placed by its header, are hashed first (a piece at a
      // time, with the UTF-8 check): unchanged, changed or duplicate files stop there. A new path
      // is read once: its hash comes with its last row, inside its transaction (finishFile).
      let content: Content | null = null
      if (!place || findSource.get(place.layoutPath)) {
        content = scanCsvFile(c.abs, label, maxBytes)
        if (place) {
          const done = checkExisting(place.layoutPath, content.sha256)
          if (done) return { ...base, rows: done.rows, unchanged: done.rows }
          const twin = duplicateOf(place, content.sha256)
          if (twin) return skipped(twin)
        }
      }
      const read: { content: Content | null } = { content }
      const readContent = (): Content => read.content!
      // Rows one at a time, straight into the file's transaction.
      rows = csvRows(c.abs, label, content?.sha256 ?? null, maxBytes, undefined, (end) => (read.content = end))
      const first = rows.next()
      const header = first.done ? [] : first.value
      const shape = shapeOf(header, label)
      const countRest = (): number => {
        let n = 0
        for (const _ of rows!) n++
        return n
      }
      if (!place) {
        place = placeByHeader(shape, basename(c.abs))
        label = place.layoutPath
        Object.assign(base, { file: label, kind: place.kind, dataset: place.dataset, split: place.split })
        if (place.kind === 'outputs') return { ...base, rows: countRest(), reason: OUTPUTS_REASON }
        const done = checkExisting(place.layoutPath, content!.sha256)
        if (done) return { ...base, rows: done.rows, unchanged: done.rows }
        const twin = duplicateOf(place, content!.sha256)
        if (twin) return skipped(twin)
      }
      if (shape.kind === 'outputs') return { ...base, kind: 'outputs', rows: countRest(), reason: OUTPUTS_REASON }

      if (place.kind === 'reference_ratings') {
        if (shape.kind !== 'ratings') {
          throw new AppError('bad_file', `${label}: files in ${place.folder} hold ratings (text, label, explanation, fluency, completeness, reliability, overall), but this one has the columns ${header.join(', ')}.`, {
            file: label
          })
        }
        const n = writeRatings(place, shape, header, rows, readContent)
        return { ...base, rows: n, added: n }
      }
      if (shape.kind === 'ratings') {
        throw new AppError('bad_file', `${label}: a ratings file (fluency, completeness, ...) inside ${place.folder}, which holds benchmark items.`, { file: label })
      }
      const dataset = place.dataset
      if (!dataset || !findDataset(dataset)) {
        throw new AppError(
          'bad_file',
          `${label}: cannot tell the dataset from the name; IMHI datasets are ${DATASETS.map((d) => d.name).join(', ')}.`,
          { file: label }
        )
      }
      const split = place.split as SplitName
      filePosts = []
      const w: ItemsWrite = { place: { ...place, dataset, split }, shape, header, rows, content: readContent, source: 0, rowNo: 0, unlabeled: 0, done: false }
      await writeItems(w, chunk)
      commitPosts()
      return { ...base, rows: w.rowNo, added: w.rowNo, unlabeled: w.unlabeled }
    } catch (err) {
      if (err instanceof ImportCancelled) return { ...base, error: CANCELLED }
      if (err instanceof DuplicateFile) return skipped(err.twin)
      return { ...base, error: fileError(label, err) }
    } finally {
      // Closes the file when a row was not read to the end (an error, an early return).
      rows?.return(undefined)
    }
  }

  /** Model outputs are not imported; their rows are counted so the report accounts for every CSV row. */
  function skipOutputs(c: Candidate, base: ImportFileReport, maxBytes: number): ImportFileReport {
    try {
      const { sha256 } = scanCsvFile(c.abs, base.file, maxBytes)
      let n = -1 // the header is not a row
      for (const _ of csvRows(c.abs, base.file, sha256, maxBytes)) n++
      return { ...base, rows: Math.max(0, n), reason: OUTPUTS_REASON }
    } catch (err) {
      return { ...base, reason: `${OUTPUTS_REASON} (${AppError.from(err).message})` }
    }
  }

  /**
   * A byte-identical file already imported under another path (`train copy.csv`, `dr.csv` beside
   * `DR.csv`): its items would be counted twice, so it is skipped and the report names the original.
   */
  function duplicateOf(place: Placement, sha256: string): Twin | null {
    // Same kind, dataset and split: a test file and a training file that happen to hold the same
    // rows are two roles of the data, not a copy.
    const twin = findSameContent.get(sha256, place.layoutPath, place.kind, place.dataset, place.split)
    if (!twin) return null
    return { path: twin.path, rows: twin.rows, reason: `the same content (SHA-256) as ${twin.path}, already imported: not imported twice` }
  }

  function checkExisting(path: string, sha256: string): { rows: number } | null {
    const prev = findSource.get(path)
    if (!prev) return null
    if (prev.sha256 === sha256) return { rows: prev.rows }
    throw new AppError(
      'conflict',
      `${path}: this file changed since it was imported on ${prev.imported_at} (${prev.rows} rows). Imported items are never replaced, because runs and ratings refer to them; import the changed data into a new database.`,
      { file: path }
    )
  }

  /**
   * Runs a chunk's write with SQLite's foreign-key checks off: every reference it writes is one it
   * has just made or read (the file's source row, the post it found or added, a dataset upserted at
   * start-up), so the three lookups per item prove nothing. Nothing else runs on this connection
   * meanwhile (a chunk is synchronous), and the checks are back on before anything else can (the
   * pragma cannot change inside a transaction: it is set around each chunk, not around the file).
   */
  function withoutForeignKeyChecks<T>(write: () => T): T {
    db.pragma('foreign_keys = OFF')
    try {
      return write()
    } finally {
      db.pragma('foreign_keys = ON')
    }
  }

  /**
   * Asks the running import to stop: it stops before its next file, or inside the current one after
   * its current chunk (that file is rolled back whole: its chunks deleted). Files already imported stay, each
   * whole; the report says `cancelled` and how many files were not read. False when none runs.
   */
  function cancel(): boolean {
    if (!running) return false
    cancelRequested = true
    return true
  }

  return { importPath, cancel, isRunning: () => running }
}
