import { describe, expect, it } from 'vitest'
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { tempDir } from '../support/tmp'

const CLI = join(__dirname, '..', '..', 'bin', 'imhi.js')

/** Starts `imhi serve`, collects its output until `done` says enough, then stops it with SIGTERM. */
async function runServe(
  args: string[],
  env: Record<string, string>,
  done: (out: string, err: string) => boolean,
  whileRunning?: (out: string) => Promise<void>
) {
  const child: ChildProcess = spawn(process.execPath, [CLI, 'serve', ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  let err = ''
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`imhi serve: no output in time\n${out}\n${err}`)), 45_000)
    const check = () => {
      if (done(out, err)) {
        clearTimeout(timer)
        resolve()
      }
    }
    child.stdout!.on('data', (d) => ((out += String(d)), check()))
    child.stderr!.on('data', (d) => ((err += String(d)), check()))
    void exited.then(() => (clearTimeout(timer), resolve()))
  })
  try {
    if (whileRunning && child.exitCode === null) await whileRunning(out)
  } finally {
    if (child.exitCode === null) child.kill('SIGTERM')
  }
  const code = await exited
  return { out, err, code }
}

describe('imhi serve (CLI)', () => {
  const dir = tempDir()
  const renderer = join(dir, 'renderer')
  mkdirSync(renderer, { recursive: true })
  writeFileSync(join(renderer, 'index.html'), '<!doctype html><title>t</title>')
  const env = { IMHI_RENDERER_DIR: renderer }

  it('prints a 127.0.0.1 URL with a random token and the research-use line, and stops cleanly on SIGTERM', async () => {
    let url = ''
    const r = await runServe(['--db', join(dir, 'a.db'), '--port', '0'], env, (out) => {
      const m = /(http:\/\/127\.0\.0\.1:\d+\/\?token=[A-Za-z0-9_-]+)/.exec(out)
      if (m) url = m[1]
      // The notice is the line after the URL; it may arrive in a later chunk.
      return url !== '' && /research use only/i.test(out)
    })
    expect(url).not.toBe('')
    expect(r.err).not.toMatch(/Warning/)
    expect(r.out).toMatch(/research use only/i)
    expect(r.code).toBe(0)
  })

  it('actually serves the API with the printed token, and refuses it without', async () => {
    let transport = ''
    let without = 0
    await runServe(
      ['--db', join(dir, 'b.db'), '--port', '0'],
      env,
      (out) => /token=[A-Za-z0-9_-]+\n/.test(out),
      async (out) => {
        const m = /http:\/\/127\.0\.0\.1:(\d+)\/\?token=([A-Za-z0-9_-]+)/.exec(out)!
        const res = await fetch(`http://127.0.0.1:${m[1]}/api/call/app.info`, { method: 'POST', headers: { authorization: `Bearer ${m[2]}` }, body: '{}' })
        transport = ((await res.json()) as { result: { transport: string } }).result.transport
        without = (await fetch(`http://127.0.0.1:${m[1]}/api/call/app.info`, { method: 'POST', body: '{}' })).status
      }
    )
    expect(transport).toBe('serve')
    expect(without).toBe(401)
  })

  it('warns on stderr when bound to a network interface', async () => {
    const r = await runServe(['--db', join(dir, 'c.db'), '--port', '0', '--host', '0.0.0.0'], env, (_out, err) => /Warning/.test(err))
    expect(r.err).toMatch(/Warning: bound to 0\.0\.0\.0, not 127\.0\.0\.1/)
    expect(r.out).toMatch(/http:\/\/0\.0\.0\.0:\d+\/\?token=/)
  })

  it('fails with a clear message when the renderer is not built', async () => {
    const r = await runServe(['--db', join(dir, 'd.db'), '--port', '0'], { IMHI_RENDERER_DIR: join(dir, 'missing') }, () => false)
    expect(r.code).not.toBe(0)
    expect(r.err).toMatch(/not built.*npm run build/)
  })
})
