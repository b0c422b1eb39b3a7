import { spawn, type ChildProcess } from 'node:child_process'
import { join } from 'node:path'

/**
 * Starts `imhi serve` (bin/imhi.js under `root`) with `args` in a child process and resolves with the
 * URL it prints (with its token) once it listens; rejects with its stderr if it exits first or is
 * not listening within 60 s. Used by the e2e fixtures and the annotation benchmark.
 */
export async function spawnServe(root: string, args: readonly string[]): Promise<{ url: string; process: ChildProcess }> {
  const child = spawn(process.execPath, [join(root, 'bin', 'imhi.js'), 'serve', ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] })
  let stderr = ''
  child.stderr!.on('data', (d) => (stderr += String(d)))
  const url = await new Promise<string>((resolveUrl, reject) => {
    let out = ''
    const timer = setTimeout(() => reject(new Error(`imhi serve did not start in 60 s: ${stderr}`)), 60_000)
    child.stdout!.on('data', (d) => {
      out += String(d)
      const m = /(http:\/\/\S+\?token=\S+)/.exec(out)
      if (m) {
        clearTimeout(timer)
        resolveUrl(m[1])
      }
    })
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`imhi serve exited (${code}): ${stderr}`))
    })
  })
  return { url, process: child }
}
