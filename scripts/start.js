#!/usr/bin/env node
// `npm start` (after `npm run build`): the desktop window where Electron can run; otherwise the same
// app in the browser (`imhi serve` on 127.0.0.1, opened in the default browser or its URL printed),
// with one line saying why. Options: --browser (always the browser), --no-open (print the URL only),
// --port N (default 7860, or IMHI_PORT), --db FILE (default: the desktop app's database, or IMHI_DB).
import { spawn } from 'node:child_process'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { browserOpener, chooseMode, desktopDbFile, portFree } from './start-mode.js'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
// Test hook: where to look for Electron (a folder with node_modules/electron), instead of this checkout.
const electronRoot = process.env.IMHI_START_ELECTRON_ROOT ? resolve(process.env.IMHI_START_ELECTRON_ROOT) : root

let opts
try {
  opts = parseArgs({
    options: {
      browser: { type: 'boolean', default: false },
      'no-open': { type: 'boolean', default: false },
      port: { type: 'string' },
      db: { type: 'string' }
    }
  }).values
} catch (err) {
  console.error(`npm start: ${err.message}\nUsage: npm start -- [--browser] [--no-open] [--port N] [--db FILE]`)
  process.exit(2)
}

const say = (line) => process.stdout.write(`IMHI Workbench: ${line}\n`)

function runDesktop(executable) {
  const started = Date.now()
  const child = spawn(executable, ['.'], { cwd: root, stdio: 'inherit' })
  child.once('error', (err) => {
    void runBrowser(`the desktop app could not be started (${err.message})`)
  })
  child.once('exit', (code, signal) => {
    // A window that dies at once (missing system libraries, a broken install) falls back to the browser;
    // a window the user closed later just ends `npm start`.
    if (code !== 0 && signal === null && Date.now() - started < 15_000) {
      void runBrowser(`the desktop app exited at start with code ${code} (see above)`)
      return
    }
    process.exit(code ?? 0)
  })
  for (const sig of ['SIGINT', 'SIGTERM']) process.once(sig, () => child.kill(sig))
}

async function runBrowser(reason) {
  say(`opening the app in your browser instead of a desktop window, because ${reason}.`)
  const host = '127.0.0.1'
  const wanted = opts.port ?? process.env.IMHI_PORT ?? '7860'
  if (!/^\d+$/.test(wanted) || Number(wanted) > 65535) {
    console.error(`npm start: --port must be a number from 0 to 65535, not "${wanted}".`)
    process.exit(2)
  }
  let port = Number(wanted)
  if (port !== 0 && !(await portFree(port, host))) {
    say(`port ${port} on ${host} is already in use (another imhi serve or app?); serving on a free port instead (choose one with \`npm start -- --port N\`).`)
    port = 0
  }
  const db = resolve(opts.db ?? desktopDbFile())
  const child = spawn(process.execPath, [join(root, 'bin', 'imhi.js'), 'serve', '--db', db, '--port', String(port), '--host', host], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'inherit']
  })
  let out = ''
  let opened = false
  child.stdout.on('data', (chunk) => {
    process.stdout.write(chunk)
    out += String(chunk)
    const m = /Open (http:\/\/\S+)/.exec(out)
    if (m && !opened) {
      opened = true
      openInBrowser(m[1])
    }
  })
  for (const sig of ['SIGINT', 'SIGTERM']) process.once(sig, () => child.kill(sig))
  child.once('exit', (code) => process.exit(code ?? 0))
}

function openInBrowser(url) {
  const noDisplay = process.platform === 'linux' && !process.env.DISPLAY && !process.env.WAYLAND_DISPLAY
  if (opts['no-open'] || process.env.IMHI_NO_OPEN || noDisplay) {
    say('open the URL above in your browser.')
    return
  }
  const { command, args } = browserOpener()
  const opener = spawn(command, [...args, url], { stdio: 'ignore', detached: true })
  opener.once('error', () => say(`could not start a browser (${command}); open the URL above yourself.`))
  opener.once('spawn', () => say('opened it in your default browser (if nothing appeared, open the URL above).'))
  opener.unref()
}

// An Electron that was never installed/built gets the browser; the decision and reasons are in start-mode.js.
const choice = chooseMode({ root: electronRoot, forceBrowser: opts.browser })
if (choice.mode === 'desktop') runDesktop(choice.executable)
else await runBrowser(choice.reason)
