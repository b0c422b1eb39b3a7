// The README's two commands' logic with Electron's binary absent: the install-time scripts
// (electron's own install.js through scripts/electron-get, then scripts/postinstall.js) and the start
// script (scripts/start.js), checked for the fallback, its one-line reason, and a port already in use.
import { describe, expect, it } from 'vitest'
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, realpathSync, writeFileSync } from 'node:fs'
import { createServer, type Server } from 'node:net'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { tempDir } from '../support/tmp'
import { USER_DATA_NAME as MAIN_USER_DATA_NAME } from '../../src/main/electron/userData'
// @ts-expect-error plain JS module without types
import { chooseMode, desktopDbFile, portFree, USER_DATA_NAME } from '../../scripts/start-mode.js'

const ROOT = join(__dirname, '..', '..')
const require = createRequire(join(ROOT, 'package.json'))
const electronDir = dirname(require.resolve('electron/package.json'))
const electronVersion = JSON.parse(readFileSync(join(electronDir, 'package.json'), 'utf8')).version as string

/** The environment of this process without the variables that change the scripts' answers. */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = { ...process.env }
  for (const k of ['ELECTRON_SKIP_BINARY_DOWNLOAD', 'IMHI_DB', 'IMHI_PORT', 'IMHI_NO_OPEN', 'DISPLAY', 'WAYLAND_DISPLAY', 'npm_package_name', 'npm_lifecycle_event']) delete env[k]
  return { ...env, ...extra }
}

/** A project folder whose node_modules/electron is a package without its binary (as after a failed download). */
function fakeRoot(dir: string, opts: { binary?: boolean; sqliteForElectron?: boolean } = {}): string {
  const el = join(dir, 'node_modules', 'electron')
  mkdirSync(join(el, 'dist'), { recursive: true })
  writeFileSync(join(el, 'package.json'), JSON.stringify({ name: 'electron', version: electronVersion }))
  if (opts.binary) {
    writeFileSync(join(el, 'path.txt'), 'electron')
    writeFileSync(join(el, 'dist', 'electron'), '')
  }
  if (opts.sqliteForElectron) {
    mkdirSync(join(dir, 'build-electron'), { recursive: true })
    writeFileSync(join(dir, 'build-electron', 'better_sqlite3.node'), '')
  }
  return dir
}

