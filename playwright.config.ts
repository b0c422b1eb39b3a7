import { defineConfig } from '@playwright/test'

/**
 * e2e: the real renderer in Debian's Chromium against `imhi serve` (fixtures in e2e/fixtures.ts),
 * plus the Electron e2e (e2e/electron.spec.ts) that runs where Electron's binary exists.
 */
export default defineConfig({
  testDir: 'e2e',
  timeout: 120_000,
  expect: { timeout: 15_000 },
  fullyParallel: false,
  workers: 1,
  retries: 0,
  reporter: [['list']],
  use: {
    viewport: { width: 1400, height: 900 },
    trace: 'off'
  }
})
