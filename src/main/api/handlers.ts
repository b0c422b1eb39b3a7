import type { Handlers } from './dispatch'
import type { Services } from '../services'
import { AppError } from '../../shared/api/errors'
import { imhiHandlers } from '../imhi/handlers'
import { inferenceHandlers } from '../inference/handlers'
import { evaluationHandlers } from '../evaluation/handlers'
import { annotationHandlers } from '../annotation/handlers'

/** The function table behind the contract; TypeScript checks that every method has a handler. */
export function createHandlers(s: Services): Handlers {
  return {
    'app.info': (_input, ctx) => ({
      version: s.platform.version,
      transport: ctx.client.transport,
      dbFile: s.platform.dbFile,
      dataDir: s.dataDir,
      role: ctx.client.role,
      annotatorId: ctx.client.annotatorId,
      canPickFolder: Boolean(s.platform.pickPath) && ctx.client.transport === 'electron'
    }),
    'app.pickPath': async (input, ctx) => {
      if (!s.platform.pickPath || ctx.client.transport !== 'electron') {
        throw new AppError('unsupported', 'The file picker exists only in the desktop app; type the path instead.')
      }
      return { path: await s.platform.pickPath(input.kind, input) }
    },
    ...imhiHandlers(s),
    ...inferenceHandlers(s),
    ...evaluationHandlers(s),
    ...annotationHandlers(s)
  }
}
