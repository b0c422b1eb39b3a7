import type { z } from 'zod'
import { appMethods, type AppEvents } from './app'
import { imhiMethods, type ImhiEvents } from './imhi'
import { inferenceMethods, type InferenceEvents } from './inference'
import { modelSettingsMethods } from './modelSettings'
import { evaluationMethods, type EvaluationEvents } from './evaluation'
import { annotationMethods, type AnnotationEvents } from './annotation'

/** The whole API the renderer knows: one table, carried by Electron IPC or the serve WebSocket. */
export const contract = {
  ...appMethods,
  ...imhiMethods,
  ...inferenceMethods,
  ...modelSettingsMethods,
  ...evaluationMethods,
  ...annotationMethods
}

export type Contract = typeof contract
export type MethodName = keyof Contract
/** What a caller passes (defaults may be omitted). */
export type Input<M extends MethodName> = z.input<Contract[M]['input']>
/** What a handler receives after validation (defaults filled in). */
export type ParsedInput<M extends MethodName> = z.output<Contract[M]['input']>
export type Output<M extends MethodName> = Contract[M]['output']

export type ApiEvents = AppEvents & ImhiEvents & InferenceEvents & EvaluationEvents & AnnotationEvents
export type EventName = keyof ApiEvents

export function isMethodName(name: string): name is MethodName {
  return Object.prototype.hasOwnProperty.call(contract, name)
}
