import type { Handlers } from '../api/dispatch'
import type { Services } from '../services'

/** API handlers of the evaluation domain: thin adapters from the contract to the service. */
export function evaluationHandlers(s: Services): Pick<Handlers, never> {
  return {}
}
