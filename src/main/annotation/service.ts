import type { ServiceContext } from '../services'
import type { ImhiService } from '../imhi/service'
import type { InferenceService } from '../inference/service'

export function createAnnotationService(ctx: ServiceContext, deps: { imhi: ImhiService; inference: InferenceService }) {
  return {}
}
export type AnnotationService = ReturnType<typeof createAnnotationService>
