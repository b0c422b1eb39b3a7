// Packaging: electron-builder.yml is valid for the installed electron-builder (its own schema), has a
// target for each OS, unpacks the native modules from the asar, ships SQLite for Electron where the
// main process looks for it, and has the icon; the npm install stays offline-safe; where Electron's
// binary exists, `npm run dist:check` builds the unpacked app (elsewhere it says it skips).
import { describe, expect, it } from 'vitest'
import { spawnSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'

const ROOT = join(__dirname, '..', '..')
const require = createRequire(join(ROOT, 'package.json'))
const yaml = require('js-yaml') as { load: (text: string) => unknown }
const config = yaml.load(readFileSync(join(ROOT, 'electron-builder.yml'), 'utf8')) as Record<string, any>
const { electronState } = require(join(ROOT, 'scripts', 'electron-state.cjs')) as { electronState: (root: string) => { installed: boolean; reason?: string } }

/** Width and height from a PNG's IHDR chunk. */
function pngSize(file: string): { width: number; height: number } {
  const b = readFileSync(file)
  expect(b.subarray(1, 4).toString('ascii')).toBe('PNG')
  return { width: b.readUInt32BE(16), height: b.readUInt32BE(20) }
}

describe('electron-builder configuration', () => {
  it("passes electron-builder's own schema validation", async () => {
    const { validateConfiguration } = require('app-builder-lib/out/util/config/config') as { validateConfiguration: (c: unknown, log: unknown) => Promise<void> }
    const { DebugLogger } = require('builder-util') as { DebugLogger: new (enabled: boolean) => unknown }
    await expect(validateConfiguration(config, new DebugLogger(false))).resolves.toBeUndefined()
    // The same check fails on a misspelt option, so the check is real.
    await expect(validateConfiguration({ ...config, linux: { ...config.linux, tragets: ['deb'] } }, new DebugLogger(false))).rejects.toThrow(/Invalid configuration object/)
  })

  it('targets: Linux AppImage and deb, Windows nsis, macOS dmg; a stable product and app id', () => {
    expect(config.linux.target).toEqual(['AppImage', 'deb'])
    expect(config.win.target).toEqual(['nsis'])
    expect(config.mac.target).toEqual(['dmg'])
    expect(config.productName).toBe('IMHI Workbench')
    expect(config.appId).toBe('org.imhi.workbench')
  })

  it('better-sqlite3, node-llama-cpp (and its per-platform binaries) and onnxruntime-node are unpacked from the asar; node_modules is not rebuilt', () => {
    const unpack: string[] = config.asarUnpack
    for (const mod of ['better-sqlite3', 'node-llama-cpp', '@node-llama-cpp', 'onnxruntime-node']) expect(unpack).toContain(`**/node_modules/${mod}/**`)
    expect(config.asar).toBe(true)
    expect(config.npmRebuild).toBe(false)
    expect(config.files).toContain('out/**')
  })

  it("ships SQLite built for Electron where the main process looks for it (process.resourcesPath/build-electron)", () => {
    expect(config.extraResources).toEqual([{ from: 'build-electron/better_sqlite3.node', to: 'build-electron/better_sqlite3.node' }])
    const main = readFileSync(join(ROOT, 'src', 'main', 'electron', 'index.ts'), 'utf8')
    expect(main).toContain("join(process.resourcesPath ?? '', 'build-electron', 'better_sqlite3.node')")
  })

  it('the app icon is in resources/ (a PNG large enough for every platform) and is also the favicon', () => {
    expect(config.directories.buildResources).toBe('resources')
    for (const os of ['linux', 'win', 'mac']) expect(config[os].icon).toBe('resources/icon.png')
    expect(pngSize(join(ROOT, 'resources', 'icon.png'))).toEqual({ width: 1024, height: 1024 })
    const html = readFileSync(join(ROOT, 'src', 'renderer', 'index.html'), 'utf8')
    expect(html).toContain('<link rel="icon" type="image/svg+xml" href="./favicon.svg" />')
    expect(readFileSync(join(ROOT, 'src', 'renderer', 'public', 'favicon.svg'), 'utf8')).toBe(readFileSync(join(ROOT, 'resources', 'icon.svg'), 'utf8'))
    expect(pngSize(join(ROOT, 'src', 'renderer', 'public', 'favicon.png'))).toEqual({ width: 64, height: 64 })
  })
})

describe('installing stays offline-safe (npm ci from the registry only)', () => {
  const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, { resolved?: string; link?: boolean; hasInstallScript?: boolean; version?: string }> }

  it('every package comes from the npm registry or is a local link (no git or GitHub tarballs)', () => {
    const elsewhere = Object.entries(lock.packages)
      .filter(([path, p]) => path !== '' && !p.link && p.resolved !== undefined && !p.resolved.startsWith('https://registry.npmjs.org/'))
      .map(([path, p]) => `${path}: ${p.resolved}`)
    expect(elsewhere).toEqual([])
  })

  it('the install scripts are the known ones (each tolerates being offline or downloads nothing)', () => {
    const withScripts = Object.entries(lock.packages)
      .filter(([path, p]) => path !== '' && p.hasInstallScript)
      .map(([path]) => path.replace(/^.*node_modules\//, ''))
      .sort()
    // better-sqlite3: prebuild-install, else a local node-gyp compile; electron: through scripts/electron-get
    // (a failed download does not fail the install); esbuild: picks its platform package, installed by npm;
    // node-llama-cpp: uses its prebuilt @node-llama-cpp/* packages (NODE_LLAMA_CPP_SKIP_DOWNLOAD in CI);
    // electron-winstaller (electron-builder): copies a bundled 7-Zip, no download; onnxruntime-node:
    // its CPU binaries ship in the package, and .npmrc skips the script's GPU-library download.
    expect([...new Set(withScripts)]).toEqual(['better-sqlite3', 'electron', 'electron-winstaller', 'esbuild', 'node-llama-cpp', 'onnxruntime-node'])
    expect(readFileSync(join(ROOT, '.npmrc'), 'utf8')).toMatch(/^onnxruntime-node-install=skip$/m)
  })

  it('electron-builder is pinned exactly', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'))
    expect(pkg.devDependencies['electron-builder']).toMatch(/^\d+\.\d+\.\d+$/)
    expect(pkg.scripts.dist).toBe('node scripts/dist.js')
  })
})

const electron = electronState(ROOT)
describe('npm run dist:check', () => {
  it.skipIf(electron.installed)(`says plainly that it skips the unpacked build without Electron's binary (here: ${electron.reason ?? 'installed'})`, () => {
    const r = spawnSync(process.execPath, [join(ROOT, 'scripts', 'dist.js'), '--check'], { encoding: 'utf8' })
    expect(r.status).toBe(0)
    expect(r.stdout).toMatch(/^dist --check: SKIPPED the unpacked build: Electron's binary is not installed \(/)
  })

  it.skipIf(!electron.installed || !existsSync(join(ROOT, 'build-electron', 'better_sqlite3.node')) || !existsSync(join(ROOT, 'out', 'main', 'index.js')))(
    'builds the unpacked app from the installed Electron and finds the asar, the unpacked native modules and SQLite for Electron in it',
    () => {
      const r = spawnSync(process.execPath, [join(ROOT, 'scripts', 'dist.js'), '--check'], { encoding: 'utf8', timeout: 600_000 })
      expect(r.status, r.stderr + r.stdout).toBe(0)
      expect(r.stdout).toContain('all there')
    },
    600_000
  )
})
