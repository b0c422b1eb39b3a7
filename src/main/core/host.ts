import { readFileSync, unlinkSync } from 'node:fs'
import { AppError } from '../../shared/api/errors'
import type { EventName, ApiEvents } from '../../shared/api/contract'
import type { EventMessage, RpcMessage } from '../../shared/api/protocol'
import { createRpcEndpoint, type RpcEndpoint } from '../../shared/api/rpc'
import type { ApiBackend, OnHeld, TokenIdentity } from '../api/backend'
import type { CallContext, ClientInfo } from '../api/dispatch'
import type { EventListener } from '../api/events'
import { mayReceive } from '../api/audience'
import { CORE_CONTROL, HOST_RELEASE_MODELS } from './core'
import { laneOf, type Lane } from './lanes'

/** A running lane as its host sees it: a worker thread or an Electron utility process. */
export interface LaneProcess {
  post(msg: RpcMessage): void
  onMessage(listener: (msg: RpcMessage) => void): void
  /** Called once when it ends, whatever ended it; `why` in words (exit code, signal, error). */
  onExit(listener: (why: string) => void): void
  /** Ends it now (a test's kill, or a close that did not finish). */
  kill(): void
}

export type SpawnLane = (lane: Lane) => LaneProcess

export type CoreState = ApiEvents['app.core']['state']

interface LaneRecord {
  lane: Lane
  proc: LaneProcess | null
  rpc: RpcEndpoint | null
  state: CoreState
  /** Settles when the lane answers calls (rejects when it cannot start). */
  ready: Promise<void>
  startedAt: number
  /** Starts of this lane that ended within CRASH_WINDOW_MS: past MAX_QUICK_CRASHES it stays down. */
  quickCrashes: number
  /** Methods of the calls in flight, by the lane's call id order (for the message when it dies). */
  inFlight: Map<symbol, string>
}

const CRASH_WINDOW_MS = 30_000
const MAX_QUICK_CRASHES = 3

export interface CoreHostOptions {
  spawn: SpawnLane
  /** The database file (to clear an import lock a dead lane of this process left). */
  dbFile: string
  /** Calls the core makes on its host (host.pickPath in the desktop app). */
  answerHost?: (method: string, params: unknown) => unknown
  /** Each change of a lane's state (also sent to the owner's clients as app.core). */
  onState?: (status: ApiEvents['app.core']) => void
  /** One lane for everything (the old layout, for comparison in the benchmark). */
  singleLane?: boolean
}

/**
 * The host's side of the core: starts the lanes (core, then jobs), routes each call to its lane
 * (core/lanes.ts), carries events back to the clients they are for, and restarts a lane that dies.
 * A lane that dies fails the calls it was running with a message saying so; nothing it acknowledged
 * is lost (each answer is sent after its transaction commits), and the restarted lane resumes jobs
 * when asked again (runs resume, a re-import adds nothing twice).
 */
export class CoreHost implements ApiBackend {
  private readonly lanes = new Map<Lane, LaneRecord>()
  private readonly clients = new Map<string, { client: ClientInfo; listener: EventListener }>()
  private closing = false

  constructor(private readonly opts: CoreHostOptions) {}

  /** Starts the core lane, then the jobs lane (one after the other: the first one migrates the database). */
  async start(): Promise<void> {
    // A call for the jobs lane that comes before it is started (the desktop window opens at once)
    // waits for it: its `ready` is a gate that gives way to the real start.
    const gate: { open: (reason: unknown) => void } = { open: () => {} }
    const jobs = this.opts.singleLane ? null : this.record('jobs')
    if (jobs) {
      jobs.ready = new Promise<void>((_, reject) => (gate.open = reject))
      jobs.ready.catch(() => {})
    }
    try {
      await this.whenReady(this.launchRecord('core'))
    } catch (err) {
      if (jobs) jobs.state = 'failed'
      gate.open(err)
      throw err
    }
    if (jobs) {
      this.launchRecord('jobs')
      gate.open(new Error('started'))
      await this.whenReady(jobs)
    }
  }

  private launchRecord(lane: Lane): LaneRecord {
    void this.launch(lane)
    return this.record(lane)
  }

  /**
   * Settles when the lane answers: across restarts (a lane that dies while starting is started
   * again), failing only when it cannot start at all (the database cannot be opened, or it keeps
   * dying).
   */
  private async whenReady(r: LaneRecord): Promise<void> {
    for (;;) {
      const ready = r.ready
      try {
        await ready
        return
      } catch (err) {
        if (r.ready !== ready && r.state !== 'failed') continue
        throw err
      }
    }
  }

