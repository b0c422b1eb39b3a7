import { contract, type ApiEvents, type EventName, type MethodName } from '../../shared/api/contract'
import type { ClientInfo } from './dispatch'

/**
 * Who hears which event. The owner (desktop app, owner token) hears everything; an annotator's
 * token (imhi serve on a LAN) hears only what cannot unblind a study: never a model, a file path,
 * a run, an import or another annotator.
 *
 * - never: owner only (model names, backends, paths, progress of runs and imports, logs)
 * - own:   an annotator hears it only when it is about themselves (payload.annotatorId)
 * - study: an annotator hears it only about a study they are assigned to (payload.studyId)
 */
export type AnnotatorReach = 'never' | 'own' | 'study'

export const EVENT_AUDIENCE: { readonly [E in EventName]: AnnotatorReach } = {
  'app.log': 'never',
  'app.core': 'never',
  'imhi.importProgress': 'never',
  'inference.token': 'never',
  'inference.downloadProgress': 'never',
  'inference.runProgress': 'never',
  'inference.status': 'never',
  'evaluation.progress': 'never',
  'annotation.changed': 'own',
  'annotation.studiesChanged': 'study'
}

/** Answers "is this annotator assigned to this study?" (the annotation service provides it). */
export type StudyMembership = (annotatorId: number, studyId: number) => boolean

/** Whether `client` may receive this event with this payload. */
export function mayReceive<E extends EventName>(client: Pick<ClientInfo, 'role' | 'annotatorId'>, event: E, payload: ApiEvents[E], isMember?: StudyMembership): boolean {
  if (client.role === 'owner') return true
  const reach: AnnotatorReach | undefined = (EVENT_AUDIENCE as Record<string, AnnotatorReach>)[event]
  const self = client.annotatorId
  if (reach === undefined || reach === 'never' || self === null) return false
  const p = payload as { annotatorId?: unknown; studyId?: unknown }
  if (reach === 'own') return p.annotatorId === self
  return typeof p.studyId === 'number' && isMember !== undefined && isMember(self, p.studyId)
}

/**
 * Everything an annotator's token can receive, in one place: the methods it may call (marked
 * `annotator: true` in the contract) and the events it may hear. test/hardening/blinding.test.ts
 * calls and triggers each of them and checks that none carries a model name, a path, a source or
 * another annotator's id.
 */
export const ANNOTATOR_SURFACE: { methods: readonly MethodName[]; events: readonly EventName[] } = {
  methods: (Object.keys(contract) as MethodName[]).filter((m) => (contract[m] as { annotator?: boolean }).annotator === true),
  events: (Object.keys(EVENT_AUDIENCE) as EventName[]).filter((e) => EVENT_AUDIENCE[e] !== 'never')
}