describe('install time, Electron binary absent', () => {
  it('electron uses the tolerant @electron/get of scripts/electron-get (an Electron upgrade that bypasses it fails here)', () => {
    const used = realpathSync(dirname(require.resolve('@electron/get/package.json', { paths: [electronDir] })))
    expect(used).toBe(realpathSync(join(ROOT, 'scripts', 'electron-get')))
  })

  it("electron's own install script: a failed download is recorded and the install goes on (exit 0)", () => {
    const dir = tempDir()
    const r = spawnSync(process.execPath, [join(electronDir, 'install.js')], {
      cwd: electronDir,
      encoding: 'utf8',
      timeout: 60_000,
      env: cleanEnv({
        npm_package_name: 'electron',
        npm_lifecycle_event: 'postinstall',
        // Nothing listens on port 9: the download fails at once, as offline.
        ELECTRON_MIRROR: 'http://127.0.0.1:9/',
        electron_config_cache: join(dir, 'cache'),
        // Not installed, even on a machine where the binary is.
        ELECTRON_OVERRIDE_DIST_PATH: join(dir, 'no-dist'),
        IMHI_WORKBENCH_ROOT: dir
      })
    })
    expect(r.status, r.stderr).toBe(0)
    expect(r.stderr).toMatch(/Electron's binary could not be downloaded \(.*ECONNREFUSED.*\); the install continues without it/)
    const recorded = JSON.parse(readFileSync(join(dir, 'node_modules', '.imhi-workbench', 'electron-download-failed.json'), 'utf8'))
    expect(recorded.version).toBe(electronVersion)
    expect(recorded.reason).toMatch(/ECONNREFUSED/)
  })

  it('outside electron\'s install script the same failure stays an error (packaging must not pass silently)', () => {
    const dir = tempDir()
    const r = spawnSync(process.execPath, [join(electronDir, 'install.js')], {
      cwd: electronDir,
      encoding: 'utf8',
      timeout: 60_000,
      env: cleanEnv({ ELECTRON_MIRROR: 'http://127.0.0.1:9/', electron_config_cache: join(dir, 'cache'), ELECTRON_OVERRIDE_DIST_PATH: join(dir, 'no-dist'), IMHI_WORKBENCH_ROOT: dir })
    })
    expect(r.status).toBe(1)
    expect(existsSync(join(dir, 'node_modules', '.imhi-workbench', 'electron-download-failed.json'))).toBe(false)
  })

  const postinstall = (dir: string, env: Record<string, string> = {}) =>
    spawnSync(process.execPath, [join(ROOT, 'scripts', 'postinstall.js')], { encoding: 'utf8', env: cleanEnv({ IMHI_WORKBENCH_ROOT: dir, ...env }) })

  it('postinstall says plainly that the binary is missing, why, and what npm start will do; exit 0', () => {
    const dir = fakeRoot(tempDir())
    mkdirSync(join(dir, 'node_modules', '.imhi-workbench'), { recursive: true })
    writeFileSync(join(dir, 'node_modules', '.imhi-workbench', 'electron-download-failed.json'), JSON.stringify({ reason: 'getaddrinfo ENOTFOUND github.com' }))
    const r = postinstall(dir)
    expect(r.status).toBe(0)
    expect(r.stdout).toContain("installed WITHOUT Electron's binary: its download failed: getaddrinfo ENOTFOUND github.com.")
    expect(r.stdout).toContain('`npm start` will open the app in your browser instead')
    expect(r.stdout).toContain('npm run setup:electron')
  })

  it('postinstall names ELECTRON_SKIP_BINARY_DOWNLOAD when that skipped it, and says WITH when the binary is there', () => {
    const skipped = postinstall(fakeRoot(tempDir()), { ELECTRON_SKIP_BINARY_DOWNLOAD: '1' })
    expect(skipped.status).toBe(0)
    expect(skipped.stdout).toContain('its download was skipped (ELECTRON_SKIP_BINARY_DOWNLOAD is set)')
    const withBinary = postinstall(fakeRoot(tempDir(), { binary: true }), { IMHI_SKIP_ELECTRON_REBUILD: '1' })
    expect(withBinary.status).toBe(0)
    expect(withBinary.stdout).toContain(`installed WITH Electron ${electronVersion}`)
  })
})

describe('start: which mode, and why', () => {
  it('the desktop window only with a binary, a display and SQLite built for Electron; otherwise the browser with the reason', () => {
    const none = chooseMode({ root: fakeRoot(tempDir()), env: {}, platform: 'linux' })
    expect(none.mode).toBe('browser')
    expect(none.reason).toMatch(/^Electron's binary is not installed \(it was not downloaded\); `npm run setup:electron` installs it/)
    const noDisplay = chooseMode({ root: fakeRoot(tempDir(), { binary: true, sqliteForElectron: true }), env: {}, platform: 'linux' })
    expect(noDisplay).toEqual({ mode: 'browser', reason: expect.stringMatching(/no graphical display/) })
    const noSqlite = chooseMode({ root: fakeRoot(tempDir(), { binary: true }), env: { DISPLAY: ':0' }, platform: 'linux' })
    expect(noSqlite).toEqual({ mode: 'browser', reason: expect.stringMatching(/npm run rebuild:electron/) })
    const ok = chooseMode({ root: fakeRoot(tempDir(), { binary: true, sqliteForElectron: true }), env: {}, platform: 'win32' })
    expect(ok.mode).toBe('desktop')
    expect(ok.executable).toMatch(/electron$/)
    const forced = chooseMode({ root: fakeRoot(tempDir(), { binary: true, sqliteForElectron: true }), env: {}, platform: 'win32', forceBrowser: true })
    expect(forced.mode).toBe('browser')
  })

  it("the browser fallback opens the desktop app's database (Electron's user-data folder, pinned to the same name)", () => {
    expect(USER_DATA_NAME).toBe(MAIN_USER_DATA_NAME)
    expect(desktopDbFile({}, 'linux', '/home/a')).toBe('/home/a/.config/imhi-workbench/imhi-workbench.db')
    expect(desktopDbFile({ XDG_CONFIG_HOME: '/x' }, 'linux', '/home/a')).toBe('/x/imhi-workbench/imhi-workbench.db')
    expect(desktopDbFile({}, 'darwin', '/Users/a')).toBe('/Users/a/Library/Application Support/imhi-workbench/imhi-workbench.db')
    expect(desktopDbFile({ APPDATA: 'C:\\Users\\a\\AppData\\Roaming' }, 'win32', 'C:\\Users\\a')).toMatch(/Roaming[\\/]imhi-workbench[\\/]imhi-workbench\.db$/)
    expect(desktopDbFile({ IMHI_DB: '/data/w.db' }, 'linux', '/home/a')).toBe('/data/w.db')
  })
})

/** Runs scripts/start.js until it prints a URL (or exits); returns its output and the URL. */
async function runStart(args: string[], env: NodeJS.ProcessEnv): Promise<{ child: ChildProcess; out: string; url: string; exited: Promise<number | null> }> {
  const child = spawn(process.execPath, [join(ROOT, 'scripts', 'start.js'), ...args], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  let err = ''
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`npm start printed no URL in 60 s:\n${out}\n${err}`)), 60_000)
    child.stdout!.on('data', (d) => {
      out += String(d)
      const m = /Open (http:\/\/127\.0\.0\.1:\d+\/\?token=\S+)/.exec(out)
      if (m) {
        clearTimeout(timer)
        resolve(m[1])
      }
    })
    child.stderr!.on('data', (d) => (err += String(d)))
    void exited.then((code) => (clearTimeout(timer), reject(new Error(`npm start exited (${code}):\n${out}\n${err}`))))
  })
  return { child, out, url, exited }
}

