#!/usr/bin/env node
// The `imhi` command. Runs the TypeScript sources through tsx, so `npx imhi` works straight after
// `npm ci` in a fresh clone with no build step.
import { register } from 'tsx/esm/api'

register()
const { main } = await import('../src/main/cli/main.ts')
const code = await main(process.argv)
process.exitCode = code
