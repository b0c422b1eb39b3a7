import type { Handlers } from '../api/dispatch'
import type { Services } from '../services'

/** API handlers of the inference domain: thin adapters from the contract to the service. */
export function inferenceHandlers(s: Services): Pick<Handlers, never> {
  return {}
}
