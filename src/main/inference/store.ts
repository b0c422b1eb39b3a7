import type { PromptFormat, RunSplit, RunStatus } from '../../shared/api/inference'
import type { Db } from '../db/open'

export interface RunRow {
  id: number
  name: string
  model_id: number | null
  model_file: string
  model_sha256: string | null
  adapter_id: number | null
  prompt_format: PromptFormat
  params: string
  datasets: string
  split: RunSplit
  item_limit: number | null
  status: RunStatus
  error: string | null
  backend: string | null
  engine_id: number | null
  created_at: string
  finished_at: string | null
  owner_pid: number | null
  heartbeat_at: string | null
  seconds: number
  generated_tokens: number
  total: number
  done: number
}

export interface ExplanationRow {
  id: number
  item_id: number
  run_id: number | null
  model_id: number | null
  model_file: string
  text: string
  prompt_format: PromptFormat
  provenance: string
  created_at: string
}

/**
 * The inference domain's SQL (runs, run items, explanations), prepared once per database.
 * Models and servers keep theirs in library.ts and engines/registry.ts; benchmark items are the imhi
 * domain's, read through its service.
 */
export function createInferenceStore(db: Db) {
  return {
    insertRun: db.prepare(
      `INSERT INTO runs (name, model_id, model_file, model_sha256, adapter_id, prompt_format, params, datasets, split, item_limit, status, backend, engine_id)
       VALUES (@name, @modelId, @modelFile, @sha256, @adapterId, @format, @params, @datasets, @split, @limit, 'pending', @backend, @engineId)`
    ),
    insertRunItem: db.prepare<[number, number, number]>('INSERT INTO run_items (run_id, position, item_id) VALUES (?, ?, ?)'),
    run: db.prepare<[number], RunRow>(
      `SELECT r.*, (SELECT COUNT(*) FROM run_items ri WHERE ri.run_id = r.id) AS total,
              (SELECT COUNT(*) FROM explanations e WHERE e.run_id = r.id) AS done
       FROM runs r WHERE r.id = ?`
    ),
    runs: db.prepare<[], RunRow>(
      `SELECT r.*, (SELECT COUNT(*) FROM run_items ri WHERE ri.run_id = r.id) AS total,
              (SELECT COUNT(*) FROM explanations e WHERE e.run_id = r.id) AS done
       FROM runs r ORDER BY r.id DESC`
    ),
    remaining: db.prepare<[number], { position: number; itemId: number }>(
      `SELECT ri.position, ri.item_id AS itemId FROM run_items ri
       WHERE ri.run_id = ? AND NOT EXISTS (SELECT 1 FROM explanations e WHERE e.run_id = ri.run_id AND e.item_id = ri.item_id)
       ORDER BY ri.position`
    ),
    exportRows: db.prepare<[number], { itemId: number; text: string | null }>(
      `SELECT ri.item_id AS itemId, e.text FROM run_items ri
       LEFT JOIN explanations e ON e.run_id = ri.run_id AND e.item_id = ri.item_id
       WHERE ri.run_id = ? ORDER BY ri.position`
    ),
    runExplanations: db.prepare<[number], { id: number; itemId: number; text: string; modelFile: string }>(
      'SELECT id, item_id AS itemId, text, model_file AS modelFile FROM explanations WHERE run_id = ? ORDER BY item_id, id'
    ),
    claim: db.prepare<[number, string | null, number]>(
      "UPDATE runs SET status = 'running', error = NULL, owner_pid = ?, heartbeat_at = strftime('%Y-%m-%dT%H:%M:%fZ','now'), backend = COALESCE(?, backend) WHERE id = ?"
    ),
    heartbeat: db.prepare<[number]>("UPDATE runs SET heartbeat_at = strftime('%Y-%m-%dT%H:%M:%fZ','now') WHERE id = ?"),
    finish: db.prepare<[RunStatus, string | null, RunStatus, number]>(
      "UPDATE runs SET status = ?, error = ?, owner_pid = NULL, finished_at = CASE WHEN ? IN ('completed','cancelled') THEN strftime('%Y-%m-%dT%H:%M:%fZ','now') ELSE finished_at END WHERE id = ?"
    ),
    addStats: db.prepare<[number, number, number]>('UPDATE runs SET seconds = seconds + ?, generated_tokens = generated_tokens + ? WHERE id = ?'),
    insertExplanation: db.prepare(
      `INSERT INTO explanations (item_id, run_id, model_id, model_file, text, prompt_format, params, provenance)
       VALUES (@itemId, @runId, @modelId, @modelFile, @text, @format, @params, @provenance)`
    ),
    explanation: db.prepare<[number], ExplanationRow>('SELECT * FROM explanations WHERE id = ?'),
    explanationsOf: db.prepare<[number], ExplanationRow>('SELECT * FROM explanations WHERE item_id = ? ORDER BY id DESC'),
    deleteExplanation: db.prepare<[number]>('DELETE FROM explanations WHERE id = ? AND run_id IS NULL'),
    staleRunning: db.prepare<[], { id: number; owner_pid: number | null; age_ms: number | null }>(
      "SELECT id, owner_pid, (julianday('now') - julianday(heartbeat_at)) * 86400000 AS age_ms FROM runs WHERE status = 'running'"
    ),
    relinkEngine: db.prepare<[number, number]>('UPDATE runs SET engine_id = ? WHERE id = ?')
  }
}

export type InferenceStore = ReturnType<typeof createInferenceStore>
