import type { ServiceContext } from '../services'
import type { ImhiService } from '../imhi/service'

export function createInferenceService(ctx: ServiceContext, deps: { imhi: ImhiService }) {
  return {
    async close(): Promise<void> {}
  }
}
export type InferenceService = ReturnType<typeof createInferenceService>
