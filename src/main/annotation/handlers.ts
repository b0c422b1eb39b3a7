import type { Handlers } from '../api/dispatch'
import type { Services } from '../services'

/** API handlers of the annotation domain: thin adapters from the contract to the service. */
export function annotationHandlers(s: Services): Pick<Handlers, never> {
  return {}
}
