import { openDatabase } from '../db/open'
import { createServices, type Services, type ServicesOptions } from '../services'
import { createHandlers } from '../api/handlers'
import { dispatch, type CallContext, type ClientInfo } from '../api/dispatch'
import { AppError } from '../../shared/api/errors'
import type { CallMessage, RpcMessage } from '../../shared/api/protocol'
import { createRpcEndpoint, type RpcEndpoint } from '../../shared/api/rpc'
import type { Lane } from './lanes'
import { lowerLanePriority } from './priority'
import { shortWrite } from '../db/waitingWriters'
import { join } from 'node:path'
import { KEY_FILE_NAME, createFileKeyStore, dataKeyCipher, type KeychainInfo } from '../inference/engines/keys'

/** What a host tells the core it starts: plain data (it crosses a thread or process boundary). */
export interface CoreOptions {
  lane: Lane
  dbFile: string
  dataDir: string
  transport: 'electron' | 'serve'
  version: string
  /** better-sqlite3 built for Electron's ABI (the desktop app's utility process). */
  sqliteBinding?: string
  /** The host can show a native file picker (the desktop app): the core asks it (host.pickPath). */
  canPickPath?: boolean
  /**
   * How long a write waits for another connection's transaction (the other lane's import) before
   * it fails: a rating waits for the import's current file instead of failing with "locked".
   */
  busyTimeoutMs?: number
  services?: ServicesOptions
  /** The desktop app: the OS keychain's state; servers' API keys are kept (encrypted) in the user-data folder. */
  keychain?: KeychainInfo
}

/** Secrets a host hands its core apart from CoreOptions (never on a command line). */
export interface CoreSecrets {
  /** The data key that encrypts servers' API keys (engines/keys.ts, dataKeyCipher). */
  dataKey?: Buffer | null
}

/** How a host hands the data key to a utility process: an environment entry, read once and removed. */
export const DATA_KEY_ENV = 'IMHI_CORE_DATA_KEY'

/** How the core's messages travel: a worker thread's parentPort or a utility process's parentPort. */
export interface CorePort {
  post(msg: RpcMessage): void
  onMessage(listener: (msg: RpcMessage) => void): void
}

/**
 * Calls whose only effect is one write (a transaction or one statement) made before anything
 * else happens: when the database is busy (the jobs lane's import holds the write lock for its
 * current chunk), they announce themselves to the importer (db/waitingWriters.ts), which makes
 * room after that chunk, and are run again every millisecond or so instead of holding the lane's
 * event loop in SQLite's busy wait, so every other call of the core lane (pings, searches, queues)
 * goes on.
 */
const RETRY_WHEN_BUSY: ReadonlySet<string> = new Set(['annotation.rate', 'annotation.setItemState'])
/** How long such a call lets SQLite wait for the lock in its first try (another short write is over by then); then it announces itself. */
const SHORT_BUSY_MS = 1

/** The call a lane makes on its host before it loads a model: the other lane releases an idle one. */
export const HOST_RELEASE_MODELS = 'host.releaseModels'
/** How long a load waits for the other lane's release before it goes ahead anyway. */
const RELEASE_WAIT_MS = 3000

/** Control calls a host makes on its core (everything else is an API method, dispatched). */
export const CORE_CONTROL = {
  ping: 'core.ping',
  subscribe: 'core.subscribe',
  unsubscribe: 'core.unsubscribe',
  resolveToken: 'core.resolveToken',
  releaseModels: 'core.releaseModels',
  close: 'core.close'
} as const

/**
 * The services behind the one door (api/dispatch.ts), answering the host's calls over the RPC
 * envelope. The host has identified each caller (msg.as); events reach a client only through the
 * EventHub's audience rules (api/audience.ts), applied here exactly as in one process.
 */
