import type { ServiceContext } from '../services'
import type { ImhiService } from '../imhi/service'
import type { InferenceService } from '../inference/service'
import type { AnnotationService } from '../annotation/service'

export function createEvaluationService(ctx: ServiceContext, deps: { imhi: ImhiService; inference: InferenceService; annotation: AnnotationService }) {
  return {}
}
export type EvaluationService = ReturnType<typeof createEvaluationService>
