#!/usr/bin/env node
// The `imhi` command. Runs the built JavaScript (out/main/cli.js, written by `npm run build` and by
// the install step) when it is at least as new as every source file; otherwise (a checkout being
// edited) runs the TypeScript sources through tsx, so `npx imhi` always runs the code as it is.
import { readdirSync, statSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

// `imhi search ... --json | head`: a reader that closes the pipe early is not an error.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err) => {
    if (err && err.code === 'EPIPE') process.exit(process.exitCode ?? 0)
    throw err
  })
}

const built = new URL('../out/main/cli.js', import.meta.url)
const sources = [new URL('../src/main/', import.meta.url), new URL('../src/shared/', import.meta.url)]

/** Newest modification time under a folder (0 where it does not exist: an installed package). */
function newest(dir) {
  let max = 0
  let entries
  try {
    entries = readdirSync(dir, { withFileTypes: true, recursive: true })
  } catch {
    return 0
  }
  for (const e of entries) {
    if (!e.isFile()) continue
    const t = statSync(`${e.parentPath ?? e.path}/${e.name}`).mtimeMs
    if (t > max) max = t
  }
  return max
}

function builtIsCurrent() {
  let builtAt
  try {
    builtAt = statSync(built).mtimeMs
  } catch {
    return false
  }
  if (process.env.IMHI_FROM_SOURCE) return false
  return sources.every((dir) => newest(fileURLToPath(dir)) <= builtAt)
}

let main
if (builtIsCurrent()) {
  ;({ main } = await import(built.href))
} else {
  const { register } = await import('tsx/esm/api')
  register()
  ;({ main } = await import('../src/main/cli/main.ts'))
}
process.exitCode = await main(process.argv)
