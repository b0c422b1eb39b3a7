import type { ServiceContext } from '../services'

export function createImhiService(ctx: ServiceContext) {
  return {}
}
export type ImhiService = ReturnType<typeof createImhiService>
