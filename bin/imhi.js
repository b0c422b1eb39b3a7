#!/usr/bin/env node
// The `imhi` command. Runs the TypeScript sources through tsx, so `npx imhi` works straight after
// `npm ci` in a fresh clone with no build step.
import { register } from 'tsx/esm/api'

// `imhi search ... --json | head`: a reader that closes the pipe early is not an error.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err) => {
    if (err && err.code === 'EPIPE') process.exit(process.exitCode ?? 0)
    throw err
  })
}

register()
const { main } = await import('../src/main/cli/main.ts')
process.exitCode = await main(process.argv)
