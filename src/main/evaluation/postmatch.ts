/**
 * Finding the IMHI item of a rated post, for the correlation analysis.
 *
 * The released DR_annotation files hold the posts in a damaged form: UTF-8 text that was decoded
 * as GBK ("I鈥檓" for "I’m": the bytes E2 80 99 6D read as 鈥 + 檓, the letter after the apostrophe
 * swallowed into the second character), and in chatgpt_false_data.csv every such character
 * replaced by "_" ("I__ a pretty happy" for "I’m a pretty happy"). The same post is also stored
 * twice among the items, in its instruction and its completion form, whose texts differ slightly.
 *
 * Matching, in order:
 * 1. exact: the normalized text (GBK mis-decoding undone, lower-case, every run of characters other
 *    than a-z and 0-9 one space) equals a candidate's;
 * 2. close: on the words neither text damaged (a word holding "_" or a non-ASCII character is left
 *    out on both sides), the best candidate by Jaccard similarity, when it is at least
 *    CLOSE_MIN and no *other post* comes within MARGIN of it. Candidates that are forms of the
 *    same post (similar to each other by at least SAME_POST) are one post, and the preferred form
 *    (the earliest candidate: the caller lists test_instruction first) gives the golden.
 * Anything else stays unmatched and is reported with its reason.
 */
export const CLOSE_MIN = 0.8
export const MARGIN = 0.1
export const SAME_POST = 0.8

let gbkTable: Map<string, [number, number]> | null = null

/** Every two-byte GBK character and its bytes (built once from the platform's GBK decoder). */
function gbk(): Map<string, [number, number]> {
  if (gbkTable) return gbkTable
  const table = new Map<string, [number, number]>()
  let decoder: InstanceType<typeof TextDecoder>
  try {
    decoder = new TextDecoder('gbk')
  } catch {
    // A runtime without ICU's GBK decoder: no repair (exact matching on undamaged text still works).
    return (gbkTable = table)
  }
  for (let lead = 0x81; lead <= 0xfe; lead++) {
    for (let trail = 0x40; trail <= 0xfe; trail++) {
      if (trail === 0x7f) continue
      const ch = decoder.decode(Uint8Array.from([lead, trail]))
      if (ch.length === 1 && ch !== '\ufffd' && !table.has(ch)) table.set(ch, [lead, trail])
    }
  }
  return (gbkTable = table)
}

/**
 * Undoes UTF-8-read-as-GBK: each run of GBK double-byte characters (with the ASCII letters next to
 * it) is turned back into its bytes and read as UTF-8; a run that is not valid UTF-8 stays as it was.
 */
export function repairMojibake(text: string): string {
  if (/^[\x00-\x7f]*$/.test(text)) return text
  const table = gbk()
  if (table.size === 0) return text
  const fatal = new TextDecoder('utf-8', { fatal: true })
  // A run: GBK characters, each possibly followed by the ASCII byte its trail swallowed.
  return text.replace(/(?:[^\x00-\x7f])+/g, (run) => {
    const bytes: number[] = []
    for (const ch of run) {
      const b = table.get(ch)
      if (!b) return run
      bytes.push(b[0], b[1])
    }
    try {
      return fatal.decode(Uint8Array.from(bytes))
    } catch {
      return run
    }
  })
}

/** The exact-match key: repaired, lower-case, non-alphanumerics as single spaces. */
export function postKey(text: string): string {
  return repairMojibake(text).toLowerCase().replace(/[^a-z0-9]+/g, ' ').trim()
}

/** The words no damage can have touched: whitespace-separated words without "_" or non-ASCII characters, alphanumerics only. */
export function cleanWords(text: string): Set<string> {
  const out = new Set<string>()
  for (const w of text.toLowerCase().split(/\s+/)) {
    if (!w || /[_\u0080-\uffff]/.test(w)) continue
    for (const part of w.split(/[^a-z0-9]+/)) if (part) out.add(part)
  }
  return out
}

function jaccard(a: Set<string>, b: Set<string>): number {
  if (a.size === 0 && b.size === 0) return 0
  let inter = 0
  for (const w of a) if (b.has(w)) inter++
  return inter / (a.size + b.size - inter)
}

export interface PostCandidate<T> {
  post: string
  value: T
}

export type PostMatch<T> =
  | { value: T; how: 'exact' | 'close'; similarity: number }
  | { value: null; how: 'none'; reason: string }

export class PostMatcher<T> {
  private readonly byKey = new Map<string, number>()
  private readonly words: Set<string>[] = []

  /** Candidates in order of preference: of several forms of one post, the earliest wins. */
  constructor(private readonly candidates: readonly PostCandidate<T>[]) {
    candidates.forEach((c, i) => {
      const k = postKey(c.post)
      if (!this.byKey.has(k)) this.byKey.set(k, i)
      this.words.push(cleanWords(c.post))
    })
  }

  match(post: string): PostMatch<T> {
    const exact = this.byKey.get(postKey(post))
    if (exact !== undefined) return { value: this.candidates[exact].value, how: 'exact', similarity: 1 }
    const words = cleanWords(post)
    if (words.size === 0) return { value: null, how: 'none', reason: 'the post has no undamaged words to compare' }
    const sims = this.words.map((w) => jaccard(words, w))
    let best = -1
    sims.forEach((s, i) => {
      if (best < 0 || s > sims[best]) best = i
    })
    if (best < 0 || sims[best] < CLOSE_MIN) {
      return { value: null, how: 'none', reason: best < 0 ? 'no candidate posts' : `no post shares ${Math.round(CLOSE_MIN * 100)}% of its words (best ${(100 * sims[best]).toFixed(1)}%)` }
    }
    // Forms of the best post: candidates at least SAME_POST similar to it.
    const same = (i: number) => i === best || jaccard(this.words[i], this.words[best]) >= SAME_POST
    const rival = sims.findIndex((s, i) => s >= sims[best] - MARGIN && !same(i))
    if (rival >= 0) {
      return { value: null, how: 'none', reason: `two different posts are about as close (${(100 * sims[best]).toFixed(1)}% and ${(100 * sims[rival]).toFixed(1)}% of words shared)` }
    }
    // The preferred form among those close enough to the rated post.
    const form = sims.findIndex((s, i) => same(i) && s >= CLOSE_MIN)
    return { value: this.candidates[form].value, how: 'close', similarity: sims[form] }
  }
}
