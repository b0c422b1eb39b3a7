import { join } from 'node:path'
import { afterAll } from 'vitest'
import { openDatabase } from '../../src/main/db/open'
import { createServices, type Services } from '../../src/main/services'
import { APP_VERSION } from '../../src/main/version'
import { tempDir } from './tmp'
import { readConfig } from '../../src/main/config'

/**
 * Real services on a real SQLite file in a temporary folder, closed after the test file. The
 * environment (IMHI_MEMORY_LIMIT, ...) is read as the hosts read it (src/main/config.ts).
 */
export function testServices(name = 'test.db'): Services {
  const dir = tempDir()
  const dbFile = join(dir, name)
  const s = createServices({ db: openDatabase(dbFile), dataDir: dir, platform: { transport: 'test', version: APP_VERSION, dbFile }, options: readConfig().services })
  afterAll(() => s.close())
  return s
}