  private record(lane: Lane): LaneRecord {
    let r = this.lanes.get(lane)
    if (!r) {
      r = { lane, proc: null, rpc: null, state: 'starting', ready: Promise.resolve(), startedAt: 0, quickCrashes: 0, inFlight: new Map() }
      this.lanes.set(lane, r)
    }
    return r
  }

  private setState(r: LaneRecord, state: CoreState, message: string): void {
    r.state = state
    const status = { lane: r.lane, state, message }
    this.opts.onState?.(status)
    for (const { client, listener } of this.clients.values()) {
      if (!mayReceive(client, 'app.core', status)) continue
      try {
        listener('app.core', status)
      } catch {
        // One broken client does not stop the others.
      }
    }
  }

  private launch(lane: Lane): Promise<void> {
    const r = this.record(lane)
    const proc = this.opts.spawn(lane)
    r.proc = proc
    r.startedAt = Date.now()
    let settle: { resolve: () => void; reject: (e: unknown) => void }
    r.ready = new Promise<void>((resolve, reject) => (settle = { resolve, reject }))
    // Nobody may be waiting on a start that fails: callers see it through their own calls.
    r.ready.catch(() => {})
    const rpc = createRpcEndpoint({
      send: (msg) => proc.post(msg),
      answer: (msg) => {
        if (msg.method === HOST_RELEASE_MODELS) {
          const other = this.record(lane === 'core' ? 'jobs' : 'core')
          if (other.state !== 'ready' || !other.rpc) return { released: false }
          return other.rpc.call(CORE_CONTROL.releaseModels, {}).catch(() => ({ released: false }))
        }
        if (!this.opts.answerHost) throw new AppError('unsupported', `The host answers no ${msg.method}.`)
        return this.opts.answerHost(msg.method, msg.params)
      },
      onEvent: (msg) => this.onLaneEvent(r, msg, settle)
    })
    r.rpc = rpc
    proc.onMessage((msg) => rpc.receive(msg))
    proc.onExit((why) => this.onLaneExit(r, proc, why, settle))
    return r.ready
  }

  private onLaneEvent(r: LaneRecord, msg: EventMessage, settle: { resolve: () => void; reject: (e: unknown) => void }): void {
    if (msg.event === 'core.ready') {
      // Clients connected before (or while the lane restarted) hear its events again.
      for (const { client } of this.clients.values()) void r.rpc?.call(CORE_CONTROL.subscribe, { client }).catch(() => {})
      const restarted = r.state === 'restarting'
      this.setState(r, 'ready', restarted ? `The ${r.lane} lane was restarted; a job it was running can be started again to resume.` : `The ${r.lane} lane is ready.`)
      settle.resolve()
      return
    }
    if (msg.event === 'core.failed') {
      const e = AppError.from(msg.payload)
      r.quickCrashes = MAX_QUICK_CRASHES
      settle.reject(e)
      return
    }
    for (const id of msg.to ?? []) {
      const c = this.clients.get(id)
      if (!c) continue
      try {
        c.listener(msg.event as EventName, msg.payload as never)
      } catch {
        // A client that went away mid-send.
      }
    }
  }

  private onLaneExit(r: LaneRecord, proc: LaneProcess, why: string, settle: { resolve: () => void; reject: (e: unknown) => void }): void {
    if (r.proc !== proc) return
    r.proc = null
    const rpc = r.rpc
    r.rpc = null
    const running = [...new Set(r.inFlight.values())]
    r.inFlight.clear()
    const doing = running.length > 0 ? ` while running ${running.join(', ')}` : ''
    settle.reject(new AppError('internal', `The core's ${r.lane} lane could not start (${why}).`))
    if (this.closing) {
      rpc?.rejectAll(new AppError('cancelled', 'The server is stopping.'))
      return
    }
    // Only the lane that imports can have left the import lock (another lane's import holds it alive).
    if (r.lane === this.laneFor('imhi.import').lane) this.releaseOwnImportLock()
    if (Date.now() - r.startedAt < CRASH_WINDOW_MS) r.quickCrashes++
    else r.quickCrashes = 0
    if (r.quickCrashes >= MAX_QUICK_CRASHES) {
      rpc?.rejectAll(new AppError('internal', `The core's ${r.lane} lane stopped (${why})${doing} and keeps stopping right after its start; it is not restarted. See the log, then restart the app.`))
      this.setState(r, 'failed', `The ${r.lane} lane stopped (${why}) and keeps stopping; restart the app.`)
      return
    }
    rpc?.rejectAll(
      new AppError('internal', `The core's ${r.lane} lane stopped (${why})${doing}; it is being restarted. What it had saved is kept: start the job again to resume (an import adds nothing twice, a run continues where it stopped).`)
    )
    console.error(`IMHI Workbench: the core's ${r.lane} lane stopped (${why})${doing}; restarting it.`)
    this.setState(r, 'restarting', `The ${r.lane} lane stopped (${why})${doing}.`)
    void this.launch(r.lane).catch((err: unknown) => {
      console.error(`IMHI Workbench: the core's ${r.lane} lane did not restart:`, err)
      this.setState(r, 'failed', `The ${r.lane} lane did not restart: ${AppError.from(err).message}`)
    })
  }

