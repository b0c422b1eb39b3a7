import { chmodSync, existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto'
import { AppError } from '../../../shared/api/errors'

/**
 * Where API keys of registered servers can be kept apart from the database: the desktop app's
 * OS keychain (Electron's safeStorage: Keychain on macOS, DPAPI on Windows, libsecret/kwallet on
 * Linux) encrypting a key file in its user-data folder. The CLI and `imhi serve` have none: there
 * a key comes from the environment variable the server was registered with.
 */
export interface ApiKeyStore {
  /** Whether keys can be stored now (the OS keychain answers), and why not. */
  status(): { available: boolean; reason: string }
  get(serverName: string): string | null
  has(serverName: string): boolean
  set(serverName: string, key: string): void
  remove(serverName: string): void
}

/** The OS's encryption, as Electron's safeStorage offers it. */
export interface KeyCipher {
  isEncryptionAvailable(): boolean
  encryptString(plain: string): Buffer
  decryptString(encrypted: Buffer): string
  /** Linux: which secret store backs it ('basic_text' = no real keychain, only obfuscation). */
  backend?(): string
}

interface KeyFile {
  version: 1
  /** Server name -> the key encrypted by the OS keychain, base64. */
  keys: Record<string, string>
}

/**
 * Keys in one file, each value encrypted by the OS keychain; the file holds no plain key and is
 * written atomically (temp file + rename) with owner-only permissions. A key is never logged,
 * returned by the API or put in an error message.
 */
export function createFileKeyStore(file: string, cipher: KeyCipher): ApiKeyStore {
  const read = (): KeyFile => {
    if (!existsSync(file)) return { version: 1, keys: {} }
    try {
      const parsed = JSON.parse(readFileSync(file, 'utf8')) as KeyFile
      if (parsed?.version !== 1 || typeof parsed.keys !== 'object' || parsed.keys === null) throw new Error('unknown layout')
      return parsed
    } catch (err) {
      throw new AppError('bad_file', `The key file ${file} is damaged (${err instanceof Error ? err.message : String(err)}); remove it and store the keys again.`, { file })
    }
  }
  const write = (data: KeyFile): void => {
    const tmp = `${file}.${process.pid}.tmp`
    writeFileSync(tmp, JSON.stringify(data), { mode: 0o600 })
    renameSync(tmp, file)
    try {
      chmodSync(file, 0o600)
    } catch {
      // Windows: permissions are the user profile's.
    }
  }
  const status = (): { available: boolean; reason: string } => {
    if (!cipher.isEncryptionAvailable()) return { available: false, reason: 'the system keychain is not available (on Linux: no Secret Service or KWallet running)' }
    const backend = cipher.backend?.()
    if (backend === 'basic_text') return { available: false, reason: 'no system keychain on this Linux desktop (Electron would only obfuscate the key); use an environment variable' }
    return { available: true, reason: backend ? `system keychain (${backend})` : 'system keychain' }
  }
  const requireAvailable = () => {
    const s = status()
    if (!s.available) throw new AppError('unsupported', `Cannot keep the API key: ${s.reason}.`, { field: 'apiKey' })
  }
  return {
    status,
    has: (name) => Object.prototype.hasOwnProperty.call(read().keys, name),
    get(name) {
      const enc = read().keys[name]
      if (enc === undefined) return null
      requireAvailable()
      try {
        return cipher.decryptString(Buffer.from(enc, 'base64'))
      } catch {
        throw new AppError('unsupported', `The stored API key of server "${name}" cannot be decrypted (the keychain changed?): register the server again with its key.`, { field: 'apiKey' })
      }
    },
    set(name, key) {
      requireAvailable()
      const data = read()
      data.keys[name] = cipher.encryptString(key).toString('base64')
      write(data)
    },
    remove(name) {
      const data = read()
      if (!(name in data.keys)) return
      delete data.keys[name]
      write(data)
    }
  }
}

/** The file in the user-data folder that holds servers' API keys, each encrypted (see dataKeyCipher). */
export const KEY_FILE_NAME = 'server-keys.json'
/** The file that holds the data key, encrypted by the OS keychain itself (Electron's safeStorage). */
export const DATA_KEY_FILE_NAME = 'server-keys.key'

/** What the desktop host tells its core about the OS keychain (plain data; the data key travels apart). */
export interface KeychainInfo {
  /** Whether the OS keychain answered when the app started. */
  available: boolean
  /** Linux: safeStorage's backend ('basic_text' = no real keychain); '' elsewhere. */
  backend: string
}

/**
 * The cipher of the desktop app's core (its utility processes, where Electron's safeStorage does
 * not exist): AES-256-GCM under a random 32-byte data key that the main process keeps encrypted by
 * the OS keychain (DATA_KEY_FILE_NAME) and hands to the core at start, never on a command line.
 * This is how the OS keychains themselves are used by Chromium: the keychain guards one key, that
 * key encrypts the values. Each value: 12-byte IV, 16-byte tag, ciphertext.
 */
export function dataKeyCipher(dataKey: Buffer | null, info: KeychainInfo): KeyCipher {
  return {
    isEncryptionAvailable: () => info.available && (dataKey?.length === 32 || info.backend === 'basic_text'),
    backend: () => info.backend,
    encryptString(plain) {
      if (!dataKey) throw new Error('no data key')
      const iv = randomBytes(12)
      const c = createCipheriv('aes-256-gcm', dataKey, iv)
      const body = Buffer.concat([c.update(plain, 'utf8'), c.final()])
      return Buffer.concat([iv, c.getAuthTag(), body])
    },
    decryptString(encrypted) {
      if (!dataKey) throw new Error('no data key')
      if (encrypted.length < 28) throw new Error('too short')
      const d = createDecipheriv('aes-256-gcm', dataKey, encrypted.subarray(0, 12))
      d.setAuthTag(encrypted.subarray(12, 28))
      return Buffer.concat([d.update(encrypted.subarray(28)), d.final()]).toString('utf8')
    }
  }
}
