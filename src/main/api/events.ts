import type { ApiEvents, EventName } from '../../shared/api/contract'

export type EventListener = <E extends EventName>(event: E, payload: ApiEvents[E]) => void

/** Fan-out of server-side events (progress, streamed tokens) to every connected client. */
export class EventHub {
  private readonly listeners = new Set<EventListener>()

  subscribe(listener: EventListener): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  broadcast<E extends EventName>(event: E, payload: ApiEvents[E]): void {
    for (const listener of this.listeners) {
      try {
        listener(event, payload)
      } catch {
        // A broken client must not stop the others from hearing the event.
      }
    }
  }
}
