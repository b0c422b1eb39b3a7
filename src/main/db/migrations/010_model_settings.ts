import type { Migration } from '../migrate'

export const m010_model_settings: Migration = {
  version: 10,
  name: 'model_settings',
  up: `
-- Per-model inference settings (inference domain, inference/settings/store.ts): how llama.cpp loads
-- one model of the library. One row per model that has saved settings; a model without a row uses
-- the host's defaults. Removed with its model.
CREATE TABLE model_settings (
  model_id INTEGER PRIMARY KEY REFERENCES models(id) ON DELETE CASCADE,
  backend TEXT NOT NULL DEFAULT 'auto' CHECK (backend IN ('auto', 'cuda', 'vulkan', 'metal', 'cpu')),
  gpu_layers INTEGER CHECK (gpu_layers IS NULL OR gpu_layers >= 0),   -- NULL: auto
  threads INTEGER CHECK (threads IS NULL OR threads >= 1),            -- NULL: host default
  context_size INTEGER CHECK (context_size IS NULL OR context_size >= 64),
  batch_size INTEGER CHECK (batch_size IS NULL OR batch_size >= 1),
  updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))
);
`
}
