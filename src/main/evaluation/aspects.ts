/**
 * Multi-aspect datasets: the same post is asked about several aspects, and the label depends on
 * the aspect asked. MultiWD asks about six wellness dimensions ("Does the spiritual wellness
 * dimension exist in the post?"); its classifier reads the explanation together with the aspect
 * (tfidf.ts: aspect-crossed terms). That was chosen by 5-fold cross-validation on MultiWD's
 * validation data (accuracy 94.20% -> 94.87%). Irf (thwarted belongingness / perceived
 * burdensomeness) was measured the same way and is not crossed: 93.91% -> 93.71%.
 *
 * The aspect comes from the item's question when it is known; otherwise (an output file holds no
 * question) from the explanation itself, which nearly always names the aspect it answers.
 */
export interface Aspect {
  /** One lower-case word: it prefixes the aspect's crossed terms ("social|friends"). */
  name: string
  /** Matches the aspect in lower-case text (a question or an explanation). */
  pattern: RegExp
}

const WELLNESS = ['spiritual', 'physical', 'intellectual', 'social', 'vocational', 'emotional']

export const ASPECTS: Readonly<Record<string, readonly Aspect[]>> = {
  MultiWD: WELLNESS.map((w) => ({ name: w, pattern: new RegExp(`\\b${w}`, 'g') }))
}

export function aspectsOf(dataset: string): readonly Aspect[] | null {
  return ASPECTS[dataset] ?? null
}

/** The aspect a question asks about: the one aspect it names, else null (none or several). */
export function aspectOfQuestion(aspects: readonly Aspect[], question: string): string | null {
  const q = question.toLowerCase()
  const named = aspects.filter((a) => q.search(a.pattern) >= 0)
  return named.length === 1 ? named[0].name : null
}

/**
 * The aspect an explanation answers, read from its own words: the aspect it names most often,
 * ties to the one named first; null when it names none.
 */
export function aspectOfText(aspects: readonly Aspect[], text: string): string | null {
  const t = text.toLowerCase()
  let best: string | null = null
  let bestCount = 0
  let bestFirst = Infinity
  for (const a of aspects) {
    let count = 0
    let first = Infinity
    for (const m of t.matchAll(a.pattern)) {
      count++
      if (m.index < first) first = m.index
    }
    if (count > bestCount || (count === bestCount && count > 0 && first < bestFirst)) {
      best = a.name
      bestCount = count
      bestFirst = first
    }
  }
  return best
}

/** The aspect of one labelled or unlabelled explanation: from the question when it names one, else from the text. */
export function aspectOf(aspects: readonly Aspect[] | null, text: string, question?: string | null): string | null {
  if (!aspects) return null
  return (question ? aspectOfQuestion(aspects, question) : null) ?? aspectOfText(aspects, text)
}
