// How `npm start` runs the app (scripts/start.js): the decision and its helpers, kept free of side
// effects so test/app/start-fallback.test.ts can check them with Electron present or absent.
import { existsSync } from 'node:fs'
import { createServer } from 'node:net'
import { homedir } from 'node:os'
import { join } from 'node:path'
import electronStateModule from './electron-state.cjs'

const { electronState } = electronStateModule

/** The folder name of the desktop app's user data (Electron's userData; pinned in src/main/electron/index.ts). */
export const USER_DATA_NAME = 'imhi-workbench'

/**
 * { mode: 'desktop', executable } where the Electron window can open, otherwise
 * { mode: 'browser', reason } with the reason in words a user can act on.
 */
export function chooseMode({ root, env = process.env, platform = process.platform, forceBrowser = false }) {
  if (forceBrowser) return { mode: 'browser', reason: 'you asked for the browser (--browser)' }
  const state = electronState(root, env)
  if (!state.installed) {
    return { mode: 'browser', reason: `Electron's binary is not installed (${state.reason}); \`npm run setup:electron\` installs it when github.com is reachable` }
  }
  if (platform === 'linux' && !env.DISPLAY && !env.WAYLAND_DISPLAY) {
    return { mode: 'browser', reason: 'there is no graphical display for a desktop window (DISPLAY and WAYLAND_DISPLAY are unset)' }
  }
  if (!existsSync(join(root, 'build-electron', 'better_sqlite3.node'))) {
    return {
      mode: 'browser',
      reason: "SQLite's native module is not built for Electron yet; `npm run rebuild:electron` builds it (it needs the network once)"
    }
  }
  return { mode: 'desktop', executable: state.executable }
}

/** The desktop app's database (IMHI_DB, else imhi-workbench.db in Electron's user-data folder), so both modes open the same data. */
export function desktopDbFile(env = process.env, platform = process.platform, home = homedir()) {
  if (env.IMHI_DB) return env.IMHI_DB
  let appData
  if (platform === 'win32') appData = env.APPDATA || join(home, 'AppData', 'Roaming')
  else if (platform === 'darwin') appData = join(home, 'Library', 'Application Support')
  else appData = env.XDG_CONFIG_HOME || join(home, '.config')
  return join(appData, USER_DATA_NAME, 'imhi-workbench.db')
}

/** Resolves true when `port` on `host` can be listened on now, false when it is taken (EADDRINUSE/EACCES). */
export function portFree(port, host = '127.0.0.1') {
  return new Promise((resolvePort, reject) => {
    const probe = createServer()
    probe.once('error', (err) => {
      if (err.code === 'EADDRINUSE' || err.code === 'EACCES') resolvePort(false)
      else reject(err)
    })
    probe.listen(port, host, () => probe.close(() => resolvePort(true)))
  })
}

/** The command that opens `url` in the default browser on this platform. */
export function browserOpener(platform = process.platform) {
  if (platform === 'darwin') return { command: 'open', args: [] }
  if (platform === 'win32') return { command: 'cmd', args: ['/c', 'start', '""'] }
  return { command: 'xdg-open', args: [] }
}
