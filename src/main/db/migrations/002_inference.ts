import type { Migration } from '../migrate'

export const m002_inference: Migration = {
  version: 2,
  name: 'inference',
  up: `
-- A GGUF file in the model library (a base model or a LoRA adapter).
CREATE TABLE models (
  id INTEGER PRIMARY KEY,
  kind TEXT NOT NULL DEFAULT 'model',      -- model | lora
  path TEXT NOT NULL UNIQUE,
  file_name TEXT NOT NULL,
  sha256 TEXT,
  size_bytes INTEGER NOT NULL,
  architecture TEXT,
  metadata TEXT NOT NULL DEFAULT '{}',     -- JSON: parameters, quantization, context length, chat template, ...
  base_model_id INTEGER REFERENCES models(id) ON DELETE SET NULL,
  added_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))
);

-- A benchmark run: one model over chosen datasets and a split, as IMHI.py does.
CREATE TABLE runs (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  model_id INTEGER REFERENCES models(id) ON DELETE SET NULL,
  model_file TEXT NOT NULL,
  model_sha256 TEXT,
  adapter_id INTEGER REFERENCES models(id) ON DELETE SET NULL,
  prompt_format TEXT NOT NULL,             -- raw | chat | completion
  params TEXT NOT NULL DEFAULT '{}',       -- JSON: temperature, top_p, seed, max_tokens, parallel, ...
  datasets TEXT NOT NULL,                  -- JSON array
  split TEXT NOT NULL,
  item_limit INTEGER,
  status TEXT NOT NULL DEFAULT 'pending',  -- pending | running | paused | cancelled | completed | failed
  error TEXT,
  backend TEXT,
  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
  finished_at TEXT,
  owner_pid INTEGER,                       -- the process executing it while status = running
  heartbeat_at TEXT,                       -- refreshed by that process; a stale one means it died
  seconds REAL NOT NULL DEFAULT 0,         -- generation time summed over sessions
  generated_tokens INTEGER NOT NULL DEFAULT 0
);

-- The plan of a run: every item it covers, in the test file's order (dataset order as chosen,
-- then source_row). Written once at creation, so resume and export never recompute it.
CREATE TABLE run_items (
  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  position INTEGER NOT NULL,
  item_id INTEGER NOT NULL REFERENCES items(id),
  PRIMARY KEY (run_id, position),
  UNIQUE (run_id, item_id)
);

-- A generated explanation of one item, with how it was made. run_id is NULL for single-post generations.
CREATE TABLE explanations (
  id INTEGER PRIMARY KEY,
  item_id INTEGER NOT NULL REFERENCES items(id),
  run_id INTEGER REFERENCES runs(id) ON DELETE CASCADE,
  model_id INTEGER REFERENCES models(id) ON DELETE SET NULL,
  model_file TEXT NOT NULL,
  text TEXT NOT NULL,
  prompt_format TEXT NOT NULL,
  params TEXT NOT NULL DEFAULT '{}',
  provenance TEXT NOT NULL DEFAULT '{}',   -- JSON: sha256, adapter, seed, token counts, ttft, tokens/s, backend, truncation
  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
  UNIQUE (run_id, item_id)
);
CREATE INDEX explanations_item ON explanations(item_id);
`
}
