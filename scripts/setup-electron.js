#!/usr/bin/env node
// `npm run setup:electron`: downloads Electron's binary (when `npm install` could not, or skipped it)
// and builds better-sqlite3 for it, so that `npm start` opens the desktop window. Needs github.com once.
import { spawnSync } from 'node:child_process'
import { createRequire } from 'node:module'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import electronStateModule from './electron-state.cjs'

const { electronState } = electronStateModule
const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const require = createRequire(join(root, 'package.json'))
const env = { ...process.env }
delete env.ELECTRON_SKIP_BINARY_DOWNLOAD

if (!electronState(root, env).installed) {
  console.log('Downloading Electron\'s binary…')
  const r = spawnSync(process.execPath, [join(dirname(require.resolve('electron/package.json')), 'install.js')], { env, stdio: ['ignore', 'inherit', 'pipe'], encoding: 'utf8' })
  const state = electronState(root, env)
  if (r.status !== 0 || !state.installed) {
    const first = (r.stderr || '').split('\n').find((l) => l.trim() !== '') ?? `exit code ${r.status}`
    console.error(`setup:electron: could not download Electron's binary: ${first.trim()}\n` + 'Check that github.com is reachable (or set ELECTRON_MIRROR), then run `npm run setup:electron` again. `npm start` keeps working in the browser meanwhile.')
    process.exit(1)
  }
}
console.log(`Electron ${electronState(root, env).version} is installed.`)
const rebuilt = spawnSync(process.execPath, [join(root, 'scripts', 'rebuild-electron.js')], { stdio: 'inherit' })
if (rebuilt.status !== 0) process.exit(rebuilt.status ?? 1)
console.log('Done: `npm start` opens the desktop app.')
