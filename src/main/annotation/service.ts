import { randomBytes, randomUUID } from 'node:crypto'
import type { ServiceContext } from '../services'
import type { ImhiService } from '../imhi/service'
import type { InferenceService } from '../inference/service'
import { explanationInForm, type ExplanationForm } from './explanationForm'
import { AppError } from '../../shared/api/errors'
import {
  DEFAULT_ASPECTS,
  DEFAULT_GUIDELINES,
  type AgreementResult,
  type AnnotatorProfile,
  type AnnotatorQueue,
  type AspectDef,
  type CandidateSources,
  type RateResult,
  type RatingItem,
  type StudyAnnotatorProgress,
  type StudyDetail,
  type StudySource,
  type StudySummary
} from '../../shared/api/annotation'
import type { ParsedInput } from '../../shared/api/contract'
import { deriveSeed, randomSeed, seededShuffle } from './order'
import { isSensitive } from './sensitive'
import { listStudyRatings } from './ratings'
import { agreementReport, type LongRating } from './agreement/report'
import { createCsvIo } from './io'
import { createPackages } from './packages'
import { createReview } from './review'
import { studyCharts } from './charts'
import type { Db } from '../db/open'

export interface StudyRow {
  id: number
  uid: string
  name: string
  guidelines: string
  aspects: string
  annotators_per_item: number
  seed: number
  spec: string
  origin: 'created' | 'imported' | 'package'
  break_minutes: number
  created_at: string
}

/** A study item to insert: what is rated and where it comes from. */
export interface NewStudyItem {
  key: string
  post: string
  explanation: string
  label: string | null
  source: string
  dataset: string | null
  itemId: number | null
  explanationId: number | null
  explanationColumn: string | null
}

export interface NewStudy {
  uid?: string
  name: string
  guidelines?: string
  aspects?: readonly AspectDef[]
  annotatorsPerItem: number
  seed: number
  spec?: unknown
  origin: StudyRow['origin']
  breakMinutes?: number
}

/** What the CSV import/export and the packages build on. */
export interface AnnotationCore {
  db: Db
  events: ServiceContext['events']
  studyRow(studyId: number): StudyRow
  aspectsOf(studyId: number): AspectDef[]
  insertStudy(s: NewStudy): number
  insertItems(studyId: number, items: readonly NewStudyItem[]): number[]
  ensureAnnotator(name: string, uid?: string): number
  joinStudy(studyId: number, annotatorId: number, ordinal?: number, orderSeed?: number): { ordinal: number; orderSeed: number }
  assign(studyId: number, annotatorId: number, itemIds: readonly number[], shuffleSeed: number | null): void
  study(studyId: number): StudyDetail
  /** "studyItemId:aspect" -> the lead's adjudicated score. */
  adjudicatedScores(studyId: number): Map<string, number>
  /** The adjudicated export layout. */
  adjudicatedRows(studyId: number): { header: string[]; rows: (string | number | null)[][] }
}

const newToken = () => randomBytes(18).toString('base64url')

/**
 * Annotation studies: blinded, seeded queues per annotator; every rating written in its own
 * committed transaction before the call returns, keyed by item + annotator + aspect (idempotent).
 */