  /**
   * A lane in a worker thread shares this process's pid: the import lock (imhi/importLock.ts) it
   * held looks alive after it died. Only a lock of this very process is cleared, and only here,
   * when the lane that imports has just died.
   */
  private releaseOwnImportLock(): void {
    if (!this.opts.dbFile || this.opts.dbFile === ':memory:') return
    const file = `${this.opts.dbFile}.import-lock`
    try {
      const info = JSON.parse(readFileSync(file, 'utf8')) as { pid?: number }
      if (info.pid === process.pid) unlinkSync(file)
    } catch {
      // No lock, or not ours.
    }
  }

  private laneFor(method: string): LaneRecord {
    return this.record(this.opts.singleLane ? 'core' : laneOf(method))
  }

  private async onLane(r: LaneRecord, method: string, params: unknown, as?: ClientInfo, onHeld?: OnHeld): Promise<unknown> {
    if (r.state === 'failed') throw new AppError('internal', `The core's ${r.lane} lane is down; restart the app.`)
    await this.whenReady(r)
    const rpc = r.rpc
    if (!rpc) throw new AppError('internal', `The core's ${r.lane} lane is restarting; try again in a moment.`)
    const key = Symbol(method)
    r.inFlight.set(key, method)
    try {
      return await rpc.call(method, params, as, onHeld && ((heldMs) => onHeld(heldMs, r.lane)))
    } finally {
      r.inFlight.delete(key)
    }
  }

  call(method: string, params: unknown, ctx: CallContext, onHeld?: OnHeld): Promise<unknown> {
    return this.onLane(this.laneFor(method), method, params, ctx.client, onHeld)
  }

  subscribe(client: ClientInfo, listener: EventListener): () => void {
    this.clients.set(client.id, { client, listener })
    for (const r of this.lanes.values()) {
      if (r.state === 'ready') void r.rpc?.call(CORE_CONTROL.subscribe, { client }).catch(() => {})
    }
    return () => {
      if (this.clients.get(client.id)?.listener !== listener) return
      this.clients.delete(client.id)
      for (const r of this.lanes.values()) void r.rpc?.call(CORE_CONTROL.unsubscribe, { clientId: client.id }).catch(() => {})
    }
  }

  async resolveToken(token: string): Promise<TokenIdentity | null> {
    return (await this.onLane(this.record('core'), CORE_CONTROL.resolveToken, { token })) as TokenIdentity | null
  }

  /** The lane's answer to a no-op: the round trip a ping measures. */
  ping(lane: Lane = 'core'): Promise<unknown> {
    return this.onLane(this.record(lane), CORE_CONTROL.ping, {})
  }

  /** The state of each lane. */
  states(): Record<string, CoreState> {
    return Object.fromEntries([...this.lanes.values()].map((r) => [r.lane, r.state]))
  }

  /** Ends a lane as a crash would (tests, and `kill` from a supervisor): the host restarts it. */
  kill(lane: Lane): void {
    this.record(lane).proc?.kill()
  }

  /** Lets each lane close its services (the model worker, the database), then ends it. */
  async close(): Promise<void> {
    this.closing = true
    await Promise.all(
      [...this.lanes.values()].map(async (r) => {
        const proc = r.proc
        if (!proc) return
        const ended = new Promise<void>((resolve) => proc.onExit(() => resolve()))
        try {
          let timer: NodeJS.Timeout | undefined
          await Promise.race([r.rpc?.call(CORE_CONTROL.close, {}), new Promise((res) => (timer = setTimeout(res, 5000)))]).finally(() => clearTimeout(timer))
        } catch {
          // It is ended below anyway.
        }
        proc.kill()
        await ended
      })
    )
  }
}
