import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    environment: 'node',
    // Native modules (better-sqlite3, llama.cpp) are safest in child processes.
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 120_000
  }
})
