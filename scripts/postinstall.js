#!/usr/bin/env node
// After install: build better-sqlite3 for Electron's ABI when Electron's binary is present.
// Never fails the install: where it cannot build (no network for Electron's headers, or
// ELECTRON_SKIP_BINARY_DOWNLOAD), it says why; the CLI, serve mode and tests need only Node's build.
import { execFileSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const require = createRequire(join(root, 'package.json'))

function electronBinaryPresent() {
  try {
    const dir = dirname(require.resolve('electron/package.json'))
    const pathFile = join(dir, 'path.txt')
    return existsSync(pathFile) && existsSync(join(dir, 'dist', readFileSync(pathFile, 'utf8').trim()))
  } catch {
    return false
  }
}

if (process.env.ELECTRON_SKIP_BINARY_DOWNLOAD || !electronBinaryPresent()) {
  console.log('imhi-workbench: Electron binary not installed; skipping the Electron build of better-sqlite3 (CLI, serve and tests use the Node build). Run "npm run rebuild:electron" after installing Electron.')
  process.exit(0)
}
try {
  execFileSync(process.execPath, [join(root, 'scripts', 'rebuild-electron.js')], { stdio: 'inherit' })
} catch {
  console.warn('imhi-workbench: warning: could not build better-sqlite3 for Electron; run "npm run rebuild:electron" when online.')
}
