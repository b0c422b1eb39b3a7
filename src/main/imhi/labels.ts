import { findDataset } from '../../shared/imhi/datasets'

/**
 * Gold labels and query parts of IMHI items. Pure functions over strings: the importer, the
 * evaluation (labels of generated explanations) and the tests all use them.
 *
 * A gold response is "<label sentence> Reasoning: <explanation>". The label sentence varies by
 * dataset and style: "Yes, the poster suffers from depression." / "yes." (completion style),
 * "This post shows no causes of depression." (CAMS none), "This post shows other stress causes." /
 * "other causes." (SAD), "emotion turmoil" (SAD emotional turmoil), "This post shows PTSD." (t-sid).
 */

const REASONING = /\breasoning\s*:/i

/** The label sentence: the text before "Reasoning:", or the first sentence when there is none. */
export function labelSentence(response: string): string {
  const m = REASONING.exec(response)
  if (m) return response.slice(0, m.index).trim()
  const text = response.trim()
  const end = text.search(/[.!?\n]/)
  return (end < 0 ? text : text.slice(0, end + 1)).trim()
}

/**
 * Whether goldExplanation(response) is not null, without making it: the explanation starts with the
 * "Reasoning:" it is found by, so it is never empty once found.
 */
export function hasGoldExplanation(response: string | null): boolean {
  return response !== null && REASONING.test(response)
}

/** The explanation: the response from "Reasoning:" on; null when the response has none (or there is no response). */
export function goldExplanation(response: string | null): string | null {
  if (response === null) return null
  const m = REASONING.exec(response)
  if (!m) return null
  const text = response.slice(m.index).trim()
  return text.length > 0 ? text : null
}

