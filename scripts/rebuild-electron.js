#!/usr/bin/env node
// Builds better-sqlite3 for Electron's ABI into build-electron/better_sqlite3.node, leaving the
// Node build in node_modules untouched (the CLI, `imhi serve` and the tests use that one).
// The Electron app loads this file through better-sqlite3's `nativeBinding` option.
import { execFileSync } from 'node:child_process'
import { cpSync, existsSync, mkdirSync, rmSync, copyFileSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const require = createRequire(join(root, 'package.json'))
const electronVersion = JSON.parse(readFileSync(require.resolve('electron/package.json'), 'utf8')).version
const sqliteDir = dirname(require.resolve('better-sqlite3/package.json'))
const work = join(root, '.tmp', 'better-sqlite3-electron')
const outDir = join(root, 'build-electron')

rmSync(work, { recursive: true, force: true })
mkdirSync(dirname(work), { recursive: true })
cpSync(sqliteDir, work, { recursive: true, filter: (p) => !p.includes(`${'/'}build${'/'}`) })

const bin = (name) => join(root, 'node_modules', '.bin', name)
const run = (cmd, args) => execFileSync(cmd, args, { cwd: work, stdio: 'inherit' })
try {
  // A prebuilt binary for this Electron version, when the network allows...
  run(bin('prebuild-install'), ['--runtime', 'electron', '--target', electronVersion, '--arch', process.arch, '--platform', process.platform])
} catch {
  // ...otherwise compile against Electron's headers.
  const gyp = existsSync(bin('node-gyp')) ? bin('node-gyp') : 'node-gyp'
  run(gyp, ['rebuild', '--release', `--target=${electronVersion}`, '--runtime=electron', '--dist-url=https://electronjs.org/headers'])
}
mkdirSync(outDir, { recursive: true })
copyFileSync(join(work, 'build', 'Release', 'better_sqlite3.node'), join(outDir, 'better_sqlite3.node'))
rmSync(work, { recursive: true, force: true })
console.log(`better-sqlite3 built for Electron ${electronVersion}: ${join(outDir, 'better_sqlite3.node')}`)
