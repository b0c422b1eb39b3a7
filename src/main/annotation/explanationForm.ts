/**
 * One text form for every explanation an annotator sees, whatever wrote it, so that the form does
 * not give away the source (a run's raw "Yes, the poster suffers from depression. Reasoning: ..."
 * beside gold's "Reasoning: ...") nor the predicted label. Chosen per study, recorded in its spec.
 *
 * - reasoning (the default): the label sentence and the "Reasoning:" marker removed from every
 *   source; a text with no marker is shown whole (there is no label sentence to tell apart).
 * - full: every source as a complete response, label sentence included (gold and expert items show
 *   their whole gold response, runs their whole output).
 */
export type ExplanationForm = 'reasoning' | 'full'

const MARKER = /\breasoning\s*:\s*/i

export function explanationInForm(form: ExplanationForm, fullResponse: string): string {
  const text = fullResponse.trim()
  if (form === 'full') return text
  const m = MARKER.exec(text)
  if (!m) return text
  const rest = text.slice(m.index + m[0].length).trim()
  return rest.length > 0 ? rest : text
}
