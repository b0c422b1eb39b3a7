import type { Handlers } from '../api/dispatch'
import type { Services } from '../services'
import { AppError } from '../../shared/api/errors'

type ImhiMethod = 'imhi.import' | 'imhi.stats' | 'imhi.facets' | 'imhi.search' | 'imhi.item'

/** API handlers of the imhi domain: thin adapters from the contract to the service. */
export function imhiHandlers(s: Services): Pick<Handlers, ImhiMethod> {
  const todo = (): never => {
    throw new AppError('unsupported', 'not implemented yet')
  }
  return { 'imhi.import': todo, 'imhi.stats': todo, 'imhi.facets': todo, 'imhi.search': todo, 'imhi.item': todo }
}
