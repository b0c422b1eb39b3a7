import type { AspectDef } from '../../shared/api/annotation'
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

/**
 * The annotation domain's SQL (studies, study items, annotators, assignments, ratings, item
 * states), prepared once per database. Only the annotation modules use it (review.ts keeps the
 * adjudication statements beside its logic, also prepared once); other domains read ratings
 * through the annotation service.
 */
export function createAnnotationStore(db: Db) {
  return {
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
    myStudies: db.prepare('SELECT study_id FROM study_annotators WHERE annotator_id = ?'),
    ordinalTaken: db.prepare('SELECT 1 FROM study_annotators WHERE study_id = ? AND ordinal = ?'),
    // CSV import/export (io.ts), annotator packages (packages.ts), charts (charts.ts), ratings for evaluation (ratings.ts)
    studyHasSource: db.prepare('SELECT 1 FROM study_items WHERE study_id = ? AND source = ? LIMIT 1'),
    insertImportedRating: db.prepare('INSERT INTO ratings (study_id, study_item_id, annotator_id, aspect, score) VALUES (?, ?, ?, ?, ?)'),
    studySpec: db.prepare('SELECT spec FROM studies WHERE id = ?'),
    setStudySpec: db.prepare('UPDATE studies SET spec = ? WHERE id = ?'),
    studyNameTaken: db.prepare('SELECT 1 FROM studies WHERE name = ?'),
    insertLongRating: db.prepare(`INSERT INTO ratings (study_id, study_item_id, annotator_id, aspect, score, rated_at) VALUES (?, ?, ?, ?, ?, coalesce(?, strftime('%Y-%m-%dT%H:%M:%fZ','now')))`),
    mergeImportedState: db.prepare(`INSERT INTO item_states (study_item_id, annotator_id, flagged, note, seconds) VALUES (?, ?, ?, ?, ?)
        ON CONFLICT (study_item_id, annotator_id) DO UPDATE SET flagged = max(flagged, excluded.flagged),
        note = CASE WHEN item_states.note = '' THEN excluded.note ELSE item_states.note END, seconds = max(item_states.seconds, excluded.seconds)`),
    exportItems: db.prepare('SELECT * FROM study_items WHERE study_id = ? AND (? IS NULL OR source = ?) ORDER BY position'),
    studyRatingsRaw: db.prepare(`SELECT r.study_item_id AS item, r.annotator_id AS annotator, r.aspect, r.score, r.rated_at AS ratedAt FROM ratings r WHERE r.study_id = ?`),
    itemAnnotators: db.prepare(`SELECT a.annotator_id AS id FROM assignments a JOIN study_annotators sa ON sa.study_id = a.study_id AND sa.annotator_id = a.annotator_id
        WHERE a.study_item_id = ? ORDER BY sa.ordinal`),
    studyPeople: db.prepare('SELECT a.id, a.name FROM study_annotators sa JOIN annotators a ON a.id = sa.annotator_id WHERE sa.study_id = ? ORDER BY sa.ordinal'),
    studyItemStates: db.prepare('SELECT s.* FROM item_states s JOIN study_items i ON i.id = s.study_item_id WHERE i.study_id = ?'),
    memberOf: db.prepare('SELECT a.uid, a.name, sa.ordinal, sa.order_seed FROM study_annotators sa JOIN annotators a ON a.id = sa.annotator_id WHERE sa.study_id = ? AND sa.annotator_id = ?'),
    packageItems: db.prepare(`SELECT i.item_key AS key, a.queue_pos AS queuePos, i.post, i.explanation, i.sensitive FROM assignments a JOIN study_items i ON i.id = a.study_item_id
        WHERE a.study_id = ? AND a.annotator_id = ? ORDER BY a.queue_pos`),
    packageRatings: db.prepare(`SELECT i.item_key AS item, r.aspect, r.score, r.rated_at AS ratedAt FROM ratings r JOIN study_items i ON i.id = r.study_item_id
        WHERE r.study_id = ? AND r.annotator_id = ? ORDER BY i.position, r.aspect`),
    packageStates: db.prepare(`SELECT i.item_key AS item, s.flagged, s.skipped, s.note, s.seconds FROM item_states s JOIN study_items i ON i.id = s.study_item_id
        WHERE i.study_id = ? AND s.annotator_id = ? ORDER BY i.position`),
    itemIdByKey: db.prepare('SELECT id FROM study_items WHERE study_id = ? AND item_key = ?'),
    markSensitive: db.prepare('UPDATE study_items SET sensitive = 1 WHERE id = ?'),
    isAssigned: db.prepare('SELECT 1 FROM assignments WHERE study_item_id = ? AND annotator_id = ?'),
    queuePosTaken: db.prepare('SELECT 1 FROM assignments WHERE study_id = ? AND annotator_id = ? AND queue_pos = ?'),
    ratingScore: db.prepare('SELECT score FROM ratings WHERE study_item_id = ? AND annotator_id = ? AND aspect = ?'),
    insertRatingAt: db.prepare('INSERT INTO ratings (study_id, study_item_id, annotator_id, aspect, score, rated_at) VALUES (?, ?, ?, ?, ?, ?)'),
    replaceRating: db.prepare('UPDATE ratings SET score = ?, rated_at = ? WHERE study_item_id = ? AND annotator_id = ? AND aspect = ?'),
    putState: db.prepare(`INSERT INTO item_states (study_item_id, annotator_id, flagged, skipped, note, seconds) VALUES (?, ?, ?, ?, ?, ?)
        ON CONFLICT (study_item_id, annotator_id) DO UPDATE SET flagged = excluded.flagged, skipped = excluded.skipped, note = excluded.note, seconds = excluded.seconds,
        updated_at = strftime('%Y-%m-%dT%H:%M:%fZ','now')`),
    studyScores: db.prepare('SELECT study_item_id AS itemId, annotator_id AS id, aspect, score FROM ratings WHERE study_id = ?'),
    chartRatings: db.prepare('SELECT study_item_id AS itemId, annotator_id AS id, aspect, score, rated_at AS at FROM ratings WHERE study_id = ? ORDER BY rated_at'),
    chartSeconds: db.prepare(`SELECT a.name AS annotator, s.seconds FROM item_states s JOIN study_items i ON i.id = s.study_item_id JOIN annotators a ON a.id = s.annotator_id
      WHERE i.study_id = ? AND s.seconds > 0 ORDER BY i.position`),
    studyRatingsWithItems: db.prepare(`
      SELECT si.item_key AS itemKey, si.post, si.explanation, si.source, si.dataset,
             a.name AS annotator, r.aspect, r.score
      FROM ratings r
      JOIN study_items si ON si.id = r.study_item_id
      JOIN annotators a ON a.id = r.annotator_id
      LEFT JOIN study_annotators sa ON sa.study_id = r.study_id AND sa.annotator_id = r.annotator_id
      WHERE r.study_id = ?
      ORDER BY si.position, sa.ordinal, r.aspect`),
    itemByKeyBrief: db.prepare('SELECT post, source FROM study_items WHERE study_id = ? AND item_key = ?')
  }
}

export type AnnotationStore = ReturnType<typeof createAnnotationStore>