describe('npm start without Electron: the same app in the browser', () => {
  const dir = tempDir()
  const renderer = join(dir, 'renderer')
  mkdirSync(renderer, { recursive: true })
  writeFileSync(join(renderer, 'index.html'), '<!doctype html><title>IMHI Workbench</title>')
  const root = fakeRoot(join(dir, 'project'))
  const env = cleanEnv({ IMHI_START_ELECTRON_ROOT: root, IMHI_RENDERER_DIR: renderer })

  it('says in one line why, serves on 127.0.0.1 and prints the URL', async () => {
    const probe = await listenAnywhere()
    const port = (probe.address() as { port: number }).port
    await new Promise<void>((r) => probe.close(() => r()))
    const run = await runStart(['--no-open', '--port', String(port), '--db', join(dir, 'a.db')], env)
    try {
      const lines = run.out.split('\n')
      expect(lines[0]).toBe(
        "IMHI Workbench: opening the app in your browser instead of a desktop window, because Electron's binary is not installed (it was not downloaded); `npm run setup:electron` installs it when github.com is reachable."
      )
      expect(run.url).toContain(`http://127.0.0.1:${port}/?token=`)
      const page = await fetch(run.url)
      expect(page.status).toBe(200)
      expect(await page.text()).toContain('IMHI Workbench')
      const api = await fetch(run.url.replace(/\/\?token=(.*)$/, '/api/call/app.info'), { method: 'POST', headers: { authorization: `Bearer ${decodeURIComponent(run.url.split('token=')[1])}` } })
      expect(api.status).toBe(200)
      expect((await api.json()).result.dbFile).toBe(join(dir, 'a.db'))
    } finally {
      run.child.kill('SIGTERM')
    }
    expect(await run.exited).toBe(0)
  }, 90_000)

  it('a port already in use: says so and serves on a free port instead', async () => {
    const busy = await listenAnywhere()
    const port = (busy.address() as { port: number }).port
    try {
      expect(await portFree(port)).toBe(false)
      const run = await runStart(['--no-open', '--port', String(port), '--db', join(dir, 'b.db')], env)
      try {
        expect(run.out).toContain(`IMHI Workbench: port ${port} on 127.0.0.1 is already in use (another imhi serve or app?); serving on a free port instead`)
        const served = Number(/127\.0\.0\.1:(\d+)\//.exec(run.url)![1])
        expect(served).not.toBe(port)
        expect((await fetch(run.url)).status).toBe(200)
      } finally {
        run.child.kill('SIGTERM')
      }
      await run.exited
    } finally {
      await new Promise<void>((r) => busy.close(() => r()))
    }
  }, 90_000)

  it('imhi serve on a port in use: a clear message with the way out, no stack trace', async () => {
    const busy = await listenAnywhere()
    const port = (busy.address() as { port: number }).port
    try {
      const r = spawnSync(process.execPath, [join(ROOT, 'bin', 'imhi.js'), 'serve', '--db', join(dir, 'c.db'), '--port', String(port)], {
        encoding: 'utf8',
        env: cleanEnv({ IMHI_RENDERER_DIR: renderer }),
        timeout: 60_000
      })
      expect(r.status).toBe(1)
      expect(r.stderr.trim()).toBe(
        `imhi: Port ${port} on 127.0.0.1 is already in use (another imhi serve or app?). Stop it, or choose another port: --port ${port + 1}, or --port 0 for any free port.`
      )
    } finally {
      await new Promise<void>((r) => busy.close(() => r()))
    }
  }, 90_000)
})

function listenAnywhere(): Promise<Server> {
  return new Promise((resolve) => {
    const s = createServer()
    s.listen(0, '127.0.0.1', () => resolve(s))
  })
}
