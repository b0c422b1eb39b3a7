import { useEffect, useRef } from 'react'

const GROUP = '[role="group"][data-aspect]'

/**
 * Keeps keyboard focus with the work on the rating screen: when the annotator rates with the score
 * buttons (Tab, then Space or Enter) and the screen moves on to the next aspect or item, focus
 * moves to the new current aspect's buttons instead of staying on the aspect just rated (or falling
 * back to the page when the item changes). Focus elsewhere (a header button, the post, a dialog) is
 * left alone. Returns the ref for the rating screen's root element.
 */
export function useFollowFocus(aspectKey: string | undefined, itemKey: number | null) {
  const container = useRef<HTMLDivElement | null>(null)
  const following = useRef(false)
  useEffect(() => {
    const root = container.current
    if (!root || !aspectKey) return
    const active = document.activeElement as HTMLElement | null
    const onScore = !!active && root.contains(active) && !!active.closest(GROUP)
    const lost = !active || active === document.body
    if (onScore) following.current = true
    else {
      if (!lost) following.current = false
      if (!lost || !following.current) return
    }
    const group = root.querySelector<HTMLElement>(`[role="group"][data-aspect="${CSS.escape(aspectKey)}"]`)
    const target = group?.querySelector<HTMLElement>('button[aria-pressed="true"]') ?? group?.querySelector<HTMLElement>('button')
    if (target && target !== active) target.focus()
  }, [aspectKey, itemKey])
  return container
}
