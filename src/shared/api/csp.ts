/**
 * The Content-Security-Policy of the app's page, written once: the Electron window's response
 * header (electron/index.ts), the served page's header (server/serve.ts) and the page's own meta
 * tag (put into src/renderer/index.html by the build, electron.vite.config.ts: file:// responses
 * carry no headers). No inline script, no eval, nothing from another origin; connect-src 'self' is
 * the serve WebSocket.
 */
const DIRECTIVES: readonly (readonly [string, string])[] = [
  ['default-src', "'self'"],
  ['script-src', "'self'"],
  // Mantine sets style attributes at run time.
  ['style-src', "'self' 'unsafe-inline'"],
  ['img-src', "'self' data: blob:"],
  ['font-src', "'self' data:"],
  ['connect-src', "'self'"],
  ['object-src', "'none'"],
  ['base-uri', "'none'"],
  ['frame-ancestors', "'none'"],
  ['form-action', "'none'"]
]

function policy(skip: ReadonlySet<string> = new Set()): string {
  return DIRECTIVES.filter(([name]) => !skip.has(name))
    .map(([name, value]) => `${name} ${value}`)
    .join('; ')
}

/** As a response header (the desktop window, imhi serve). */
export const APP_CSP = policy()
/** Kept for the serve mode's name of it: the same policy. */
export const SERVE_CSP = APP_CSP
/** In the page's meta tag, where browsers ignore frame-ancestors (and warn about it). */
export const PAGE_CSP = policy(new Set(['frame-ancestors']))
/** The placeholder in src/renderer/index.html that the build replaces with PAGE_CSP. */
export const PAGE_CSP_PLACEHOLDER = '%IMHI_CSP%'