/** Lower case, unify apostrophes and dashes, drop punctuation except '-', collapse spaces. */
export function normalize(s: string): string {
  return s
    .toLowerCase()
    .replace(/[\u2018\u2019\u02bc`]/g, "'")
    .replace(/[\u2010-\u2015]/g, '-')
    .replace(/[^a-z0-9' -]+/g, ' ')
    .replace(/\s+/g, ' ')
    .trim()
}

/**
 * Phrases that name each class, per multi-class dataset (normalized text). The canonical label
 * itself always counts; these add the variants the released responses use.
 */
const SYNONYMS: Record<string, Record<string, string[]>> = {
  CAMS: {
    none: ['none', 'no causes', 'no cause', 'no causes of depression', 'no cause of depression', 'no mental disorder cause', 'no mental disorder causes'],
    'bias or abuse': ['bias or abuse', 'bias', 'abuse'],
    'jobs and career': ['jobs and career', 'jobs and careers', 'job and career', 'jobs', 'career'],
    medication: ['medication', 'medications'],
    relationship: ['relationship', 'relationships'],
    alienation: ['alienation']
  },
  SAD: {
    school: ['school'],
    'financial problem': ['financial problem', 'financial problems', 'finance', 'financial'],
    'family issues': ['family issues', 'family issue', 'family'],
    'social relationships': ['social relationships', 'social relationship'],
    work: ['work'],
    'health issues': ['health issues', 'health issue', 'health'],
    'emotional turmoil': ['emotional turmoil', 'emotion turmoil'],
    'everyday decision making': ['everyday decision making', 'everyday decision-making', 'decision making', 'decision-making'],
    'other stress causes': ['other stress causes', 'other stress cause', 'other causes', 'other cause', 'other']
  },
  't-sid': {
    none: ['none', 'no mental disorders', 'no mental disorder', 'no mental disorder symptoms', 'no disorder', 'no disorders'],
    depression: ['depression'],
    'suicide or self-harm': ['suicide or self-harm', 'suicide or self harm', 'suicide', 'self-harm', 'self harm', 'suicidal'],
    ptsd: ['ptsd', 'post-traumatic stress disorder', 'post traumatic stress disorder']
  },
  swmh: {
    none: ['none', 'no mental disorder symptoms', 'no mental disorder symptom', 'no mental disorders', 'no mental disorder'],
    depression: ['depression'],
    suicide: ['suicide', 'suicidal'],
    anxiety: ['anxiety'],
    'bipolar disorder': ['bipolar disorder', 'bipolar']
  }
}

/** Template words before the class name ("This post shows the stress cause related to ..."). */
const PREFIXES = [
  /^(?:this|the) post shows (?:the )?(?:stress causes?|causes? of depression|mental disorder (?:symptoms|causes?)(?: of)?|symptoms)(?: related to| of)? /,
  /^(?:this|the) post shows /,
  /^(?:the )?(?:label|answer) is /
]

function stripTemplate(s: string): string {
  for (const p of PREFIXES) {
    const m = p.exec(s)
    if (m) return s.slice(m[0].length).trim()
  }
  return s
}

function containsPhrase(haystack: string, phrase: string): number {
  const re = new RegExp(`(?:^|[^a-z0-9-])${phrase.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?![a-z0-9-])`)
  const m = re.exec(haystack)
  return m ? m.index : -1
}

function multiClassLabel(dataset: string, sentence: string): string | null {
  const table = SYNONYMS[dataset]
  if (!table) return null
  const rest = stripTemplate(sentence)
    .replace(/ (?:tendency|tendencies)$/, '')
    .trim()
  // Exact phrase first: the common case, and it avoids "other" matching inside longer text.
  for (const [label, phrases] of Object.entries(table)) {
    if (phrases.includes(rest)) return label
  }
  // Otherwise every class whose phrase occurs in the sentence; a phrase inside a longer phrase
  // of another class ("other" in "other stress causes") does not count. Two classes: ambiguous.
  const spans: { label: string; start: number; end: number }[] = []
  for (const [label, phrases] of Object.entries(table)) {
    for (const phrase of phrases) {
      const at = containsPhrase(rest, phrase)
      if (at >= 0) {
        const start = rest.indexOf(phrase, at)
        spans.push({ label, start, end: start + phrase.length })
      }
    }
  }
  const kept = spans.filter((a) => !spans.some((b) => b.label !== a.label && b.start <= a.start && b.end >= a.end && b.end - b.start > a.end - a.start))
  const labels = new Set(kept.map((s) => s.label))
  return labels.size === 1 ? [...labels][0] : null
}

function yesNoLabel(sentence: string): 'yes' | 'no' | null {
  const first = /^([a-z']+)/.exec(sentence)?.[1]
  if (first === 'yes') return 'yes'
  if (first === 'no') return 'no'
  if (/\b(?:not|no|doesn't|don't|isn't|never|neither|nor)\b/.test(sentence)) return 'no'
  if (/\b(?:suffers?|shows?|exists?|does|is|has)\b/.test(sentence)) return 'yes'
  return null
}

/**
 * The canonical gold label (see src/shared/imhi/datasets.ts) stated by a gold response of the
 * given dataset, or null when the response names none or names two.
 */
export function goldLabel(dataset: string, response: string): string | null {
  return labelOfSentence(dataset, labelSentence(response))
}

/** goldLabel of a response whose label sentence (labelSentence) is `labelSentence`: the label depends on nothing else. */
export function labelOfSentence(dataset: string, labelSentence: string): string | null {
  const info = findDataset(dataset)
  if (!info) return null
  const sentence = normalize(labelSentence)
  if (!sentence) return null
  const isYesNo = info.labels.length === 2 && info.labels.includes('yes') && info.labels.includes('no')
  const label = isYesNo ? yesNoLabel(sentence) : multiClassLabel(info.name, sentence)
  return label !== null && info.labels.includes(label) ? label : null
}

export interface QueryParts {
  /** The post text alone, without the prompt template around it. */
  post: string
  /** The question asked about it; null when the query has no recognisable question. */
  question: string | null
}

const INSTRUCTION_START = 'Consider this post:'
const INSTRUCTION_QUESTION = '" Question:'
const COMPLETE_START = 'Post:'
const QUESTION = 'Question:'

/**
 * Splits an IMHI query into post and question. Instruction style:
 * `Consider this post: "POST" Question: QUESTION`; completion style: `Post: POST Question: QUESTION`.
 * The question is found from the end, so a post that itself says "Question:" stays whole.
 */
export function splitQuery(query: string): QueryParts {
  const text = query.trim()
  if (text.startsWith(INSTRUCTION_START)) {
    const q = text.lastIndexOf(INSTRUCTION_QUESTION)
    let body = text.slice(INSTRUCTION_START.length).trimStart()
    if (q >= 0) {
      body = text.slice(INSTRUCTION_START.length, q).trim()
      if (body.startsWith('"')) body = body.slice(1)
      return { post: body.trim(), question: text.slice(q + INSTRUCTION_QUESTION.length).trim() || null }
    }
    if (body.startsWith('"')) body = body.slice(1)
    if (body.endsWith('"')) body = body.slice(0, -1)
    return { post: body.trim(), question: null }
  }
  if (text.startsWith(COMPLETE_START)) {
    const q = text.lastIndexOf(QUESTION)
    if (q > COMPLETE_START.length) {
      return { post: text.slice(COMPLETE_START.length, q).trim(), question: text.slice(q + QUESTION.length).trim() || null }
    }
    return { post: text.slice(COMPLETE_START.length).trim(), question: null }
  }
  const q = text.lastIndexOf(QUESTION)
  if (q > 0) return { post: text.slice(0, q).trim(), question: text.slice(q + QUESTION.length).trim() || null }
  return { post: text, question: null }
}

/** Completion-style training rows keep post and question apart: "Post: ..." and " Question: ...". */
export function stripPostPrefix(post: string): string {
  const t = post.trim()
  return t.startsWith(COMPLETE_START) ? t.slice(COMPLETE_START.length).trim() : t
}
export function stripQuestionPrefix(question: string): string | null {
  const t = question.trim()
  const s = t.startsWith(QUESTION) ? t.slice(QUESTION.length).trim() : t
  return s.length > 0 ? s : null
}
