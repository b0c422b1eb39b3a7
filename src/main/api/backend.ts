import { dispatch, type CallContext, type ClientInfo, type Handlers } from './dispatch'
import type { EventHub, EventListener } from './events'
import type { Lane } from '../core/lanes'

/** Who a token belongs to (the owner's, or an annotator's on a LAN). */
export interface TokenIdentity {
  role: 'owner' | 'annotator'
  annotatorId: number | null
}

/**
 * What a host's transport (the serve WebSocket/HTTP, Electron IPC) needs of the API: calls made for
 * an identified client, that client's events, and token look-ups. The services may run in this
 * thread (inProcessBackend: the CLI, tests) or in the core's own thread/process (core/host.ts).
 * Either way every call passes the one door, api/dispatch.ts, and every event the audience rules.
 */
export interface ApiBackend {
  /**
   * `onHeld` hears, when the answer arrives, how long the call held the event loop of the lane that
   * answered it (core/host.ts, as the lane measured it). The in-process backend never calls it: the
   * caller's own thread ran the call, so the caller measures that itself.
   */
  call(method: string, params: unknown, ctx: CallContext, onHeld?: OnHeld): Promise<unknown>
  /** Events `client` may hear (api/audience.ts decides), until the returned function is called. */
  subscribe(client: ClientInfo, listener: EventListener): () => void
  resolveToken(token: string): Promise<TokenIdentity | null> | TokenIdentity | null
}

/** How long one call held the event loop of `lane` (ms), as that lane measured it. */
export type OnHeld = (heldMs: number, lane: Lane) => void

/** The services in this thread: dispatch directly, events from the hub. */
export function inProcessBackend(handlers: Handlers, events: EventHub, resolveToken?: (token: string) => TokenIdentity | null): ApiBackend {
  return {
    // An event sent to the caller alone passes the same audience rules as a broadcast.
    call: (method, params, ctx) =>
      dispatch(handlers, method, params, {
        client: ctx.client,
        emit: (event, payload) => {
          if (events.allows(ctx.client, event, payload)) ctx.emit(event, payload)
        }
      }),
    subscribe: (client, listener) => events.subscribe(listener, client),
    resolveToken: (token) => resolveToken?.(token) ?? null
  }
}