export function startCore(port: CorePort, opts: CoreOptions, secrets: CoreSecrets = {}): { services: Services; rpc: RpcEndpoint } {
  // Long jobs take the CPU the answering threads leave (the ping stays within a frame on a busy machine).
  if (opts.lane === 'jobs') lowerLanePriority()
  const db = openDatabase(opts.dbFile, { nativeBinding: opts.sqliteBinding })
  const busyMs = Math.max(5000, opts.busyTimeoutMs ?? 60_000)
  db.pragma(`busy_timeout = ${busyMs}`)
  let rpc: RpcEndpoint
  const services = createServices({
    db,
    dataDir: opts.dataDir,
    platform: {
      transport: opts.transport,
      version: opts.version,
      dbFile: opts.dbFile,
      ...(opts.keychain ? { apiKeys: createFileKeyStore(join(opts.dataDir, KEY_FILE_NAME), dataKeyCipher(secrets.dataKey ?? null, opts.keychain)) } : {}),
      ...(opts.canPickPath ? { pickPath: async (kind, o) => ((await rpc.call('host.pickPath', { kind, ...o })) as { path: string | null }).path } : {})
    },
    // Runs run in the core lane only: the jobs lane (same process id under imhi serve) leaves
    // their 'running' state alone.
    options: {
      ...opts.services,
      inference: {
        ...opts.services?.inference,
        ownsRuns: opts.lane === 'core',
        // One copy of a model's weights per machine: before this lane loads one, the other lane
        // releases its own if idle (a run's model when evaluation's LM score starts, and back).
        // A lane busy with a long synchronous step does not hold the load up beyond RELEASE_WAIT_MS.
        beforeModelLoad: () => Promise.race([rpc.call(HOST_RELEASE_MODELS, {}), new Promise((r) => setTimeout(r, RELEASE_WAIT_MS).unref())])
      }
    }
  })
  const handlers = createHandlers(services)
  const subscriptions = new Map<string, () => void>()

  const answer = async (msg: CallMessage): Promise<unknown> => {
    const p = (msg.params ?? {}) as Record<string, unknown>
    // A control call is the host's own and names no caller; every API call names one. So a client
    // that sends "core.close" or "core.subscribe" reaches the dispatcher, which knows no such method.
    if (!msg.as) switch (msg.method) {
      case CORE_CONTROL.ping:
        return { lane: opts.lane, at: Date.now() }
      case CORE_CONTROL.subscribe: {
        const client = p.client as ClientInfo
        subscriptions.get(client.id)?.()
        subscriptions.set(
          client.id,
          services.events.subscribe((event, payload) => rpc.event(event, payload, [client.id]), client)
        )
        return { subscribed: true }
      }
      case CORE_CONTROL.unsubscribe: {
        const id = String(p.clientId)
        subscriptions.get(id)?.()
        subscriptions.delete(id)
        return { subscribed: false }
      }
      case CORE_CONTROL.releaseModels:
        return { released: await services.inference.releaseIdleModel() }
      case CORE_CONTROL.resolveToken:
        return services.annotation.resolveToken(String(p.token))
      case CORE_CONTROL.close:
        await services.close()
        return { closed: true }
    }
    if (!msg.as) throw new AppError('forbidden', `A call to the core must name its caller (${msg.method}).`)
    const client: ClientInfo = { id: msg.as.id, transport: msg.as.transport, role: msg.as.role, annotatorId: msg.as.annotatorId }
    const ctx: CallContext = {
      client,
      emit: (event, payload) => {
        if (services.events.allows(client, event, payload)) rpc.event(event, payload, [client.id])
      }
    }
    if (!RETRY_WHEN_BUSY.has(msg.method)) return await dispatch(handlers, msg.method, msg.params, ctx)
    // A rating during an import: announced to the importer, which makes room after its current chunk.
    return await shortWrite(db, () => dispatch(handlers, msg.method, msg.params, ctx), { timeoutMs: busyMs, busyTimeoutMs: busyMs, firstTryMs: SHORT_BUSY_MS })
  }

  rpc = createRpcEndpoint({
    send: (msg) => port.post(msg),
    answer,
    onInternalError: (method, err) => console.error(`IMHI Workbench core (${opts.lane}): ${method} failed:`, err),
    // Each answer tells the host how long it held this lane's event loop (serve's fair share).
    measureHeld: true
  })
  port.onMessage((msg) => rpc.receive(msg))
  return { services, rpc }
}
