import type { CandidateSources, StudySource } from '../../shared/api/annotation'
import { AppError } from '../../shared/api/errors'
import type { ImhiService } from '../imhi/service'
import type { InferenceService } from '../inference/service'
import { explanationInForm, type ExplanationForm } from './explanationForm'
import type { NewStudyItem } from './store'

/** A study item candidate, with the post it explains (sources covering the same post pair up). */
export interface Candidate extends NewStudyItem {
  groupId: number
}

/** What a study can be built from: gold and expert explanations (imhi), finished runs (inference). */
export function createStudySources(deps: { imhi: ImhiService; inference: InferenceService }) {
  const { imhi, inference } = deps
  /** SQLite's trim(): spaces only. A text of spaces alone is no explanation to rate. */
  const hasText = (text: string) => /[^ ]/.test(text)

  function candidatesFor(src: StudySource, form: ExplanationForm): Candidate[] {
    if (src.kind === 'gold' || src.kind === 'expert') {
      const split = src.kind === 'gold' ? src.split : 'expert'
      const rows = imhi.goldExplained(split, src.dataset ?? null)
      const source = src.kind === 'gold' ? 'gold' : 'expert'
      return rows.map((r) => ({
        groupId: r.id,
        key: `${source}:${r.id}`,
        post: r.post,
        explanation: explanationInForm(form, form === 'full' ? (r.goldResponse ?? '') : r.goldExplanation),
        label: r.goldLabel,
        source,
        dataset: r.dataset,
        itemId: r.id,
        explanationId: null,
        explanationColumn: 'gpt-3.5-turbo'
      }))
    }
    const run = inference.findRun(src.runId)
    if (!run) throw new AppError('not_found', `No run with id ${src.runId}.`, { field: 'sources' })
    const texts = inference.runExplanations(run.id).filter((e) => hasText(e.text))
    const itemOf = new Map(imhi.itemsByIds([...new Set(texts.map((e) => e.itemId))]).map((i) => [i.id, i]))
    return texts.flatMap((e) => {
      const item = itemOf.get(e.itemId)
      if (!item) return []
      return [
        {
          groupId: e.itemId,
          key: `run${run.id}:${e.itemId}`,
          post: item.post,
          explanation: explanationInForm(form, e.text),
          label: item.goldLabel,
          source: `run:${run.id}`,
          dataset: item.dataset,
          itemId: e.itemId,
          explanationId: e.id,
          explanationColumn: e.modelFile
        }
      ]
    })
  }

  function candidates(): CandidateSources {
    const { gold, expert } = imhi.goldExplainedCounts()
    const runs = inference.listRuns().map((r) => ({ id: r.id, name: r.name, modelFile: r.modelFile, status: r.status, explanations: r.done }))
    return { gold, expert, runs }
  }

  return { candidatesFor, candidates }
}

export type StudySources = ReturnType<typeof createStudySources>