export function createAnnotationService(ctx: ServiceContext, _deps: { imhi: ImhiService; inference: InferenceService }) {
  const { db } = ctx

  const q = {
    study: db.prepare('SELECT * FROM studies WHERE id = ?'),
    studyByUid: db.prepare('SELECT * FROM studies WHERE uid = ?'),
    studyByName: db.prepare('SELECT * FROM studies WHERE name = ? ORDER BY id DESC LIMIT 1'),
    studies: db.prepare(`
      SELECT s.*,
        (SELECT count(*) FROM study_items i WHERE i.study_id = s.id) AS items,
        (SELECT count(*) FROM study_annotators a WHERE a.study_id = s.id) AS annotators,
        (SELECT count(*) FROM ratings r WHERE r.study_id = s.id) AS ratings,
        (SELECT count(*) FROM assignments a WHERE a.study_id = s.id) AS assigned
      FROM studies s ORDER BY s.id`),
    insertStudy: db.prepare(`INSERT INTO studies (uid, name, guidelines, aspects, annotators_per_item, seed, spec, origin, break_minutes)
      VALUES (@uid, @name, @guidelines, @aspects, @annotatorsPerItem, @seed, @spec, @origin, @breakMinutes)`),
    insertItem: db.prepare(`INSERT INTO study_items (study_id, item_key, position, item_id, explanation_id, post, explanation, label, source, dataset, explanation_column, sensitive)
      VALUES (@studyId, @key, @position, @itemId, @explanationId, @post, @explanation, @label, @source, @dataset, @explanationColumn, @sensitive)`),
    maxPosition: db.prepare('SELECT coalesce(max(position), -1) AS p FROM study_items WHERE study_id = ?'),
    itemsOf: db.prepare('SELECT id, item_key, position FROM study_items WHERE study_id = ? ORDER BY position'),
    itemByKey: db.prepare('SELECT * FROM study_items WHERE study_id = ? AND item_key = ?'),
    sources: db.prepare('SELECT source, count(*) AS items FROM study_items WHERE study_id = ? GROUP BY source ORDER BY min(position)'),
    annotatorByName: db.prepare('SELECT * FROM annotators WHERE name = ?'),
    annotatorByUid: db.prepare('SELECT * FROM annotators WHERE uid = ?'),
    annotator: db.prepare('SELECT * FROM annotators WHERE id = ?'),
    annotatorByToken: db.prepare('SELECT id FROM annotators WHERE token = ?'),
    insertAnnotator: db.prepare('INSERT INTO annotators (uid, name, token) VALUES (?, ?, ?)'),
    annotators: db.prepare(`SELECT a.*, (SELECT count(*) FROM study_annotators sa WHERE sa.annotator_id = a.id) AS studies,
      (SELECT count(*) FROM ratings r WHERE r.annotator_id = a.id) AS ratings FROM annotators a ORDER BY a.name`),
    studyAnnotators: db.prepare(`SELECT a.id, a.uid, a.name, sa.ordinal, sa.order_seed FROM study_annotators sa JOIN annotators a ON a.id = sa.annotator_id
      WHERE sa.study_id = ? ORDER BY sa.ordinal`),
    studyAnnotator: db.prepare('SELECT * FROM study_annotators WHERE study_id = ? AND annotator_id = ?'),
    maxOrdinal: db.prepare('SELECT coalesce(max(ordinal), -1) AS o FROM study_annotators WHERE study_id = ?'),
    insertStudyAnnotator: db.prepare('INSERT INTO study_annotators (study_id, annotator_id, ordinal, order_seed) VALUES (?, ?, ?, ?)'),
    insertAssignment: db.prepare('INSERT INTO assignments (study_id, study_item_id, annotator_id, queue_pos) VALUES (?, ?, ?, ?)'),
    assignment: db.prepare('SELECT queue_pos FROM assignments WHERE study_item_id = ? AND annotator_id = ? AND study_id = ?'),
    maxQueuePos: db.prepare('SELECT coalesce(max(queue_pos), -1) AS p FROM assignments WHERE study_id = ? AND annotator_id = ?'),
    assignedCounts: db.prepare(`SELECT i.id, i.position, (SELECT count(*) FROM assignments a WHERE a.study_item_id = i.id) AS n
      FROM study_items i WHERE i.study_id = ? ORDER BY i.position`),
    queue: db.prepare(`SELECT a.study_item_id AS studyItemId, a.queue_pos AS queuePos,
        (SELECT count(*) FROM ratings r WHERE r.study_item_id = a.study_item_id AND r.annotator_id = a.annotator_id) AS rated,
        coalesce(s.flagged, 0) AS flagged, coalesce(s.skipped, 0) AS skipped, coalesce(s.seconds, 0) AS seconds
      FROM assignments a LEFT JOIN item_states s ON s.study_item_id = a.study_item_id AND s.annotator_id = a.annotator_id
      WHERE a.study_id = ? AND a.annotator_id = ? ORDER BY a.queue_pos`),
    itemRow: db.prepare('SELECT * FROM study_items WHERE id = ? AND study_id = ?'),
    itemScores: db.prepare('SELECT aspect, score FROM ratings WHERE study_item_id = ? AND annotator_id = ?'),
    itemState: db.prepare('SELECT * FROM item_states WHERE study_item_id = ? AND annotator_id = ?'),
    upsertRating: db.prepare(`INSERT INTO ratings (study_id, study_item_id, annotator_id, aspect, score) VALUES (?, ?, ?, ?, ?)
      ON CONFLICT (study_item_id, annotator_id, aspect) DO UPDATE SET score = excluded.score, rated_at = excluded.rated_at
      WHERE ratings.score IS NOT excluded.score`),
    deleteRating: db.prepare('DELETE FROM ratings WHERE study_item_id = ? AND annotator_id = ? AND aspect = ?'),
    ratingOf: db.prepare('SELECT score, rated_at FROM ratings WHERE study_item_id = ? AND annotator_id = ? AND aspect = ?'),
    unskip: db.prepare('UPDATE item_states SET skipped = 0 WHERE study_item_id = ? AND annotator_id = ? AND skipped = 1'),
    ratedCount: db.prepare('SELECT count(*) AS n FROM ratings WHERE study_item_id = ? AND annotator_id = ?'),
    touchSeconds: db.prepare(`INSERT INTO item_states (study_item_id, annotator_id, seconds) VALUES (?, ?, ?)
      ON CONFLICT (study_item_id, annotator_id) DO UPDATE SET seconds = max(item_states.seconds, excluded.seconds),
      updated_at = strftime('%Y-%m-%dT%H:%M:%fZ','now') WHERE excluded.seconds > item_states.seconds`),
    upsertState: db.prepare(`INSERT INTO item_states (study_item_id, annotator_id, flagged, skipped, note, seconds) VALUES (@itemId, @annotatorId, @flagged, @skipped, @note, @seconds)
      ON CONFLICT (study_item_id, annotator_id) DO UPDATE SET flagged = excluded.flagged, skipped = excluded.skipped, note = excluded.note,
      seconds = max(item_states.seconds, excluded.seconds), updated_at = strftime('%Y-%m-%dT%H:%M:%fZ','now')`),
    progress: db.prepare(`SELECT sa.annotator_id AS id,
        (SELECT count(*) FROM assignments a WHERE a.study_id = sa.study_id AND a.annotator_id = sa.annotator_id) AS assigned,
        (SELECT count(*) FROM ratings r WHERE r.study_id = sa.study_id AND r.annotator_id = sa.annotator_id) AS ratings,
        (SELECT count(*) FROM (SELECT r.study_item_id FROM ratings r WHERE r.study_id = sa.study_id AND r.annotator_id = sa.annotator_id
           GROUP BY r.study_item_id HAVING count(*) >= @aspects)) AS done,
        (SELECT count(*) FROM item_states s JOIN study_items i ON i.id = s.study_item_id WHERE i.study_id = sa.study_id AND s.annotator_id = sa.annotator_id AND s.flagged) AS flagged,
        (SELECT count(*) FROM item_states s JOIN study_items i ON i.id = s.study_item_id WHERE i.study_id = sa.study_id AND s.annotator_id = sa.annotator_id AND s.skipped) AS skipped,
        (SELECT coalesce(sum(s.seconds), 0) FROM item_states s JOIN study_items i ON i.id = s.study_item_id WHERE i.study_id = sa.study_id AND s.annotator_id = sa.annotator_id) AS seconds
      FROM study_annotators sa WHERE sa.study_id = @studyId`),
    updateStudy: db.prepare('UPDATE studies SET name = @name, guidelines = @guidelines, aspects = @aspects, break_minutes = @breakMinutes WHERE id = @id'),
    aspectsRated: db.prepare('SELECT DISTINCT aspect FROM ratings WHERE study_id = ?'),
    studyRatingsLong: db.prepare(`SELECT si.item_key AS item, a.name AS annotator, r.aspect, r.score FROM ratings r
      JOIN study_items si ON si.id = r.study_item_id JOIN annotators a ON a.id = r.annotator_id
      WHERE r.study_id = ? ORDER BY si.position`),
    myStudies: db.prepare('SELECT study_id FROM study_annotators WHERE annotator_id = ?')
  }
  // Events about a study reach only the annotators assigned to it (api/audience.ts).
  ctx.events.setStudyMembership((annotatorId, studyId) => q.studyAnnotator.get(studyId, annotatorId) !== undefined)

  const aspectCache = new Map<number, AspectDef[]>()

  function studyRow(studyId: number): StudyRow {
    const row = q.study.get(studyId) as StudyRow | undefined
    if (!row) throw new AppError('not_found', `No annotation study with id ${studyId}.`)
    return row
  }
  function aspectsOf(studyId: number): AspectDef[] {
    let a = aspectCache.get(studyId)
    if (!a) {
      a = JSON.parse(studyRow(studyId).aspects) as AspectDef[]
      aspectCache.set(studyId, a)
    }
    return a
  }

  function summaryOf(row: StudyRow & { items: number; annotators: number; ratings: number; assigned: number }): StudySummary {
    const aspects = JSON.parse(row.aspects) as AspectDef[]
    return {
      id: row.id,
      uid: row.uid,
      name: row.name,
      origin: row.origin,
      items: row.items,
      annotators: row.annotators,
      annotatorsPerItem: row.annotators_per_item,
      ratings: row.ratings,
      expected: row.assigned * aspects.length,
      createdAt: row.created_at
    }
  }

  function listStudies(): StudySummary[] {
    return (q.studies.all() as (StudyRow & { items: number; annotators: number; ratings: number; assigned: number })[]).map(summaryOf)
  }

  function annotatorProgress(studyId: number, aspects: number): StudyAnnotatorProgress[] {
    const people = q.studyAnnotators.all(studyId) as { id: number; uid: string; name: string; ordinal: number }[]
    const prog = new Map((q.progress.all({ studyId, aspects }) as { id: number; assigned: number; ratings: number; done: number; flagged: number; skipped: number; seconds: number }[]).map((p) => [p.id, p]))
    return people.map((p) => {
      const g = prog.get(p.id)!
      return { id: p.id, uid: p.uid, name: p.name, ordinal: p.ordinal, assigned: g.assigned, done: g.done, ratings: g.ratings, flagged: g.flagged, skipped: g.skipped, seconds: g.seconds, resumeAt: resumeAt(queueEntries(studyId, p.id, aspects)) }
    })
  }

  function study(studyId: number): StudyDetail {
    studyRow(studyId)
    const summary = listStudies().find((s) => s.id === studyId)!
    const row = studyRow(studyId)
    const aspects = JSON.parse(row.aspects) as AspectDef[]
    return {
      ...summary,
      guidelines: row.guidelines,
      aspects,
      seed: row.seed,
      breakMinutes: row.break_minutes,
      spec: JSON.parse(row.spec) as unknown,
      sources: q.sources.all(studyId) as { source: string; items: number }[],
      annotatorProgress: annotatorProgress(studyId, aspects.length)
    }
  }

  // ---- building blocks (also used by CSV import and packages) ----

  function insertStudy(s: NewStudy): number {
    const info = q.insertStudy.run({
      uid: s.uid ?? randomUUID(),
      name: s.name,
      guidelines: s.guidelines ?? DEFAULT_GUIDELINES,
      aspects: JSON.stringify(s.aspects ?? DEFAULT_ASPECTS),
      annotatorsPerItem: s.annotatorsPerItem,
      seed: s.seed,
      spec: JSON.stringify(s.spec ?? {}),
      origin: s.origin,
      breakMinutes: s.breakMinutes ?? 45
    })
    return Number(info.lastInsertRowid)
  }

  /** Appends items after the study's last position; returns their ids in the same order. */
  function insertItems(studyId: number, items: readonly NewStudyItem[]): number[] {
    let position = (q.maxPosition.get(studyId) as { p: number }).p + 1
    return items.map((it) => {
      try {
        const info = q.insertItem.run({
          studyId,
          key: it.key,
          position: position++,
          itemId: it.itemId,
          explanationId: it.explanationId,
          post: it.post,
          explanation: it.explanation,
          label: it.label,
          source: it.source,
          dataset: it.dataset,
          explanationColumn: it.explanationColumn,
          sensitive: isSensitive({ post: it.post, explanation: it.explanation, label: it.label, dataset: it.dataset }) ? 1 : 0
        })
        return Number(info.lastInsertRowid)
      } catch (err) {
        if (String(err).includes('UNIQUE')) throw new AppError('conflict', `The study already has an item "${it.key}".`, { item: it.key })
        throw err
      }
    })
  }

  /** The annotator profile with this name, created when new. */
  function ensureAnnotator(name: string, uid?: string): number {
    if (uid) {
      const byUid = q.annotatorByUid.get(uid) as { id: number } | undefined
      if (byUid) return byUid.id
    }
    const byName = q.annotatorByName.get(name) as { id: number; uid: string } | undefined
    if (byName && !uid) return byName.id
    let finalName = name
    if (byName) finalName = `${name} (${uid!.slice(0, 8)})` // same name, another person
    return Number(q.insertAnnotator.run(uid ?? randomUUID(), finalName, newToken()).lastInsertRowid)
  }

  function joinStudy(studyId: number, annotatorId: number, ordinal?: number, orderSeed?: number): { ordinal: number; orderSeed: number } {
    const existing = q.studyAnnotator.get(studyId, annotatorId) as { ordinal: number; order_seed: number } | undefined
    if (existing) return { ordinal: existing.ordinal, orderSeed: existing.order_seed }
    const next = (q.maxOrdinal.get(studyId) as { o: number }).o + 1
    const taken = ordinal !== undefined && db.prepare('SELECT 1 FROM study_annotators WHERE study_id = ? AND ordinal = ?').get(studyId, ordinal)
    const ord = ordinal !== undefined && !taken ? ordinal : next
    const seed = orderSeed ?? deriveSeed(studyRow(studyId).seed, 'annotator', ord)
    q.insertStudyAnnotator.run(studyId, annotatorId, ord, seed)
    return { ordinal: ord, orderSeed: seed }
  }

  /** Puts items in an annotator's queue, shuffled by their stored seed (or in the given order). */
  function assign(studyId: number, annotatorId: number, itemIds: readonly number[], shuffleSeed: number | null): void {
    const ordered = shuffleSeed === null ? itemIds : seededShuffle(itemIds, shuffleSeed)
    let pos = (q.maxQueuePos.get(studyId, annotatorId) as { p: number }).p + 1
    for (const itemId of ordered) q.insertAssignment.run(studyId, itemId, annotatorId, pos++)
  }

  /** Items whose annotators are fewer than the study asks, in canonical order. */
  function fillQueue(studyId: number, annotatorId: number): void {
    const row = studyRow(studyId)
    const { orderSeed } = joinStudy(studyId, annotatorId)
    const mine = new Set((q.queue.all(studyId, annotatorId) as { studyItemId: number }[]).map((e) => e.studyItemId))
    const open = (q.assignedCounts.all(studyId) as { id: number; n: number }[]).filter((i) => i.n < row.annotators_per_item && !mine.has(i.id)).map((i) => i.id)
    assign(studyId, annotatorId, open, orderSeed)
  }

  // ---- studies ----

  interface Candidate extends NewStudyItem {
    groupId: number
  }

  function candidatesFor(src: StudySource, form: ExplanationForm): Candidate[] {
    if (src.kind === 'gold' || src.kind === 'expert') {
      const split = src.kind === 'gold' ? src.split : 'expert'
      const dataset = src.dataset ?? null
      const rows = db
        .prepare(
          `SELECT id, dataset, post, gold_label, gold_explanation, gold_response FROM items WHERE split = ? AND (? IS NULL OR lower(dataset) = lower(?))
           AND gold_explanation IS NOT NULL AND trim(gold_explanation) <> '' ORDER BY id`
        )
        .all(split, dataset, dataset) as { id: number; dataset: string; post: string; gold_label: string | null; gold_explanation: string; gold_response: string }[]
      const source = src.kind === 'gold' ? 'gold' : 'expert'
      return rows.map((r) => ({
        groupId: r.id,
        key: `${source}:${r.id}`,
        post: r.post,
        explanation: explanationInForm(form, form === 'full' ? r.gold_response : r.gold_explanation),
        label: r.gold_label,
        source,
        dataset: r.dataset,
        itemId: r.id,
        explanationId: null,
        explanationColumn: 'gpt-3.5-turbo'
      }))
    }
    const run = db.prepare('SELECT id, name FROM runs WHERE id = ?').get(src.runId) as { id: number; name: string } | undefined
    if (!run) throw new AppError('not_found', `No run with id ${src.runId}.`, { field: 'sources' })
    const rows = db
      .prepare(
        `SELECT e.id, e.item_id, e.text, i.post, i.dataset, i.gold_label, e.model_file FROM explanations e JOIN items i ON i.id = e.item_id
         WHERE e.run_id = ? AND trim(e.text) <> '' ORDER BY e.item_id`
      )
      .all(run.id) as { id: number; item_id: number; text: string; post: string; dataset: string; gold_label: string | null; model_file: string }[]
    return rows.map((r) => ({
      groupId: r.item_id,
      key: `run${run.id}:${r.item_id}`,
      post: r.post,
      explanation: explanationInForm(form, r.text),
      label: r.gold_label,
      source: `run:${run.id}`,
      dataset: r.dataset,
      itemId: r.item_id,
      explanationId: r.id,
      explanationColumn: r.model_file
    }))
  }

  function createStudy(input: Omit<ParsedInput<'annotation.createStudy'>, 'explanationForm'> & { explanationForm?: ExplanationForm }): StudyDetail {
    const names = [...new Set(input.annotators.map((n) => n.trim()))]
    if (names.length !== input.annotators.length) throw new AppError('invalid_input', 'The same annotator is named twice.', { field: 'annotators' })
    if (input.annotatorsPerItem > names.length) {
      throw new AppError('invalid_input', `annotatorsPerItem is ${input.annotatorsPerItem} but the study has only ${names.length} annotator(s).`, { field: 'annotatorsPerItem' })
    }
    const base = input.aspects ?? DEFAULT_ASPECTS
    const extraKeys = new Set<string>()
    for (const a of [...base, ...input.extraAspects]) {
      if (extraKeys.has(a.key)) throw new AppError('invalid_input', `Aspect "${a.key}" is defined twice.`, { field: input.extraAspects.includes(a) ? 'extraAspects' : 'aspects' })
      extraKeys.add(a.key)
    }
    const seed = input.seed ?? randomSeed()
    const form: ExplanationForm = input.explanationForm ?? 'reasoning'
    const perSource = input.sources.map((src) => candidatesFor(src, form))
    if (perSource.every((c) => c.length === 0)) throw new AppError('not_found', 'The chosen sources have no explanations to rate (import the IMHI data or finish a run first).', { field: 'sources' })
    // One seeded order over every post; each source takes its first `sampleSize` posts in that
    // order. Sources that cover the same posts (gold and a run over the same split) thus get the
    // same posts: a paired comparison wherever the sources overlap.
    const groups = [...new Set(perSource.flat().map((c) => c.groupId))].sort((a, b) => a - b)
    const rank = new Map(seededShuffle(groups, deriveSeed(seed, 'sample')).map((g, i) => [g, i]))
    const seen = new Set<string>()
    const chosen: Candidate[] = []
    for (const list of perSource) {
      const picked = input.sampleSize === undefined ? list : [...list].sort((a, b) => rank.get(a.groupId)! - rank.get(b.groupId)!).slice(0, input.sampleSize)
      for (const c of picked) if (!seen.has(c.key) && seen.add(c.key)) chosen.push(c)
    }
    chosen.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
    // Keys are opaque (item-1, item-2, ... in the shuffled order): they travel in packages to annotators, who must not see the source.
    const ordered = seededShuffle(chosen, deriveSeed(seed, 'order')).map((c, i) => ({ ...c, key: `item-${i + 1}` }))
    const aspects = [...base, ...input.extraAspects]
    const studyId = db.transaction(() => {
      const sid = insertStudy({
        name: input.name,
        guidelines: input.guidelines,
        aspects,
        annotatorsPerItem: input.annotatorsPerItem,
        seed,
        spec: { sources: input.sources, sampleSize: input.sampleSize ?? null, explanationForm: form },
        origin: 'created',
        breakMinutes: input.breakMinutes
      })
      const itemIds = insertItems(sid, ordered)
      const people = names.map((n) => ensureAnnotator(n))
      const seeds = people.map((p) => joinStudy(sid, p).orderSeed)
      // Balanced: item p goes to annotators (p*N + j) mod M, j < N.
      const m = people.length
      const queues = people.map(() => [] as number[])
      itemIds.forEach((itemId, p) => {
        for (let j = 0; j < input.annotatorsPerItem; j++) queues[(p * input.annotatorsPerItem + j) % m].push(itemId)
      })
      people.forEach((p, k) => assign(sid, p, queues[k], seeds[k]))
      return sid
    })()
    ctx.events.broadcast('annotation.studiesChanged', { studyId })
    return study(studyId)
  }

  function updateStudy(input: ParsedInput<'annotation.updateStudy'>): StudyDetail {
    const row = studyRow(input.studyId)
    if (input.aspects) {
      const keys = new Set<string>()
      for (const a of input.aspects) {
        if (keys.has(a.key)) throw new AppError('invalid_input', `Aspect "${a.key}" is defined twice.`, { field: 'aspects' })
        keys.add(a.key)
      }
      const rated = (q.aspectsRated.all(input.studyId) as { aspect: string }[]).map((r) => r.aspect)
      const gone = rated.filter((k) => !keys.has(k))
      if (gone.length) throw new AppError('conflict', `Aspect(s) ${gone.join(', ')} already have ratings and cannot be removed.`, { field: 'aspects' })
      const old = JSON.parse(row.aspects) as AspectDef[]
      // Scales are frozen once rating starts (any rating in the study): a score means one thing.
      for (const a of input.aspects) {
        const was = old.find((o) => o.key === a.key)
        if (was && rated.length > 0 && (was.min !== a.min || was.max !== a.max)) {
          throw new AppError('conflict', `Rating has started in this study; ${was.label}'s scale ${was.min}-${was.max} is frozen and cannot change.`, { field: 'aspects' })
        }
      }
    }
    q.updateStudy.run({
      id: row.id,
      name: input.name ?? row.name,
      guidelines: input.guidelines ?? row.guidelines,
      aspects: input.aspects ? JSON.stringify(input.aspects) : row.aspects,
      breakMinutes: input.breakMinutes ?? row.break_minutes
    })
    aspectCache.delete(row.id)
    ctx.events.broadcast('annotation.studiesChanged', { studyId: row.id })
    return study(row.id)
  }

  function candidates(): CandidateSources {
    const gold = db
      .prepare(`SELECT dataset, split, count(*) AS items FROM items WHERE split <> 'expert' AND gold_explanation IS NOT NULL AND trim(gold_explanation) <> ''
        AND split LIKE 'test%' GROUP BY dataset, split ORDER BY dataset, split`)
      .all() as CandidateSources['gold']
    const expert = db
      .prepare(`SELECT dataset, count(*) AS items FROM items WHERE split = 'expert' AND gold_explanation IS NOT NULL GROUP BY dataset ORDER BY dataset`)
      .all() as CandidateSources['expert']
    const runs = db
      .prepare(`SELECT r.id, r.name, r.model_file AS modelFile, r.status, (SELECT count(*) FROM explanations e WHERE e.run_id = r.id) AS explanations
        FROM runs r ORDER BY r.id DESC`)
      .all() as CandidateSources['runs']
    return { gold, expert, runs }
  }

  // ---- annotators ----

  function annotators(): AnnotatorProfile[] {
    return (q.annotators.all() as { id: number; uid: string; name: string; token: string; studies: number; ratings: number }[]).map((a) => ({
      id: a.id,
      uid: a.uid,
      name: a.name,
      token: a.token,
      studies: a.studies,
      ratings: a.ratings
    }))
  }

  function addAnnotator(studyId: number, name: string): StudyDetail {
    studyRow(studyId)
    db.transaction(() => {
      const id = ensureAnnotator(name.trim())
      fillQueue(studyId, id)
    })()
    ctx.events.broadcast('annotation.studiesChanged', { studyId })
    return study(studyId)
  }

  function resolveToken(token: string): { role: 'annotator'; annotatorId: number } | null {
    if (!token || token.length > 200) return null
    const row = q.annotatorByToken.get(token) as { id: number } | undefined
    return row ? { role: 'annotator', annotatorId: row.id } : null
  }

  // ---- the rating screen ----

  function requireAssigned(studyId: number, annotatorId: number, studyItemId: number): void {
    if (!q.assignment.get(studyItemId, annotatorId, studyId)) {
      if (!q.annotator.get(annotatorId)) throw new AppError('not_found', `No annotator with id ${annotatorId}.`)
      throw new AppError('not_found', `Item ${studyItemId} is not in annotator ${annotatorId}'s queue of study ${studyId}.`)
    }
  }

  function queueEntries(studyId: number, annotatorId: number, aspects: number) {
    return (q.queue.all(studyId, annotatorId) as { studyItemId: number; queuePos: number; rated: number; flagged: number; skipped: number }[]).map((e) => ({
      studyItemId: e.studyItemId,
      queuePos: e.queuePos,
      rated: e.rated,
      done: e.rated >= aspects,
      flagged: Boolean(e.flagged),
      skipped: Boolean(e.skipped)
    }))
  }

  function resumeAt(entries: { done: boolean; skipped: boolean }[]): number {
    let i = entries.findIndex((e) => !e.done && !e.skipped)
    if (i < 0) i = entries.findIndex((e) => !e.done)
    return Math.max(0, i)
  }

  function queue(studyId: number, annotatorId: number): AnnotatorQueue {
    const row = studyRow(studyId)
    const person = q.annotator.get(annotatorId) as { id: number; name: string } | undefined
    if (!person || !q.studyAnnotator.get(studyId, annotatorId)) throw new AppError('not_found', `Annotator ${annotatorId} is not part of study ${studyId}.`)
    const aspects = aspectsOf(studyId)
    const entries = queueEntries(studyId, annotatorId, aspects.length)
    return {
      study: { id: row.id, name: row.name, guidelines: row.guidelines, aspects, breakMinutes: row.break_minutes },
      annotator: { id: person.id, name: person.name },
      entries,
      resumeAt: resumeAt(entries)
    }
  }

  function myStudies(annotatorId: number | null) {
    const all = listStudies()
    if (annotatorId === null) return all.map((s) => ({ ...s, done: 0, assigned: 0 }))
    const mine = new Set((q.myStudies.all(annotatorId) as { study_id: number }[]).map((r) => r.study_id))
    return all
      .filter((s) => mine.has(s.id))
      .map((s) => {
        const entries = queueEntries(s.id, annotatorId, aspectsOf(s.id).length)
        return { ...s, done: entries.filter((e) => e.done).length, assigned: entries.length }
      })
  }

  function item(studyId: number, annotatorId: number, studyItemId: number): RatingItem {
    requireAssigned(studyId, annotatorId, studyItemId)
    const row = q.itemRow.get(studyItemId, studyId) as { id: number; post: string; explanation: string; sensitive: number }
    const pos = (q.assignment.get(studyItemId, annotatorId, studyId) as { queue_pos: number }).queue_pos
    const scores: Record<string, number> = {}
    for (const r of q.itemScores.all(studyItemId, annotatorId) as { aspect: string; score: number }[]) scores[r.aspect] = r.score
    const state = q.itemState.get(studyItemId, annotatorId) as { flagged: number; skipped: number; note: string; seconds: number } | undefined
    return {
      studyItemId,
      queuePos: pos,
      post: row.post,
      explanation: row.explanation,
      sensitive: Boolean(row.sensitive),
      scores,
      flagged: Boolean(state?.flagged),
      skipped: Boolean(state?.skipped),
      note: state?.note ?? '',
      seconds: state?.seconds ?? 0
    }
  }

  const rateTx = db.transaction((studyId: number, annotatorId: number, studyItemId: number, aspect: string, score: number | null, seconds: number | undefined) => {
    if (score === null) q.deleteRating.run(studyItemId, annotatorId, aspect)
    else {
      q.upsertRating.run(studyId, studyItemId, annotatorId, aspect, score)
      q.unskip.run(studyItemId, annotatorId) // rating a skipped item takes it off the skipped list
    }
    if (seconds !== undefined) q.touchSeconds.run(studyItemId, annotatorId, seconds)
  })

  /** Writes one score (or removes it) and commits before answering. Idempotent per item + annotator + aspect. */
  function rate(input: { studyId: number; annotatorId: number; studyItemId: number; aspect: string; score: number | null; seconds?: number }): RateResult {
    const aspects = aspectsOf(input.studyId)
    const def = aspects.find((a) => a.key === input.aspect)
    if (!def) throw new AppError('invalid_input', `Study ${input.studyId} has no aspect "${input.aspect}" (it has ${aspects.map((a) => a.key).join(', ')}).`, { field: 'aspect' })
    if (input.score !== null && (input.score < def.min || input.score > def.max)) {
      throw new AppError('invalid_input', `Score ${input.score} is outside ${def.label}'s scale ${def.min}-${def.max}.`, { field: 'score' })
    }
    requireAssigned(input.studyId, input.annotatorId, input.studyItemId)
    rateTx(input.studyId, input.annotatorId, input.studyItemId, input.aspect, input.score, input.seconds)
    const now = q.ratingOf.get(input.studyItemId, input.annotatorId, input.aspect) as { score: number; rated_at: string } | undefined
    const n = (q.ratedCount.get(input.studyItemId, input.annotatorId) as { n: number }).n
    ctx.events.broadcast('annotation.changed', { studyId: input.studyId, annotatorId: input.annotatorId, studyItemId: input.studyItemId })
    return { studyItemId: input.studyItemId, aspect: input.aspect, score: now?.score ?? null, itemDone: n >= aspects.length, ratedAt: now?.rated_at ?? new Date().toISOString() }
  }

  function setItemState(input: { studyId: number; annotatorId: number; studyItemId: number; flagged?: boolean; skipped?: boolean; note?: string; seconds?: number }): RatingItem {
    requireAssigned(input.studyId, input.annotatorId, input.studyItemId)
    const cur = q.itemState.get(input.studyItemId, input.annotatorId) as { flagged: number; skipped: number; note: string; seconds: number } | undefined
    q.upsertState.run({
      itemId: input.studyItemId,
      annotatorId: input.annotatorId,
      flagged: (input.flagged ?? Boolean(cur?.flagged)) ? 1 : 0,
      skipped: (input.skipped ?? Boolean(cur?.skipped)) ? 1 : 0,
      note: input.note ?? cur?.note ?? '',
      seconds: input.seconds ?? cur?.seconds ?? 0
    })
    ctx.events.broadcast('annotation.changed', { studyId: input.studyId, annotatorId: input.annotatorId, studyItemId: input.studyItemId })
    return item(input.studyId, input.annotatorId, input.studyItemId)
  }

  // ---- agreement ----

  function agreement(studyId: number): AgreementResult {
    studyRow(studyId)
    const ratings = q.studyRatingsLong.all(studyId) as LongRating[]
    const report = agreementReport(ratings, aspectsOf(studyId))
    const lookup = db.prepare('SELECT post, source FROM study_items WHERE study_id = ? AND item_key = ?')
    return {
      ...report,
      disagreements: report.disagreements.map((d) => {
        const r = lookup.get(studyId, d.item) as { post: string; source: string } | undefined
        return { ...d, excerpt: r ? r.post.slice(0, 160) : undefined, source: r?.source }
      })
    }
  }

  const core: AnnotationCore = {
    db,
    studyRow,
    aspectsOf,
    insertStudy,
    insertItems,
    ensureAnnotator,
    joinStudy,
    assign,
    study,
    events: ctx.events,
    adjudicatedScores: (studyId) => reviews.adjudicatedScores(studyId),
    adjudicatedRows: (studyId) => reviews.adjudicatedRows(studyId)
  }
  const reviews = createReview(core)

  return {
    listStudies,
    study,
    createStudy,
    updateStudy,
    candidates,
    annotators,
    addAnnotator,
    resolveToken,
    queue,
    myStudies,
    item,
    rate,
    setItemState,
    agreement,
    review: reviews.review,
    reviewOrder: reviews.reviewOrder,
    reviewItem: reviews.reviewItem,
    adjudicate: reviews.adjudicate,
    charts: (studyId: number, resamples: number, seed: number) => studyCharts(db, studyId, aspectsOf(studyId), resamples, seed),
    /** For the evaluation domain: every rating of a study with what was rated. */
    listStudyRatings: (studyId: number) => listStudyRatings(db, studyId),
    // building blocks for CSV import and packages (io.ts, packages.ts)
    ...createCsvIo(core),
    ...createPackages(core)
  }
}
export type AnnotationService = ReturnType<typeof createAnnotationService>
