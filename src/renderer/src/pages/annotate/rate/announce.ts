/**
 * What the rating screen says to a screen reader (through a polite live region) as the annotator
 * works: the item they are on, the aspect to rate with its scale, and each score as it is given.
 * A pure function of two consecutive views of the screen.
 */

export interface AspectView {
  key: string
  label: string
  min: number
  max: number
}

export interface RatingView {
  /** Queue position (0-based) and queue length. */
  pos: number
  total: number
  /** Items with every aspect rated. */
  done: number
  /** The item shown is the one at `pos` (false while the next item loads). */
  loaded: boolean
  /** The item is behind a content notice. */
  notice: boolean
  aspects: readonly AspectView[]
  aspectIdx: number
  /** The item whose scores are shown (may still be the previous one while loading), and its scores. */
  studyItemId: number | null
  scores: Readonly<Record<string, number>>
}

const scale = (a: AspectView) => `${a.min} to ${a.max}`

/**
 * The sentence to announce on going from `prev` to `next` ('' when nothing worth saying changed).
 * `seen` is what the screen last showed of next's item's scores, if it was shown before (an undo
 * may take a score back on an item that is not on screen and then return to it).
 */
export function ratingAnnouncement(prev: RatingView | null, next: RatingView, seen?: Readonly<Record<string, number>>): string {
  const parts: string[] = []
  // Scores given (or taken back) on the item whose scores are shown.
  const before = seen ?? (prev && next.studyItemId !== null && prev.studyItemId === next.studyItemId ? prev.scores : undefined)
  if (before) {
    for (const a of next.aspects) {
      const was = before[a.key]
      const after = next.scores[a.key]
      if (was === after) continue
      parts.push(after === undefined ? `${a.label}: rating removed.` : `${a.label}: ${after} of ${a.max}.`)
    }
  }
  if (!next.loaded) return parts.join(' ')
  const movedItem = !prev || !prev.loaded || prev.pos !== next.pos || prev.notice !== next.notice
  const aspect = next.aspects[next.aspectIdx]
  if (movedItem) {
    parts.push(`Item ${next.pos + 1} of ${next.total}, ${next.done} done.`)
    if (next.notice) {
      parts.push('Content notice: this post may mention suicide or self-harm. Enter shows it, S skips it.')
      return parts.join(' ')
    }
  }
  if (next.done === next.total && prev && prev.done < prev.total) parts.push('All items rated.')
  if (aspect && !next.notice && (movedItem || prev!.aspectIdx !== next.aspectIdx)) {
    const current = next.scores[aspect.key]
    parts.push(`Rate ${aspect.label}, ${scale(aspect)}${current === undefined ? '' : `, now ${current}`}: press a digit.`)
  }
  return parts.join(' ')
}
