import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vitest/config'

export default defineConfig({
  // Tests import renderer modules, which import each other as `@renderer/x` (see electron.vite.config.ts).
  resolve: { alias: { '@renderer': fileURLToPath(new URL('./src/renderer/src', import.meta.url)) } },
  test: {
    include: ['test/**/*.test.ts'],
    environment: 'node',
    // Native modules (better-sqlite3, llama.cpp) are safest in child processes.
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 120_000
  }
})
