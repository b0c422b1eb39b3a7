/**
 * npm run bench:cli
 *
 * Wall time of `imhi --help` and `imhi stats --json` (on a small imported database), best and median
 * of 7, from the built JavaScript (out/main/cli.js, built first if missing or stale) and from the
 * TypeScript sources through tsx (IMHI_FROM_SOURCE=1, what a checkout being edited runs), with
 * `node -e 0` beside them for scale. Target: the built CLI under 0.3 s for both.
 */
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { writeManyItems } from '../test/inference/helpers'

const ROOT = resolve(import.meta.dirname, '..')
const CLI = join(ROOT, 'bin', 'imhi.js')
const RUNS = 7

const build = spawnSync('npx', ['electron-vite', 'build'], { cwd: ROOT, encoding: 'utf8' })
if (build.status !== 0) {
  console.error(`bench:cli: the build failed:\n${build.stderr}`)
  process.exit(1)
}

const dir = mkdtempSync(join(tmpdir(), 'imhi-bench-cli-'))
const db = join(dir, 'cli.db')
spawnSync(process.execPath, [CLI, 'import', writeManyItems(dir, 200), '--db', db], { cwd: ROOT })

function time(args: string[], env: Record<string, string> = {}): { best: number; median: number } {
  const t: number[] = []
  for (let i = 0; i < RUNS; i++) {
    const start = performance.now()
    const r = spawnSync(args[0], args.slice(1), { cwd: ROOT, env: { ...process.env, ...env }, encoding: 'utf8' })
    t.push((performance.now() - start) / 1000)
    if (r.status !== 0) throw new Error(`${args.join(' ')} failed: ${r.stderr}`)
  }
  t.sort((a, b) => a - b)
  return { best: t[0], median: t[Math.floor(t.length / 2)] }
}

const fmt = (r: { best: number; median: number }) => `best ${r.best.toFixed(3)} s, median ${r.median.toFixed(3)} s`
const base = time([process.execPath, '-e', '0'])
console.log(`node -e 0                        ${fmt(base)}`)
for (const [label, args] of [
  ['imhi --help', ['--help']],
  ['imhi stats --json', ['stats', '--db', db, '--json']]
] as const) {
  const built = time([process.execPath, CLI, ...args])
  const source = time([process.execPath, CLI, ...args], { IMHI_FROM_SOURCE: '1' })
  console.log(`${label.padEnd(18)} built    ${fmt(built)}  (${(built.median / base.median).toFixed(1)}x node -e 0; target < 0.3 s)`)
  console.log(`${label.padEnd(18)} via tsx  ${fmt(source)}`)
}
rmSync(dir, { recursive: true, force: true })
