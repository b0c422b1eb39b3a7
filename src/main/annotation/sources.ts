import type { CandidateSources, StudySource } from '../../shared/api/annotation'
import { AppError } from '../../shared/api/errors'
import type { Db } from '../db/open'
import { explanationInForm, type ExplanationForm } from './explanationForm'
import type { NewStudyItem } from './store'

/** A study item candidate, with the post it explains (sources covering the same post pair up). */
export interface Candidate extends NewStudyItem {
  groupId: number
}

/** What a study can be built from: gold and expert explanations (imhi), finished runs (inference). */
export function createStudySources(db: Db) {
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

  return { candidatesFor, candidates }
}

export type StudySources = ReturnType<typeof createStudySources>
