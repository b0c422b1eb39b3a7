import type { Db } from './db/open'
import { EventHub } from './api/events'
import { createImhiService } from './imhi/service'
import { createInferenceService, type InferenceOptions } from './inference/service'
import { createEvaluationService } from './evaluation/service'
import { createAnnotationService } from './annotation/service'
import { OnnxEngine } from './inference/engines/onnx'
import type { ApiKeyStore } from './inference/engines/keys'

/** What only the host (Electron, serve, CLI, tests) can provide. */
export interface Platform {
  transport: 'electron' | 'serve' | 'cli' | 'test'
  version: string
  dbFile: string
  /** Native file/folder picker: the desktop app only. */
  pickPath?: (kind: 'folder' | 'file' | 'save', opts: { title?: string; defaultPath?: string }) => Promise<string | null>
  /** The OS keychain for servers' API keys: the desktop app only (CLI and serve use environment variables). */
  apiKeys?: ApiKeyStore
}

export interface ServiceContext {
  db: Db
  /** Where the app keeps files beside the database (models, exports, caches). */
  dataDir: string
  events: EventHub
  platform: Platform
}

/** Settings the hosts read (src/main/config.ts: environment, flags) and pass to the services. */
export interface ServicesOptions {
  inference?: InferenceOptions
}

/** Builds every service the same way for the Electron app, `imhi serve`, the CLI and the tests. */
export function createServices(ctx: Omit<ServiceContext, 'events'> & { events?: EventHub; options?: ServicesOptions }) {
  const { options, ...rest } = ctx
  const base: ServiceContext = { ...rest, events: ctx.events ?? new EventHub() }
  const imhi = createImhiService(base)
  // ONNX Runtime (MentalBERT, BART-score, BERTScore, MentalBART/MentalT5 generation): one worker thread, started on first use.
  const onnx = new OnnxEngine()
  const inference = createInferenceService(base, { imhi, onnx }, options?.inference)
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
