#!/usr/bin/env node
// Builds better-sqlite3 for Electron's ABI into build-electron/better_sqlite3.node, leaving the
// Node build in node_modules untouched (the CLI, `imhi serve` and the tests use that one).
// The Electron app loads this file through better-sqlite3's `nativeBinding` option.
import { execFileSync } from 'node:child_process'
import { cpSync, existsSync, mkdirSync, rmSync, copyFileSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join, relative, resolve, sep } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const require = createRequire(join(root, 'package.json'))
const electronVersion = JSON.parse(readFileSync(require.resolve('electron/package.json'), 'utf8')).version
const sqliteDir = dirname(require.resolve('better-sqlite3/package.json'))
const work = join(root, '.tmp', 'better-sqlite3-electron')
const outDir = join(root, 'build-electron')

rmSync(work, { recursive: true, force: true })
mkdirSync(dirname(work), { recursive: true })
// A copy without the Node build (build/), so the Node binary in node_modules stays as it is.
cpSync(sqliteDir, work, { recursive: true, filter: (p) => relative(sqliteDir, p).split(sep)[0] !== 'build' })

// Run the tools' JS entry points with this Node (node_modules/.bin shims are .cmd files on Windows).
const tool = (pkg, binRel) => join(dirname(require.resolve(`${pkg}/package.json`)), binRel)
const run = (script, args) => execFileSync(process.execPath, [script, ...args], { cwd: work, stdio: 'inherit' })
const target = ['--arch', process.arch, '--platform', process.platform]
try {
  // A prebuilt binary for this Electron version (better-sqlite3 publishes them on GitHub)...
  run(tool('prebuild-install', 'bin.js'), ['--runtime', 'electron', '--target', electronVersion, ...target, '--verbose'])
} catch {
  // ...otherwise compile against Electron's headers (needs a C++ toolchain and Python).
  console.log('No prebuilt better-sqlite3 for Electron ' + electronVersion + '; compiling it with node-gyp.')
  try {
    run(tool('node-gyp', 'bin/node-gyp.js'), ['rebuild', '--release', `--target=${electronVersion}`, '--runtime=electron', `--arch=${process.arch}`, '--dist-url=https://electronjs.org/headers'])
  } catch {
    rmSync(work, { recursive: true, force: true })
    console.error(
      `rebuild-electron: could not build better-sqlite3 for Electron ${electronVersion}: neither a prebuilt binary nor Electron's headers ` +
        'could be fetched (this needs network access to github.com or electronjs.org), or compiling failed (see above). ' +
        'The CLI, imhi serve and the tests do not need this build; the desktop app does.'
    )
    process.exit(1)
  }
}
const built = join(work, 'build', 'Release', 'better_sqlite3.node')
if (!existsSync(built)) {
  console.error(`rebuild-electron: ${built} was not produced`)
  process.exit(1)
}
mkdirSync(outDir, { recursive: true })
copyFileSync(built, join(outDir, 'better_sqlite3.node'))
rmSync(work, { recursive: true, force: true })
console.log(`better-sqlite3 built for Electron ${electronVersion}: ${join(outDir, 'better_sqlite3.node')}`)
