// Whether Electron's binary is installed, and if not, why not: shared by the install-time script
// (postinstall.js), the start script (start.js) and electron's install override (electron-get/).
'use strict'
const { existsSync, readFileSync } = require('node:fs')
const { dirname, join } = require('node:path')

/** Where electron-get/ records a failed download of Electron's binary. */
function failureFile(root) {
  return join(root, 'node_modules', '.imhi-workbench', 'electron-download-failed.json')
}

/**
 * { installed: true, version, executable } or { installed: false, version, reason }: the reason in
 * words a user can act on (no package, download skipped by ELECTRON_SKIP_BINARY_DOWNLOAD, download failed).
 */
function electronState(root, env = process.env) {
  let dir
  try {
    dir = dirname(require.resolve('electron/package.json', { paths: [root] }))
  } catch {
    return { installed: false, version: null, reason: 'the electron package is not installed (run "npm install")' }
  }
  let version = null
  try {
    version = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).version
  } catch {
    // reported below as a broken install
  }
  const pathFile = join(dir, 'path.txt')
  if (existsSync(pathFile)) {
    const executable = join(dir, 'dist', readFileSync(pathFile, 'utf8').trim())
    if (existsSync(executable)) return { installed: true, version, executable }
    return { installed: false, version, reason: `Electron's install is broken (${executable} is missing)` }
  }
  if (env.ELECTRON_SKIP_BINARY_DOWNLOAD) {
    return { installed: false, version, reason: 'its download was skipped (ELECTRON_SKIP_BINARY_DOWNLOAD is set)' }
  }
  try {
    const failed = JSON.parse(readFileSync(failureFile(root), 'utf8'))
    return { installed: false, version, reason: `its download failed: ${failed.reason}` }
  } catch {
    return { installed: false, version, reason: 'it was not downloaded' }
  }
}

module.exports = { electronState, failureFile }
