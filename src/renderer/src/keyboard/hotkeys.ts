import { useEffect, useRef } from 'react'

/**
 * The one keyboard rule of the app: a page's hotkeys act only when the user is not typing and
 * nothing is open on top of the page. Every page with plain-key hotkeys (Browse, Annotate, the
 * section switcher) goes through `useHotkeyLayer`, so a letter typed into a note, a search box or a
 * dialog can never also be a command, and a key pressed while a modal (a Mantine Modal, the
 * research-use notice, the guidelines, the key sheet, a menu or dropdown) is open does nothing
 * behind it.
 *
 * The check reads the DOM at the moment of the key, not React state, so it also covers overlays the
 * page does not own (the app-level notice) and the frames between "opened" and "rendered".
 */

/** Input types that take no text: a hotkey pressed on them is still a hotkey. */
const NON_TEXT_INPUTS = new Set(['button', 'checkbox', 'color', 'file', 'image', 'radio', 'reset', 'submit'])

/** True for an element that takes typed text (text inputs, textareas, selects, contenteditable). */
export function isTextField(el: Element | null | undefined): boolean {
  if (!el || !(el instanceof HTMLElement)) return false
  if (el.isContentEditable) return true
  if (el instanceof HTMLTextAreaElement || el instanceof HTMLSelectElement) return true
  if (el instanceof HTMLInputElement) return !NON_TEXT_INPUTS.has(el.type.toLowerCase())
  const role = el.getAttribute('role')
  return role === 'textbox' || role === 'combobox' || role === 'searchbox' || role === 'spinbutton'
}

/** Controls that Enter or Space activate themselves (a button in a pane must not also open an item). */
const ACTIVATABLE = 'button, a[href], summary, input[type="button"], input[type="submit"], input[type="reset"], input[type="checkbox"], input[type="radio"], [role="button"], [role="link"], [role="checkbox"], [role="radio"], [role="switch"], [role="tab"], [role="menuitem"]'

/** True when the key is Enter or Space on a control that it activates. */
export function activatesControl(e: KeyboardEvent): boolean {
  if (e.key !== 'Enter' && e.key !== ' ') return false
  const el = (e.target instanceof Element ? e.target : null) ?? document.activeElement
  return !!el && el instanceof HTMLElement && el.matches(ACTIVATABLE)
}

/** Everything that counts as "open on top of the page". */
const OVERLAY_SELECTOR = ['[role="dialog"]', '[role="alertdialog"]', '[aria-modal="true"]', '[role="menu"]', '[role="listbox"]', '[data-hotkeys-overlay]'].join(',')

/** True while any modal, dialog, menu or dropdown is in the document and rendered. */
export function overlayOpen(doc: Document = document): boolean {
  for (const el of doc.querySelectorAll(OVERLAY_SELECTOR)) {
    // A listbox that is part of the page (not a popup) is not an overlay.
    // A listbox or menu that is part of the page (Browse's result list) is not an overlay; one in a
    // portal (a Select's dropdown, a Menu) is.
    const role = el.getAttribute('role')
    if ((role === 'listbox' || role === 'menu') && !el.closest('[data-portal]')) continue
    if ((el as HTMLElement).getClientRects().length > 0) return true
  }
  return false
}

/** Why a key must not act as a hotkey now, or null when it may. */
export function hotkeyBlocked(e: KeyboardEvent, opts: { modifiers?: boolean } = {}): string | null {
  if (e.defaultPrevented) return 'handled'
  if (e.isComposing || e.keyCode === 229) return 'composing'
  if (!opts.modifiers && (e.ctrlKey || e.metaKey || e.altKey)) return 'modifier'
  if (isTextField(e.target as Element | null) || isTextField(document.activeElement)) return 'typing'
  if (overlayOpen()) return 'overlay'
  return null
}

/**
 * Registers a page's hotkeys under the rule above. `handler` returns true when it used the key
 * (the key's default action is then prevented). It always sees the latest render's state.
 * `modifiers: true` lets Ctrl/Alt/Meta combinations through (the section switcher uses Alt+digit).
 */
export function useHotkeyLayer(handler: (e: KeyboardEvent) => boolean | void, opts: { modifiers?: boolean; enabled?: boolean } = {}): void {
  const ref = useRef(handler)
  ref.current = handler
  const modifiers = !!opts.modifiers
  const enabled = opts.enabled ?? true
  useEffect(() => {
    if (!enabled) return
    const on = (e: KeyboardEvent): void => {
      if (hotkeyBlocked(e, { modifiers })) return
      if (ref.current(e) === true) e.preventDefault()
    }
    window.addEventListener('keydown', on)
    return () => window.removeEventListener('keydown', on)
  }, [modifiers, enabled])
}
