#!/usr/bin/env node
// `npm run dist`: builds the app, then installers for this platform with electron-builder
// (electron-builder.yml: Linux AppImage + deb, Windows nsis, macOS dmg); extra arguments go to
// electron-builder (`npm run dist -- --linux deb`, `-- --dir` for an unpacked app).
// `node scripts/dist.js --check` (CI): where Electron's binary is installed, an unpacked build from
// it (no download) and a look at what must be in it; where it is not, one line saying it skips.
import { spawnSync } from 'node:child_process'
import { existsSync, readdirSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import electronStateModule from './electron-state.cjs'

const { electronState } = electronStateModule
const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const require = createRequire(join(root, 'package.json'))
const args = process.argv.slice(2)
const check = args[0] === '--check'
const state = electronState(root)
const sqliteForElectron = join(root, 'build-electron', 'better_sqlite3.node')

function fail(message) {
  console.error(`dist: ${message}`)
  process.exit(1)
}

if (!state.installed) {
  if (check) {
    console.log(`dist --check: SKIPPED the unpacked build: Electron's binary is not installed (${state.reason}); the configuration itself is checked by test/app/packaging.test.ts.`)
    process.exit(0)
  }
  fail(`packaging needs Electron's binary, which is not installed (${state.reason}). Run \`npm run setup:electron\` (needs github.com), then \`npm run dist\` again.`)
}
if (!existsSync(sqliteForElectron)) {
  if (check) {
    console.log('dist --check: SKIPPED the unpacked build: build-electron/better_sqlite3.node is missing (run `npm run rebuild:electron`).')
    process.exit(0)
  }
  fail('build-electron/better_sqlite3.node is missing: run `npm run rebuild:electron` (SQLite built for Electron ships inside the app), then `npm run dist` again.')
}
// Build the app (as `npm run build`) once the checks above have passed.
if (!check) {
  const viteCli = join(dirname(require.resolve('electron-vite/package.json')), 'bin', 'electron-vite.js')
  const built = spawnSync(process.execPath, [viteCli, 'build'], { cwd: root, stdio: 'inherit' })
  if (built.status !== 0) fail('the build failed (see above).')
}
if (!existsSync(join(root, 'out', 'main', 'index.js'))) fail('the app is not built: run `npm run build` first.')
const electronDist = join(dirname(require.resolve('electron/package.json')), 'dist')

const cli = join(dirname(require.resolve('electron-builder/package.json')), 'cli.js')
const builderArgs = check
  ? ['--dir', '--publish', 'never', `-c.electronDist=${electronDist}`, `-c.electronVersion=${state.version}`, '-c.directories.output=dist/check']
  : ['--publish', 'never', ...args]
const r = spawnSync(process.execPath, [cli, ...builderArgs], { cwd: root, stdio: 'inherit' })
if (r.status !== 0) fail(`electron-builder failed (exit code ${r.status}); see above.`)
if (!check) process.exit(0)

// What an unpacked app must hold to run: the asar, the unpacked native modules, SQLite for Electron.
const outDir = join(root, 'dist', 'check')
const unpacked = readdirSync(outDir).map((d) => join(outDir, d)).find((d) => /unpacked$|\.app$/.test(d))
if (!unpacked) fail(`no unpacked app in ${outDir}`)
const resources = existsSync(join(unpacked, 'resources')) ? join(unpacked, 'resources') : join(unpacked, 'Contents', 'Resources')
const must = [
  join(resources, 'app.asar'),
  join(resources, 'app.asar.unpacked', 'node_modules', 'better-sqlite3'),
  join(resources, 'app.asar.unpacked', 'node_modules', 'node-llama-cpp'),
  join(resources, 'build-electron', 'better_sqlite3.node')
]
const missing = must.filter((p) => !existsSync(p))
if (missing.length > 0) fail(`the unpacked app lacks: ${missing.join(', ')}`)
console.log(`dist --check: unpacked app in ${unpacked}: app.asar, unpacked better-sqlite3 and node-llama-cpp, SQLite for Electron: all there.`)
