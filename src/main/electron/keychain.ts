import { app, safeStorage } from 'electron'
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { randomBytes } from 'node:crypto'
import { join } from 'node:path'
import { DATA_KEY_FILE_NAME, type KeychainInfo } from '../inference/engines/keys'

/**
 * The OS keychain (Electron's safeStorage: Keychain on macOS, DPAPI on Windows, Secret
 * Service/KWallet on Linux) as the desktop app uses it for servers' API keys. safeStorage exists
 * only in the main process and the services run in utility processes, so the keychain guards one
 * random data key (DATA_KEY_FILE_NAME in the user-data folder, written owner-only), which the main
 * process decrypts at start and hands to its core; the core encrypts each API key with it
 * (engines/keys.ts, dataKeyCipher). Called after app 'ready' (safeStorage needs it).
 */
export function electronKeychain(): { info: KeychainInfo; dataKey: Buffer | null } {
  const backend = process.platform === 'linux' && typeof safeStorage.getSelectedStorageBackend === 'function' ? safeStorage.getSelectedStorageBackend() : ''
  const info: KeychainInfo = { available: safeStorage.isEncryptionAvailable(), backend }
  // No real keychain: no data key either (the store then refuses keys and says why).
  if (!info.available || backend === 'basic_text') return { info, dataKey: null }
  const file = join(app.getPath('userData'), DATA_KEY_FILE_NAME)
  try {
    if (existsSync(file)) {
      const key = Buffer.from(safeStorage.decryptString(readFileSync(file)), 'base64')
      if (key.length === 32) return { info, dataKey: key }
    }
  } catch {
    // The keychain changed (another user profile, a reset keychain): the stored keys cannot be
    // read any more; a new data key lets new keys be kept, and the old ones say "register again".
  }
  const key = randomBytes(32)
  const tmp = `${file}.${process.pid}.tmp`
  writeFileSync(tmp, safeStorage.encryptString(key.toString('base64')), { mode: 0o600 })
  renameSync(tmp, file)
  return { info, dataKey: key }
}
