/**
 * Whether a post concerns suicide or self-harm, for the content notice shown before it. Errs on
 * the side of showing the notice: a label or dataset about suicide, or a keyword in the text.
 * This is a reading aid for annotators, never an assessment of the poster.
 */
const KEYWORDS =
  /\b(suicid\w*|kill(ing)?\s+(my|him|her|them)sel(f|ves)|self[-\s]?harm\w*|cut(ting)?\s+myself|end(ing)?\s+(it\s+all|my\s+life)|take\s+my\s+(own\s+)?life|overdos\w*|want(ed)?\s+to\s+die|wanna\s+die|don'?t\s+want\s+to\s+(live|be\s+alive)|hang(ing)?\s+myself|slit\w*\s+my\s+wrists?)\b/i

const SENSITIVE_DATASETS = new Set(['cams'])

export function isSensitive(opts: { post: string; explanation?: string; label?: string | null; dataset?: string | null }): boolean {
  if (opts.label && /suicid|self[-\s]?harm/i.test(opts.label)) return true
  // CAMS is about the causes of depression and suicide: every post gets the notice.
  if (opts.dataset && SENSITIVE_DATASETS.has(opts.dataset.toLowerCase())) return true
  return KEYWORDS.test(opts.post) || (opts.explanation !== undefined && KEYWORDS.test(opts.explanation))
}
