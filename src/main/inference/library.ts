import { existsSync } from 'node:fs'
import { unlink } from 'node:fs/promises'
import { basename, resolve, sep } from 'node:path'
import type { Db } from '../db/open'
import { AppError } from '../../shared/api/errors'
import type { ModelInfo, ModelMetadata } from '../../shared/api/inference'
import { readGgufHeader, sha256File } from './gguf'
import type { InferenceWorker } from './client'

interface ModelRow {
  id: number
  kind: 'model' | 'lora'
  path: string
  file_name: string
  sha256: string | null
  size_bytes: number
  architecture: string | null
  metadata: string
  base_model_id: number | null
  added_at: string
}

function toInfo(r: ModelRow): ModelInfo {
  return {
    id: r.id,
    kind: r.kind,
    path: r.path,
    fileName: r.file_name,
    sha256: r.sha256,
    sizeBytes: r.size_bytes,
    architecture: r.architecture,
    baseModelId: r.base_model_id,
    addedAt: r.added_at,
    metadata: JSON.parse(r.metadata) as ModelMetadata,
    missing: !existsSync(r.path)
  }
}

/** Validates a GGUF completely without loading weights: header, metadata, architecture, size. */
export async function inspectGguf(worker: InferenceWorker, path: string, ensureInit: () => Promise<unknown>, memoryLimitBytes: number | null) {
  const header = await readGgufHeader(path)
  await ensureInit()
  const { metadata, tensorBytes, dataOffset } = await worker.request({ op: 'inspect', path, memoryLimitBytes })
  const needed = dataOffset + tensorBytes
  if (header.sizeBytes < needed) {
    throw new AppError(
      'bad_file',
      `${basename(path)} is truncated: its header describes ${needed.toLocaleString('en')} bytes but the file has ${header.sizeBytes.toLocaleString('en')} (an interrupted download or copy?).`,
      { file: path, sizeBytes: header.sizeBytes, expectedBytes: needed }
    )
  }
  return { header, metadata }
}

/** The model library: GGUF files the user added or downloaded, with what they are. */
export function createModelLibrary(db: Db, modelsDir: string) {
  const q = {
    all: db.prepare<[], ModelRow>('SELECT * FROM models ORDER BY kind, file_name, id'),
    byId: db.prepare<[number], ModelRow>('SELECT * FROM models WHERE id = ?'),
    byPath: db.prepare<[string], ModelRow>('SELECT * FROM models WHERE path = ?'),
    insert: db.prepare(
      `INSERT INTO models (kind, path, file_name, sha256, size_bytes, architecture, metadata, base_model_id)
       VALUES (@kind, @path, @fileName, @sha256, @sizeBytes, @architecture, @metadata, @baseModelId)`
    ),
    update: db.prepare(
      `UPDATE models SET kind = @kind, sha256 = @sha256, size_bytes = @sizeBytes, architecture = @architecture,
         metadata = @metadata, base_model_id = @baseModelId WHERE id = @id`
    ),
    remove: db.prepare<[number]>('DELETE FROM models WHERE id = ?'),
    usedByActive: db.prepare<[number, number], { n: number }>(
      "SELECT COUNT(*) AS n FROM runs WHERE (model_id = ? OR adapter_id = ?) AND status = 'running'"
    )
  }

  return {
    list(): ModelInfo[] {
      return q.all.all().map(toInfo)
    },
    get(id: number): ModelInfo {
      const r = q.byId.get(id)
      if (!r) throw new AppError('not_found', `Model ${id} is not in the library.`, { field: 'modelId' })
      return toInfo(r)
    },
    /** Records a validated file; adding the same path again refreshes its entry. */
    save(path: string, metadata: ModelMetadata, sizeBytes: number, sha256: string, baseModelId: number | null): ModelInfo {
      const kind = metadata.adapterType ? 'lora' : 'model'
      if (kind === 'model' && baseModelId) throw new AppError('invalid_input', `${basename(path)} is a model, not a LoRA adapter: it takes no base model.`)
      if (baseModelId) {
        const base = this.get(baseModelId)
        if (base.kind !== 'model') throw new AppError('invalid_input', `Base model ${baseModelId} (${base.fileName}) is itself an adapter.`)
        if (base.architecture && base.architecture !== metadata.architecture) {
          throw new AppError('invalid_input', `The adapter ${basename(path)} is for ${metadata.architecture} but ${base.fileName} is ${base.architecture}.`)
        }
      }
      const row = {
        kind,
        path,
        fileName: basename(path),
        sha256,
        sizeBytes,
        architecture: metadata.architecture,
        metadata: JSON.stringify(metadata),
        baseModelId
      }
      const existing = q.byPath.get(path)
      if (existing) {
        q.update.run({ ...row, id: existing.id })
        return this.get(existing.id)
      }
      return this.get(Number(q.insert.run(row).lastInsertRowid))
    },
    async remove(id: number, deleteFile: boolean): Promise<number> {
      const m = this.get(id)
      if (q.usedByActive.get(id, id)!.n > 0) throw new AppError('conflict', `${m.fileName} is used by a running benchmark run: pause or cancel it first.`)
      q.remove.run(id)
      // Only files the app downloaded itself (under its models folder) are ever deleted.
      if (deleteFile && resolve(m.path).startsWith(resolve(modelsDir) + sep) && existsSync(m.path)) await unlink(m.path)
      return 1
    },
    findByPath(path: string): ModelInfo | null {
      const r = q.byPath.get(path)
      return r ? toInfo(r) : null
    }
  }
}
export type ModelLibrary = ReturnType<typeof createModelLibrary>

export { sha256File }
