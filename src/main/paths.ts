import { existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

/** The package root (where package.json is), found from this file whether run from src/ or out/. */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url))
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, 'package.json'))) return dir
    dir = dirname(dir)
  }
  throw new Error('package.json not found above ' + fileURLToPath(import.meta.url))
}

export function rendererDir(): string {
  return process.env.IMHI_RENDERER_DIR ?? join(packageRoot(), 'out', 'renderer')
}
