// Electron's install script (node_modules/electron/install.js) downloads Electron's binary with
// @electron/get and fails `npm install` when it cannot (offline, a proxy, GitHub unreachable). This
// folder is installed AS @electron/get (package.json: "@electron/get": "file:scripts/electron-get";
// its version satisfies electron's range, so electron uses it): the real @electron/get (the pinned
// devDependency electron-get-upstream, an npm alias), except that inside electron's install script a
// failed download is recorded and ends that script with success. scripts/postinstall.js then says
// plainly whether the binary is there and why not, and `npm start` opens the app in the browser
// instead (scripts/start.js). Everywhere else a failed download stays an error.
'use strict'
const { mkdirSync, rmSync, writeFileSync } = require('node:fs')
const { dirname, join, resolve } = require('node:path')

const root = resolve(__dirname, '..', '..')
const real = require(require.resolve('electron-get-upstream', { paths: [root] }))
const { failureFile } = require('../electron-state.cjs')
// Where the failure is recorded: this checkout, or (tests) the folder IMHI_WORKBENCH_ROOT names.
const recordRoot = process.env.IMHI_WORKBENCH_ROOT ? resolve(process.env.IMHI_WORKBENCH_ROOT) : root

/** True inside electron's own install script (npm sets these for lifecycle scripts). */
function inElectronInstall() {
  return process.env.npm_package_name === 'electron' && /^(post)?install$/.test(process.env.npm_lifecycle_event || '')
}

async function downloadArtifact(options) {
  try {
    const zip = await real.downloadArtifact(options)
    rmSync(failureFile(recordRoot), { force: true })
    return zip
  } catch (err) {
    // Anywhere else (a packaging tool, setup-electron.js) a failed download stays an error.
    if (!inElectronInstall()) throw err
    const reason = err && err.message ? String(err.message).split('\n')[0] : String(err)
    const file = failureFile(recordRoot)
    mkdirSync(dirname(file), { recursive: true })
    writeFileSync(file, JSON.stringify({ version: options && options.version, reason, at: new Date().toISOString() }, null, 2) + '\n')
    console.error(`Electron's binary could not be downloaded (${reason}); the install continues without it.`)
    process.exit(0)
  }
}

module.exports = { ...real, downloadArtifact }
