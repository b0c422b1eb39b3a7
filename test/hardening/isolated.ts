import { spawnSync } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'

export const ROOT = resolve(__dirname, '..', '..')
export const BIN = join(ROOT, 'bin', 'imhi.js')

/**
 * Runs `body` (TypeScript, with `src` bound to the repository's src folder) in a child process
 * with a time limit, so a call that blocks its thread forever (an open() on a FIFO) fails the
 * test instead of hanging the test runner. Resolves with what the script printed, or timedOut.
 */
export function runIsolated(dir: string, body: string, timeoutMs = 30_000): { timedOut: boolean; stdout: string; stderr: string; code: number | null } {
  const file = join(dir, `isolated-${Math.random().toString(36).slice(2)}.mts`)
  writeFileSync(file, `const src = ${JSON.stringify(join(ROOT, 'src'))}\n${body}\n`)
  const r = spawnSync(process.execPath, ['--import', 'tsx', file], { cwd: ROOT, encoding: 'utf8', timeout: timeoutMs, killSignal: 'SIGKILL' })
  const timedOut = r.error !== undefined && (r.error as NodeJS.ErrnoException).code === 'ETIMEDOUT'
  return { timedOut: timedOut || r.signal === 'SIGKILL', stdout: r.stdout ?? '', stderr: r.stderr ?? '', code: r.status }
}

export function imhiCli(args: string[], timeoutMs = 60_000): { timedOut: boolean; code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, encoding: 'utf8', timeout: timeoutMs, killSignal: 'SIGKILL' })
  return { timedOut: r.signal === 'SIGKILL', code: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '' }
}
