import { useEffect, useRef, useState } from 'react'
import { VisuallyHidden } from '@mantine/core'
import { ratingAnnouncement, type RatingView } from './announce'

/**
 * A polite live region that tells a screen reader what the rating screen is doing (see announce.ts):
 * the item and aspect in focus, the scale, each score given. The save state has its own status
 * region (the "all saved" badge).
 */
export function RatingAnnouncer({ view }: { view: RatingView }) {
  const prev = useRef<RatingView | null>(null)
  const [message, setMessage] = useState('')
  const key = JSON.stringify(view)
  useEffect(() => {
    const text = ratingAnnouncement(prev.current, view)
    prev.current = view
    if (text) setMessage(text)
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [key])
  return (
    <VisuallyHidden role="status" aria-live="polite" aria-atomic="true" data-testid="rating-announcer">
      {message}
    </VisuallyHidden>
  )
}
