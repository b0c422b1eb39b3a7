import type { Handlers } from '../api/dispatch'
import type { Services } from '../services'

type ImhiMethod = 'imhi.import' | 'imhi.cancelImport' | 'imhi.stats' | 'imhi.facets' | 'imhi.search' | 'imhi.item'

/** API handlers of the imhi domain: thin adapters from the contract to the service. */
export function imhiHandlers(s: Services): Pick<Handlers, ImhiMethod> {
  return {
    'imhi.import': (input, ctx) => s.imhi.importPath(input.path, { onProgress: (p) => ctx.emit('imhi.importProgress', p) }),
    'imhi.cancelImport': () => ({ cancelled: s.imhi.cancelImport() }),
    'imhi.stats': () => s.imhi.stats(),
    'imhi.facets': () => s.imhi.facets(),
    'imhi.search': (input) => s.imhi.search(input),
    'imhi.item': (input) => s.imhi.item(input.id)
  }
}
