import type { ApiEvents, EventName } from '../../shared/api/contract'
import type { ClientInfo } from './dispatch'
import { mayReceive, type StudyMembership } from './audience'

export type EventListener = <E extends EventName>(event: E, payload: ApiEvents[E]) => void

/** The owner: hears every event (in-process listeners: the CLI, tests). */
const OWNER: Pick<ClientInfo, 'role' | 'annotatorId'> = { role: 'owner', annotatorId: null }

/**
 * Fan-out of server-side events (progress, streamed tokens) to the connected clients, each
 * addressed by role and study (api/audience.ts): an annotator's connection hears only what it may.
 */
export class EventHub {
  private readonly listeners = new Map<EventListener, Pick<ClientInfo, 'role' | 'annotatorId'>>()
  private membership: StudyMembership | undefined

  /** `client` is who listens; without it, the owner. */
  subscribe(listener: EventListener, client: Pick<ClientInfo, 'role' | 'annotatorId'> = OWNER): () => void {
    this.listeners.set(listener, { role: client.role, annotatorId: client.annotatorId })
    return () => this.listeners.delete(listener)
  }

  /** The annotation service tells the hub who is in which study. */
  setStudyMembership(isMember: StudyMembership): void {
    this.membership = isMember
  }

  /** Whether `client` may hear this event (also used for events sent to one client). */
  allows<E extends EventName>(client: Pick<ClientInfo, 'role' | 'annotatorId'>, event: E, payload: ApiEvents[E]): boolean {
    try {
      return mayReceive(client, event, payload, this.membership)
    } catch {
      return false
    }
  }

  broadcast<E extends EventName>(event: E, payload: ApiEvents[E]): void {
    for (const [listener, client] of this.listeners) {
      if (!this.allows(client, event, payload)) continue
      try {
        listener(event, payload)
      } catch {
        // A broken client must not stop the others from hearing the event.
      }
    }
  }
}
