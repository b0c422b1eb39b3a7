import type { Db } from './db/open'
import { EventHub } from './api/events'
import { createImhiService } from './imhi/service'
import { createInferenceService } from './inference/service'
import { createEvaluationService } from './evaluation/service'
import { createAnnotationService } from './annotation/service'
import { OnnxEngine } from './inference/engines/onnx'

/** What only the host (Electron, serve, CLI, tests) can provide. */
export interface Platform {
  transport: 'electron' | 'serve' | 'cli' | 'test'
  version: string
  dbFile: string
  /** Native file/folder picker: the desktop app only. */
  pickPath?: (kind: 'folder' | 'file' | 'save', opts: { title?: string; defaultPath?: string }) => Promise<string | null>
}

export interface ServiceContext {
  db: Db
  /** Where the app keeps files beside the database (models, exports, caches). */
  dataDir: string
  events: EventHub
  platform: Platform
}

/** Builds every service the same way for the Electron app, `imhi serve`, the CLI and the tests. */
export function createServices(ctx: Omit<ServiceContext, 'events'> & { events?: EventHub }) {
  const base: ServiceContext = { ...ctx, events: ctx.events ?? new EventHub() }
  const imhi = createImhiService(base)
  // ONNX Runtime (MentalBERT, BART-score, BERTScore, MentalBART/MentalT5 generation): one worker thread, started on first use.
  const onnx = new OnnxEngine()
  const inference = createInferenceService(base, { imhi, onnx })
  const annotation = createAnnotationService(base, { imhi, inference })
  const evaluation = createEvaluationService(base, { imhi, inference, annotation, onnx })
  return {
    ...base,
    imhi,
    inference,
    onnx,
    evaluation,
    annotation,
    /** Releases native handles (model worker, database). Safe to call twice. */
    async close(): Promise<void> {
      await inference.close()
      await onnx.close()
      if (base.db.open) base.db.close()
    }
  }
}

export type Services = ReturnType<typeof createServices>
