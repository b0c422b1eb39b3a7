import { findDataset, type DatasetInfo } from '../../shared/imhi/datasets'
import { normalize } from '../imhi/labels'

/**
 * The lenient label extractor for generated (free-text) responses: what IMHI.py's
 * --rule_calculate does with `'yes' in output[:70]`, done with care.
 *
 * 1. The label sentence first: the text before "Reasoning:" when there is any.
 * 2. Otherwise (or when it names nothing) the first two sentences of the response (models often
 *    start straight with "Reasoning: The post does not show ...").
 * In each candidate, a multi-class dataset looks for the phrases that name a class (synonyms
 * included); a phrase inside a longer matched phrase does not count, and two classes named apart
 * are ambiguous (no label). A
 * yes/no dataset takes a leading "yes"/"no", else a negation ("not", "no", "doesn't", ...) means
 * no, else an affirmative verb ("suffers", "shows", "exists", "indicates", ...) means yes.
 * Nothing found: null, which the metrics count as out-of-domain (OOD).
 */
export type ExtractSource = 'label_sentence' | 'first_sentences' | 'none' | 'empty'

export interface Extracted {
  label: string | null
  source: ExtractSource
}

/** Only the start of a response can hold its label; bounding the scan keeps 100,000-char responses cheap. */
const SCAN_CHARS = 4000
const REASONING = /\breasoning\s*:/i

/** The same normalization as the gold-label rules, so both sides read text alike. */
export const normalizeText = normalize

/** Class phrases per multi-class dataset (normalized). The canonical name always counts too. */
const PHRASES: Record<string, Record<string, string[]>> = {
  CAMS: {
    none: ['no causes', 'no cause', 'no causes of depression', 'no specific cause', 'no clear cause', 'none'],
    'bias or abuse': ['bias or abuse', 'bias', 'abuse', 'abused', 'discrimination'],
    'jobs and career': ['jobs and career', 'jobs and careers', 'job and career', 'jobs', 'job', 'career', 'careers', 'unemployment'],
    medication: ['medication', 'medications', 'medicine', 'drugs'],
    relationship: ['relationship', 'relationships'],
    alienation: ['alienation', 'alienated', 'isolation', 'loneliness']
  },
  SAD: {
    school: ['school', 'schoolwork', 'exams', 'exam', 'college', 'university', 'homework'],
    'financial problem': ['financial problem', 'financial problems', 'finance', 'financial', 'finances', 'money'],
    'family issues': ['family issues', 'family issue', 'family'],
    'social relationships': ['social relationships', 'social relationship', 'social'],
    work: ['work', 'job', 'workplace'],
    'health issues': ['health issues', 'health issue', 'health'],
    'emotional turmoil': ['emotional turmoil', 'emotion turmoil', 'emotional'],
    'everyday decision making': ['everyday decision making', 'everyday decision-making', 'decision making', 'decision-making', 'decision', 'decisions'],
    'other stress causes': ['other stress causes', 'other stress cause', 'other causes', 'other cause', 'other']
  },
  't-sid': {
    none: ['no mental disorders', 'no mental disorder', 'no mental disorder symptoms', 'no disorder', 'no disorders', 'none'],
    depression: ['depression', 'depressive', 'depressed'],
    'suicide or self-harm': ['suicide or self-harm', 'suicide or self harm', 'suicide', 'suicidal', 'self-harm', 'self harm'],
    ptsd: ['ptsd', 'post-traumatic stress disorder', 'post traumatic stress disorder', 'post-traumatic stress']
  },
  swmh: {
    none: ['no mental disorder symptoms', 'no mental disorder symptom', 'no mental disorders', 'no mental disorder', 'none'],
    depression: ['depression', 'depressive', 'depressed'],
    suicide: ['suicide', 'suicidal'],
    anxiety: ['anxiety', 'anxious'],
    'bipolar disorder': ['bipolar disorder', 'bipolar']
  }
}

