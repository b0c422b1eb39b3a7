import type { EvaluationEvents } from '../../../../shared/api/evaluation'

type Progress = EvaluationEvents['evaluation.progress']

/** One line for an evaluation's progress event, in words (the first LM row also loads the model). */
export function progressText(p: Progress): string {
  const ds = p.dataset ? `${p.dataset}: ` : ''
  switch (p.stage) {
    case 'lm':
      return p.done === 0 ? `${ds}LM score: loading the model and scoring the first of ${p.total} rows…` : `${ds}LM score: ${p.done} of ${p.total} rows`
    case 'metrics':
      return `${ds}correctness and quality (dataset ${p.done + 1} of ${p.total})`
    case 'bart':
      return `${ds}BART-score: ${p.done} of ${p.total} pairs`
    case 'bertscore':
      return `${ds}BERTScore: ${p.done} of ${p.total} pairs`
    case 'label':
      return `${ds}MentalBERT labels: ${p.done} of ${p.total} responses`
    case 'embed':
      return `${ds}embedding responses for the classifier: ${p.done} of ${p.total}`
    default:
      return `${ds}${p.stage}: ${p.done} of ${p.total}`
  }
}
