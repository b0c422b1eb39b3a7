import { test as base, chromium, type Browser, type Page } from '@playwright/test'
import { spawnSync, type ChildProcess } from 'node:child_process'
import { mkdtempSync, mkdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { SHARED_IMHI, hasSharedImhi } from '../test/support/shared'
import { spawnServe } from '../test/support/serve-process'

// package.json says "type": "module", so Playwright loads these files as ES modules (no __dirname).
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..')
export const CLI = join(ROOT, 'bin', 'imhi.js')
export const SCREENSHOTS = join(ROOT, 'e2e', 'screenshots')
mkdirSync(SCREENSHOTS, { recursive: true })

/** ../shared beside the repo (the real IMHI files): present on the project's machines and in CI. */
export { SHARED_IMHI, hasSharedImhi }
if (!hasSharedImhi && !process.env.IMHI_SHARED_NOTICE_SHOWN) {
  // Printed once per run: the list reporter does not show skip reasons.
  process.env.IMHI_SHARED_NOTICE_SHOWN = '1'
  console.log(`e2e: the tests that import all of the released IMHI data skip: ${SHARED_IMHI} not found (../shared is beside the repo on the project's machines and in CI)`)
}

export const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-quic', '--no-first-run', '--disable-sync']
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'

/** Runs the `imhi` CLI synchronously; throws with its stderr when it fails. */
export function imhi(args: string[], opts: { allowFail?: boolean } = {}): { stdout: string; stderr: string; status: number } {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', cwd: ROOT, maxBuffer: 256 * 1024 * 1024 })
  if (r.status !== 0 && !opts.allowFail) throw new Error(`imhi ${args.join(' ')} failed (${r.status}): ${r.stderr}`)
  return { stdout: r.stdout, stderr: r.stderr, status: r.status ?? -1 }
}

export interface ServeHandle {
  url: string
  token: string
  dbFile: string
  dir: string
  process: ChildProcess
  /** Starts the server again on the same database (after a stop or a SIGKILL). */
  restart(): Promise<void>
  kill(signal?: NodeJS.Signals): Promise<void>
}

/** Starts `imhi serve` on a free port and resolves with the URL it prints. */
export async function startServe(dbFile: string, dir: string, port = 0, token?: string): Promise<ServeHandle> {
  const args = ['--db', dbFile, '--port', String(port)]
  if (token) args.push('--token', token)
  const { url, process: child } = await spawnServe(ROOT, args)
  const parsed = new URL(url)
  const handle: ServeHandle = {
    url,
    token: parsed.searchParams.get('token')!,
    dbFile,
    dir,
    process: child,
    async restart() {
      const next = await startServe(dbFile, dir, Number(parsed.port), handle.token)
      handle.process = next.process
    },
    async kill(signal: NodeJS.Signals = 'SIGTERM') {
      const p = handle.process
      if (p.exitCode !== null || p.signalCode !== null) return
      await new Promise<void>((r) => {
        p.once('exit', () => r())
        p.kill(signal)
      })
    }
  }
  return handle
}

export function tempDir(prefix = 'imhi-e2e-'): string {
  return mkdtempSync(join(tmpdir(), prefix))
}

export const test = base.extend<{ serve: ServeHandle; appPage: Page }, { browserInstance: Browser }>({
  browserInstance: [
    async ({}, use) => {
      const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS, headless: true })
      await use(browser)
      await browser.close()
    },
    { scope: 'worker' }
  ],
  serve: async ({}, use) => {
    const dir = tempDir()
    const handle = await startServe(join(dir, 'e2e.db'), dir)
    await use(handle)
    await handle.kill()
    rmSync(dir, { recursive: true, force: true })
  },
  appPage: async ({ browserInstance, serve }, use) => {
    const context = await browserInstance.newContext({ viewport: { width: 1400, height: 900 } })
    const page = await context.newPage()
    await page.goto(serve.url)
    await use(page)
    await context.close()
  }
})

export { expect } from '@playwright/test'
