#!/usr/bin/env node
// After `npm install` / `npm ci`: says plainly whether Electron's binary was installed (and why
// not), then builds better-sqlite3 for Electron's ABI when it was. Never fails the install: the
// CLI, `imhi serve`, the tests and `npm start`'s browser fallback need only Node's build.
import { execFileSync } from 'node:child_process'
import { join, resolve, dirname } from 'node:path'
import { fileURLToPath } from 'node:url'
import electronStateModule from './electron-state.cjs'

const { electronState } = electronStateModule
const root = process.env.IMHI_WORKBENCH_ROOT ? resolve(process.env.IMHI_WORKBENCH_ROOT) : resolve(dirname(fileURLToPath(import.meta.url)), '..')
const state = electronState(root)

if (!state.installed) {
  console.log(
    `imhi-workbench: installed WITHOUT Electron's binary: ${state.reason}.\n` +
      '  `npm start` will open the app in your browser instead (imhi serve on 127.0.0.1); the CLI and the tests work as usual.\n' +
      '  For the desktop window: `npm run setup:electron` once Electron can be downloaded (github.com reachable).'
  )
  process.exit(0)
}
console.log(`imhi-workbench: installed WITH Electron ${state.version}: \`npm start\` opens the desktop app.`)
if (process.env.IMHI_SKIP_ELECTRON_REBUILD) process.exit(0)
try {
  execFileSync(process.execPath, [join(root, 'scripts', 'rebuild-electron.js')], { stdio: 'inherit' })
} catch {
  console.warn(
    'imhi-workbench: warning: could not build better-sqlite3 for Electron (see above); until `npm run rebuild:electron` succeeds, ' +
      '`npm start` opens the app in your browser.'
  )
}