const phraseRegexCache = new Map<string, RegExp>()
function phraseRegex(phrase: string): RegExp {
  let re = phraseRegexCache.get(phrase)
  if (!re) {
    re = new RegExp(`(?:^|[^a-z0-9-])${phrase.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?![a-z0-9-])`)
    phraseRegexCache.set(phrase, re)
  }
  return re
}

function multiClass(info: DatasetInfo, sentence: string): string | null {
  const table = PHRASES[info.name] ?? Object.fromEntries(info.labels.map((l) => [l, [l]]))
  // Every occurrence of every class phrase, as a span of the sentence.
  const spans: { label: string; start: number; end: number }[] = []
  for (const label of info.labels) {
    for (const phrase of new Set([label, ...(table[label] ?? [])])) {
      const re = phraseRegex(phrase)
      const m = re.exec(sentence)
      if (!m) continue
      const start = m.index + (m[0].length - phrase.length)
      spans.push({ label, start, end: start + phrase.length })
    }
  }
  // A span inside a longer span of another phrase ("suicide" in "suicide or self-harm") does not count.
  const kept = spans.filter((a) => !spans.some((b) => b !== a && b.end - b.start > a.end - a.start && b.start <= a.start && a.end <= b.end))
  const labels = new Set(kept.map((k) => k.label))
  // Two classes named apart ("medication or relationship"): ambiguous, no label.
  return labels.size === 1 ? [...labels][0] : null
}

const NEGATION = /\b(?:not|no|doesn't|don't|isn't|aren't|wasn't|never|neither|nor|without|absence|lack|lacks|unlikely)\b/
const AFFIRMATION = /\b(?:suffers?|suffering|shows?|showing|exists?|exhibits?|displays?|indicates?|indicating|expresses?|experiencing|experiences?|demonstrates?|reveals?|has|is|does|present)\b/

function yesNo(sentence: string): 'yes' | 'no' | null {
  const first = /^([a-z']+)/.exec(sentence)?.[1]
  if (first === 'yes') return 'yes'
  if (first === 'no') return 'no'
  if (NEGATION.test(sentence)) return 'no'
  if (AFFIRMATION.test(sentence)) return 'yes'
  return null
}

function isYesNo(info: DatasetInfo): boolean {
  return info.labels.length === 2 && info.labels.includes('yes') && info.labels.includes('no')
}

/** Labels one normalized sentence; null when it names none (or two). */
export function labelOfSentence(info: DatasetInfo, sentence: string): string | null {
  if (!sentence) return null
  return isYesNo(info) ? yesNo(sentence) : multiClass(info, sentence)
}

function firstSentences(text: string, count: number): string[] {
  const out: string[] = []
  const re = /[^.!?\n]+[.!?]*/g
  let m: RegExpExecArray | null
  while (out.length < count && (m = re.exec(text))) {
    const s = normalizeText(m[0])
    if (/[a-z]/.test(s)) out.push(s)
  }
  return out
}

export function extractLabel(dataset: string | DatasetInfo, response: string): Extracted {
  const info = typeof dataset === 'string' ? findDataset(dataset) : dataset
  if (!info) throw new Error(`Unknown dataset "${String(dataset)}"`)
  const text = (response ?? '').slice(0, SCAN_CHARS)
  if (!text.trim()) return { label: null, source: 'empty' }
  const m = REASONING.exec(text)
  const before = m ? text.slice(0, m.index) : ''
  if (m && before.trim()) {
    const label = labelOfSentence(info, normalizeText(before))
    if (label) return { label, source: 'label_sentence' }
  }
  const rest = m ? text.slice(m.index + m[0].length) : text
  for (const s of firstSentences(rest, 2)) {
    const label = labelOfSentence(info, s)
    if (label) return { label, source: 'first_sentences' }
  }
  return { label: null, source: 'none' }
}
