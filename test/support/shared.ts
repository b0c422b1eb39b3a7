import { existsSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

/** ../shared beside the repo: present on the project's machines and in CI, absent on a fresh clone elsewhere. */
// import.meta.url, not __dirname: Playwright loads the e2e files (which use this too) as ES modules.
export const SHARED_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'shared')
export const SHARED_IMHI = resolve(SHARED_DIR, 'imhi')
export const SHARED_TINY_MODEL = resolve(SHARED_DIR, 'models', 'llama-2-tiny-random.gguf')
export const hasSharedImhi = existsSync(resolve(SHARED_IMHI, 'test_data'))
export const hasSharedModel = existsSync(SHARED_TINY_MODEL)

/** Logs once why a suite that needs ../shared is skipped (vitest shows the skip; this says why). */
export function sharedSkipReason(what: 'imhi' | 'model'): string | null {
  const ok = what === 'imhi' ? hasSharedImhi : hasSharedModel
  if (ok) return null
  const reason = `skipped: ${what === 'imhi' ? SHARED_IMHI : SHARED_TINY_MODEL} not found (../shared is beside the repo on the project's machines and in CI)`
  console.warn(reason)
  return reason
}
