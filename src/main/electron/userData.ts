/**
 * The name of the desktop app's user-data folder (where imhi-workbench.db lives), whatever a packaged
 * build's product name is. Must equal USER_DATA_NAME in scripts/start-mode.js, whose browser fallback
 * opens the same database (test/app/start-fallback.test.ts checks both).
 */
export const USER_DATA_NAME = 'imhi-workbench'
