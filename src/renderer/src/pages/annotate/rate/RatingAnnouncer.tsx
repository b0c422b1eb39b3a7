import { useEffect, useRef, useState } from 'react'
import { VisuallyHidden } from '@mantine/core'
import { ratingAnnouncement, type RatingView } from './announce'

/**
 * A polite live region that tells a screen reader what the rating screen is doing (see announce.ts):
 * the item and aspect in focus, the scale, each score given or taken back. What is said while the
 * next item loads (the last score of an item) waits and is said together with the new item, so that
 * one announcement does not cut off the other. The save state has its own status region (the
 * "all saved" badge).
 */
export function RatingAnnouncer({ view }: { view: RatingView }) {
  const prev = useRef<RatingView | null>(null)
  const seen = useRef(new Map<number, Readonly<Record<string, number>>>())
  const pending = useRef('')
  const [message, setMessage] = useState('')
  const key = JSON.stringify(view)
  useEffect(() => {
    const id = view.studyItemId
    const text = ratingAnnouncement(prev.current, view, id === null ? undefined : seen.current.get(id))
    prev.current = view
    if (id !== null) seen.current.set(id, view.scores)
    const said = [pending.current, text].filter(Boolean).join(' ')
    if (!view.loaded) {
      pending.current = said
      return
    }
    pending.current = ''
    if (said) setMessage(said)
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [key])
  return (
    <VisuallyHidden role="status" aria-live="polite" aria-atomic="true" data-testid="rating-announcer">
      {message}
    </VisuallyHidden>
  )
}
