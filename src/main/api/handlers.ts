import { createHash } from 'node:crypto'
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
      // An annotator's token learns no path of the server (api/audience.ts lists what it can receive).
      dbFile: ctx.client.role === 'owner' ? s.platform.dbFile : null,
      dataDir: ctx.client.role === 'owner' ? s.dataDir : null,
      database: createHash('sha256').update(`imhi-database:${s.platform.dbFile}`).digest('hex').slice(0, 16),
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
