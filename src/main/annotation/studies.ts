import { randomBytes, randomUUID } from 'node:crypto'
import {
  DEFAULT_ASPECTS,
  DEFAULT_GUIDELINES,
  type AnnotatorProfile,
  type AspectDef,
  type StudyAnnotatorProgress,
  type StudyDetail,
  type StudySummary
} from '../../shared/api/annotation'
import type { ParsedInput } from '../../shared/api/contract'
import { AppError } from '../../shared/api/errors'
import type { ServiceContext } from '../services'
import type { ExplanationForm } from './explanationForm'
import { deriveSeed, randomSeed, seededShuffle } from './order'
import { queueEntries, resumeAt } from './queue'
import { isSensitive } from './sensitive'
import type { Candidate, StudySources } from './sources'
import type { AnnotationStore, NewStudy, NewStudyItem, StudyRow } from './store'

const newToken = () => randomBytes(18).toString('base64url')

/**
 * Studies and annotators: creating and editing a study (sampling its items from the sources,
 * balanced seeded queues), the study list and detail with each annotator's progress, annotator
 * profiles and their tokens; and the building blocks the CSV import and packages use.
 */
export function createStudies(deps: { db: ServiceContext['db']; events: ServiceContext['events']; store: AnnotationStore; sources: StudySources }) {
  const { db, events, store: q, sources } = deps

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
      return { id: p.id, uid: p.uid, name: p.name, ordinal: p.ordinal, assigned: g.assigned, done: g.done, ratings: g.ratings, flagged: g.flagged, skipped: g.skipped, seconds: g.seconds, resumeAt: resumeAt(queueEntries(q, studyId, p.id, aspects)) }
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
    const taken = ordinal !== undefined && q.ordinalTaken.get(studyId, ordinal)
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
    const perSource = input.sources.map((src) => sources.candidatesFor(src, form))
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
    events.broadcast('annotation.studiesChanged', { studyId })
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
    events.broadcast('annotation.studiesChanged', { studyId: row.id })
    return study(row.id)
  }

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
    events.broadcast('annotation.studiesChanged', { studyId })
    return study(studyId)
  }

  function resolveToken(token: string): { role: 'annotator'; annotatorId: number } | null {
    if (!token || token.length > 200) return null
    const row = q.annotatorByToken.get(token) as { id: number } | undefined
    return row ? { role: 'annotator', annotatorId: row.id } : null
  }

  return {
    studyRow,
    aspectsOf,
    listStudies,
    study,
    insertStudy,
    insertItems,
    ensureAnnotator,
    joinStudy,
    assign,
    createStudy,
    updateStudy,
    annotators,
    addAnnotator,
    resolveToken
  }
}

export type Studies = ReturnType<typeof createStudies>
