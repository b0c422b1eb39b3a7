import { app, safeStorage } from 'electron'
import { join } from 'node:path'
import { createFileKeyStore, type ApiKeyStore } from '../inference/engines/keys'

/** The file in the user-data folder that holds servers' API keys, each encrypted by the OS keychain. */
export const KEY_FILE_NAME = 'server-keys.json'

/**
 * Servers' API keys in the desktop app: Electron's safeStorage (Keychain on macOS, DPAPI on
 * Windows, Secret Service/KWallet on Linux) encrypts each key; the encrypted keys live in a file
 * in the user-data folder, never in the database. Called after app 'ready' (safeStorage needs it).
 */
export function electronKeyStore(): ApiKeyStore {
  return createFileKeyStore(join(app.getPath('userData'), KEY_FILE_NAME), {
    isEncryptionAvailable: () => safeStorage.isEncryptionAvailable(),
    encryptString: (plain) => safeStorage.encryptString(plain),
    decryptString: (encrypted) => safeStorage.decryptString(encrypted),
    // Linux only; elsewhere the OS keychain is always the backend.
    backend: () => (process.platform === 'linux' && typeof safeStorage.getSelectedStorageBackend === 'function' ? safeStorage.getSelectedStorageBackend() : '')
  })
}
