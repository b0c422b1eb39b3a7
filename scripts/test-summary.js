#!/usr/bin/env node
// Reads the output of `npm test` (vitest, then Playwright) on stdin and prints one plain closing
// line, "tests: N passed, N failed, N skipped", that any CI reader understands.
import { readFileSync } from 'node:fs'

const text = readFileSync(0, 'utf8').replace(/\x1b\[[0-9;]*m/g, '')
const num = (re, s) => Number(re.exec(s)?.[1] ?? 0)

// vitest: "      Tests  1 failed | 315 passed | 2 skipped (318)"
const vitest = /^\s*Tests\s+(.*)\(\d+\)\s*$/m.exec(text)
const v = vitest ? vitest[1] : ''
// Playwright, after vitest: "  14 passed (2.5m)", "  4 skipped", "  1 failed"
const pw = vitest ? text.slice(vitest.index + vitest[0].length) : text

const passed = num(/(\d+) passed/, v) + num(/^\s*(\d+) passed \(/m, pw)
const failed = num(/(\d+) failed/, v) + num(/^\s*(\d+) failed\s*$/m, pw)
const skipped = num(/(\d+) skipped/, v) + num(/^\s*(\d+) skipped\s*$/m, pw)
process.stdout.write(`tests: ${passed} passed, ${failed} failed, ${skipped} skipped\n`)
