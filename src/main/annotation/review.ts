import { AppError } from '../../shared/api/errors'
import type { AdjudicationView, ReviewEntry, ReviewItem, ReviewLists } from '../../shared/api/annotation'
import type { ParsedInput } from '../../shared/api/contract'
import { itemSpread } from './agreement/spread'
import type { AnnotationCore } from './service'

const EXCERPT = 160
/** Disagreement entries that carry every annotator's score (the lists show the first 50). */
const SCORED = 200

/**
 * The study lead's review (flagged items, notes, skipped items, the largest disagreements; one
 * item with every annotator side by side) and adjudication: the lead's resolved score per aspect,
 * stored apart from the raw ratings (which it never touches), with a reason and who decided.
 * Its statements (the adjudications, and the review's reads) are prepared once, below.
 */
export function createReview(core: AnnotationCore) {
  const { db } = core
  const rankCache = new Map<number, { version: string; ranked: { itemId: number; aspect: string; range: number; sd: number }[] }>()
  const q = {
    items: db.prepare('SELECT id, item_key, source, substr(post, 1, ?) AS excerpt FROM study_items WHERE study_id = ? ORDER BY position'),
    states: db.prepare(`SELECT s.study_item_id AS itemId, a.name AS annotator, s.flagged, s.skipped, s.note FROM item_states s
      JOIN study_items i ON i.id = s.study_item_id JOIN annotators a ON a.id = s.annotator_id
      LEFT JOIN study_annotators sa ON sa.study_id = i.study_id AND sa.annotator_id = s.annotator_id
      WHERE i.study_id = ? AND (s.flagged OR s.skipped OR s.note <> '') ORDER BY i.position, sa.ordinal`),
    spreads: db.prepare(`SELECT study_item_id AS itemId, aspect, max(score) - min(score) AS range, count(*) AS n, avg(score) AS mean, avg(score * score) AS sq
      FROM ratings WHERE study_id = ? GROUP BY study_item_id, aspect HAVING count(*) >= 2 AND max(score) > min(score)`),
    scoresOn: db.prepare(`SELECT a.name AS annotator, r.score FROM ratings r JOIN annotators a ON a.id = r.annotator_id
      LEFT JOIN study_annotators sa ON sa.study_id = r.study_id AND sa.annotator_id = r.annotator_id
      WHERE r.study_item_id = ? AND r.aspect = ? ORDER BY sa.ordinal`),
    adjudicatedItems: db.prepare('SELECT DISTINCT study_item_id AS itemId FROM adjudications WHERE study_id = ?'),
    item: db.prepare('SELECT * FROM study_items WHERE id = ? AND study_id = ?'),
    positions: db.prepare('SELECT id FROM study_items WHERE study_id = ? ORDER BY position').pluck(),
    dataVersion: db.prepare('PRAGMA data_version').pluck(),
    totalChanges: db.prepare('SELECT total_changes()').pluck(),
    people: db.prepare(`SELECT a.id, a.name FROM assignments x JOIN annotators a ON a.id = x.annotator_id
      JOIN study_annotators sa ON sa.study_id = x.study_id AND sa.annotator_id = x.annotator_id
      WHERE x.study_item_id = ? ORDER BY sa.ordinal`),
    itemRatings: db.prepare('SELECT annotator_id AS id, aspect, score, rated_at AS ratedAt FROM ratings WHERE study_item_id = ?'),
    itemStates: db.prepare('SELECT annotator_id AS id, flagged, skipped, note, seconds FROM item_states WHERE study_item_id = ?'),
    itemAdjudications: db.prepare(`SELECT j.aspect, j.score, a.name AS kept, j.reason, j.lead, j.decided_at AS decidedAt, j.revision FROM adjudications j
      LEFT JOIN annotators a ON a.id = j.kept_annotator_id WHERE j.study_item_id = ?`),
    revision: db.prepare('SELECT coalesce(max(revision), 0) AS r FROM adjudications WHERE study_item_id = ?'),
    historyRevision: db.prepare('SELECT coalesce(max(revision), 0) AS r FROM adjudication_history WHERE study_item_id = ?'),
    rating: db.prepare('SELECT score FROM ratings WHERE study_item_id = ? AND annotator_id = ? AND aspect = ?'),
    upsert: db.prepare(`INSERT INTO adjudications (study_id, study_item_id, aspect, score, kept_annotator_id, reason, lead, revision)
      VALUES (@studyId, @itemId, @aspect, @score, @kept, @reason, @lead, @revision)
      ON CONFLICT (study_item_id, aspect) DO UPDATE SET score = excluded.score, kept_annotator_id = excluded.kept_annotator_id,
      reason = excluded.reason, lead = excluded.lead, revision = excluded.revision, decided_at = strftime('%Y-%m-%dT%H:%M:%fZ','now')`),
    export: db.prepare(`SELECT i.id AS itemId, i.item_key AS item, i.source, i.dataset, j.aspect, j.score, a.name AS kept, j.reason, j.lead, j.decided_at AS decidedAt
      FROM adjudications j JOIN study_items i ON i.id = j.study_item_id LEFT JOIN annotators a ON a.id = j.kept_annotator_id
      WHERE j.study_id = ? ORDER BY i.position`),
    scores: db.prepare('SELECT study_item_id AS itemId, aspect, score FROM adjudications WHERE study_id = ?')
  }

  function review(studyId: number, limit: number, only?: 'flagged' | 'notes' | 'skipped' | 'disagreements'): ReviewLists {
    core.studyRow(studyId)
    const items = q.items.all(EXCERPT, studyId) as { id: number; item_key: string; source: string; excerpt: string }[]
    const byId = new Map(items.map((i) => [i.id, i]))
    const adjudicated = new Set((q.adjudicatedItems.all(studyId) as { itemId: number }[]).map((r) => r.itemId))
    const entry = (itemId: number, extra: Partial<ReviewEntry>): ReviewEntry => {
      const it = byId.get(itemId)!
      return { studyItemId: itemId, item: it.item_key, source: it.source, excerpt: it.excerpt, adjudicated: adjudicated.has(itemId), ...extra }
    }
    const flagged: ReviewEntry[] = []
    const notes: ReviewEntry[] = []
    const skipped: ReviewEntry[] = []
    for (const s of only === 'disagreements' ? [] : (q.states.all(studyId) as { itemId: number; annotator: string; flagged: number; skipped: number; note: string }[])) {
      if (s.flagged && flagged.length < limit && (!only || only === 'flagged')) flagged.push(entry(s.itemId, { annotator: s.annotator, note: s.note || undefined }))
      if (s.note && notes.length < limit && (!only || only === 'notes')) notes.push(entry(s.itemId, { annotator: s.annotator, note: s.note }))
      if (s.skipped && skipped.length < limit && (!only || only === 'skipped')) skipped.push(entry(s.itemId, { annotator: s.annotator }))
    }
    const ranked = only && only !== 'disagreements' ? [] : rankDisagreements(studyId, new Map(items.map((i, k) => [i.id, k])))
    const disagreements = ranked.slice(0, limit).map((d, k) => {
      // The scores by annotator for the first entries (what the list shows); the rest carry the aspect and range.
      const scores = k < SCORED ? Object.fromEntries((q.scoresOn.all(d.itemId, d.aspect) as { annotator: string; score: number }[]).map((x) => [x.annotator, x.score])) : undefined
      return entry(d.itemId, { range: d.range, aspect: d.aspect, ...(scores ? { scores } : {}) })
    })
    return { studyId, flagged, notes, skipped, disagreements, adjudicatedItems: adjudicated.size, items: items.length }
  }

  /**
   * Largest disagreements: per item, the aspect with the widest range (then the largest sample
   * SD), aggregated in SQLite over a covering index (5,000 items x 3 annotators = 60,000 ratings);
   * ties in the study's order.
   */
  function rankDisagreements(studyId: number, positionOf: ReadonlyMap<number, number>): { itemId: number; aspect: string; range: number; sd: number }[] {
    // Kept until anything is written to the database (by this connection or any other): a lead
    // paging through the list does not rank 60,000 ratings again on every item.
    const version = `${q.dataVersion.get() as number}:${q.totalChanges.get() as number}`
    const hit = rankCache.get(studyId)
    if (hit && hit.version === version) return hit.ranked
    const best = new Map<number, { itemId: number; aspect: string; range: number; sd: number }>()
    for (const r of q.spreads.all(studyId) as { itemId: number; aspect: string; range: number; n: number; mean: number; sq: number }[]) {
      const sd = Math.sqrt(Math.max(0, ((r.sq - r.mean * r.mean) * r.n) / (r.n - 1)))
      const cur = best.get(r.itemId)
      if (!cur || r.range > cur.range || (r.range === cur.range && sd > cur.sd + 1e-12)) best.set(r.itemId, { itemId: r.itemId, aspect: r.aspect, range: r.range, sd })
    }
    const ranked = [...best.values()].sort((a, b) => b.range - a.range || b.sd - a.sd || (positionOf.get(a.itemId) ?? 0) - (positionOf.get(b.itemId) ?? 0))
    rankCache.set(studyId, { version, ranked })
    return ranked
  }

  /** One list's items in its order, ids only (the review view's prev / next). */
  function reviewOrder(studyId: number, list: 'flagged' | 'notes' | 'skipped' | 'disagreements'): number[] {
    core.studyRow(studyId)
    if (list === 'disagreements') {
      const ids = q.positions.all(studyId) as number[]
      return rankDisagreements(studyId, new Map(ids.map((id, k) => [id, k]))).map((d) => d.itemId)
    }
    const rows = q.states.all(studyId) as { itemId: number; flagged: number; skipped: number; note: string }[]
    const keep = rows.filter((r) => (list === 'flagged' ? r.flagged : list === 'skipped' ? r.skipped : r.note !== ''))
    return [...new Set(keep.map((r) => r.itemId))]
  }

  function reviewItem(studyId: number, studyItemId: number): ReviewItem {
    const it = q.item.get(studyItemId, studyId) as
      | { id: number; item_key: string; post: string; explanation: string; source: string; dataset: string | null; label: string | null }
      | undefined
    if (!it) throw new AppError('not_found', `Study ${studyId} has no item ${studyItemId}.`)
    const aspects = core.aspectsOf(studyId)
    const people = q.people.all(studyItemId) as { id: number; name: string }[]
    const ratings = q.itemRatings.all(studyItemId) as { id: number; aspect: string; score: number; ratedAt: string }[]
    const states = new Map((q.itemStates.all(studyItemId) as { id: number; flagged: number; skipped: number; note: string; seconds: number }[]).map((s) => [s.id, s]))
    const annotators = people.map((p) => {
      const mine = ratings.filter((r) => r.id === p.id)
      const st = states.get(p.id)
      return {
        id: p.id,
        name: p.name,
        scores: Object.fromEntries(mine.map((r) => [r.aspect, r.score])),
        note: st?.note ?? '',
        flagged: Boolean(st?.flagged),
        skipped: Boolean(st?.skipped),
        seconds: st?.seconds ?? 0,
        ratedAt: mine.length ? mine.map((r) => r.ratedAt).sort().at(-1)! : null
      }
    })
    const spread = Object.fromEntries(aspects.map((a) => [a.key, itemSpread(annotators.map((p) => p.scores[a.key] ?? null))]))
    const adj = q.itemAdjudications.all(studyItemId) as { aspect: string; score: number; kept: string | null; reason: string; lead: string; decidedAt: string; revision: number }[]
    const adjudications: Record<string, AdjudicationView> = {}
    for (const j of adj) adjudications[j.aspect] = { aspect: j.aspect, score: j.score, keptAnnotator: j.kept, reason: j.reason, lead: j.lead, decidedAt: j.decidedAt }
    return {
      studyId,
      studyItemId,
      item: it.item_key,
      post: it.post,
      explanation: it.explanation,
      source: it.source,
      dataset: it.dataset,
      label: it.label,
      aspects,
      annotators,
      spread,
      adjudications,
      revision: currentRevision(studyItemId)
    }
  }

  function currentRevision(studyItemId: number): number {
    return Math.max((q.revision.get(studyItemId) as { r: number }).r, (q.historyRevision.get(studyItemId) as { r: number }).r)
  }

  /**
   * Records the lead's decisions on one item, all or nothing. `revision` is the item's revision the
   * lead saw: when another lead decided meanwhile, nothing is stored and the call says so.
   */
  const adjudicateTx = db.transaction((input: ParsedInput<'annotation.adjudicate'>) => {
    const aspects = core.aspectsOf(input.studyId)
    const current = currentRevision(input.studyItemId)
    if (current !== input.revision) {
      const last = q.itemAdjudications.all(input.studyItemId) as { lead: string; decidedAt: string; revision: number }[]
      const who = last.sort((a, b) => b.revision - a.revision)[0]
      throw new AppError(
        'conflict',
        `Item ${(q.item.get(input.studyItemId, input.studyId) as { item_key: string } | undefined)?.item_key ?? input.studyItemId} was adjudicated meanwhile${who ? ` by ${who.lead} at ${who.decidedAt}` : ''} (revision ${current}, you saw ${input.revision}). Nothing was stored: reload the item, then decide again.`,
        { field: 'revision' }
      )
    }
    const seen = new Set<string>()
    const rows = input.decisions.map((d) => {
      const def = aspects.find((a) => a.key === d.aspect)
      if (!def) throw new AppError('invalid_input', `Study ${input.studyId} has no aspect "${d.aspect}".`, { field: 'decisions' })
      if (seen.has(d.aspect)) throw new AppError('invalid_input', `Aspect "${d.aspect}" is decided twice in one call.`, { field: 'decisions' })
      seen.add(d.aspect)
      let score: number
      let kept: number | null = null
      if ('keep' in d) {
        const r = q.rating.get(input.studyItemId, d.keep, d.aspect) as { score: number } | undefined
        if (!r) throw new AppError('invalid_input', `Annotator ${d.keep} has no ${def.label} score on this item to keep.`, { field: 'decisions' })
        score = r.score
        kept = d.keep
      } else score = d.score
      if (score < def.min || score > def.max) throw new AppError('invalid_input', `Score ${score} is outside ${def.label}'s scale ${def.min}-${def.max}.`, { field: 'decisions' })
      return { studyId: input.studyId, itemId: input.studyItemId, aspect: d.aspect, score, kept, reason: input.reason, lead: input.lead, revision: current + 1 }
    })
    for (const r of rows) q.upsert.run(r)
  })

  function adjudicate(input: ParsedInput<'annotation.adjudicate'>): ReviewItem {
    if (!q.item.get(input.studyItemId, input.studyId)) throw new AppError('not_found', `Study ${input.studyId} has no item ${input.studyItemId}.`)
    adjudicateTx.immediate(input)
    core.events.broadcast('annotation.studiesChanged', { studyId: input.studyId })
    return reviewItem(input.studyId, input.studyItemId)
  }

  /** "studyItemId:aspect" -> the adjudicated score (for the long layout's adjudicated column). */
  function adjudicatedScores(studyId: number): Map<string, number> {
    return new Map((q.scores.all(studyId) as { itemId: number; aspect: string; score: number }[]).map((r) => [`${r.itemId}:${r.aspect}`, r.score]))
  }

  /** The adjudicated layout: one row per decided item and aspect, with the raw scores beside it. */
  function adjudicatedRows(studyId: number): { header: string[]; rows: (string | number | null)[][] } {
    const people = core.store.studyPeople.all(studyId) as { id: number; name: string }[]
    const raw = new Map(
      (core.store.studyScores.all(studyId) as { itemId: number; id: number; aspect: string; score: number }[]).map(
        (r) => [`${r.itemId}:${r.id}:${r.aspect}`, r.score]
      )
    )
    const order = new Map(core.aspectsOf(studyId).map((a, i) => [a.key, i]))
    const header = ['item_id', 'aspect', 'adjudicated', 'kept_annotator', 'reason', 'lead', 'decided_at', 'source', 'dataset', 'raw_scores']
    const decided = q.export.all(studyId) as { itemId: number; item: string; source: string; dataset: string | null; aspect: string; score: number; kept: string | null; reason: string; lead: string; decidedAt: string }[]
    // The study's item order (the query's), then its aspect order.
    const rank = new Map<number, number>()
    for (const r of decided) if (!rank.has(r.itemId)) rank.set(r.itemId, rank.size)
    decided.sort((a, b) => rank.get(a.itemId)! - rank.get(b.itemId)! || (order.get(a.aspect) ?? 99) - (order.get(b.aspect) ?? 99))
    const rows = decided.map((r) => [
      r.item,
      r.aspect,
      r.score,
      r.kept ?? '',
      r.reason,
      r.lead,
      r.decidedAt,
      r.source,
      r.dataset ?? '',
      people
        .filter((p) => raw.has(`${r.itemId}:${p.id}:${r.aspect}`))
        .map((p) => `${p.name}=${raw.get(`${r.itemId}:${p.id}:${r.aspect}`)}`)
        .join('; ')
    ])
    return { header, rows }
  }

  return { review, reviewOrder, reviewItem, adjudicate, adjudicatedScores, adjudicatedRows }
}
