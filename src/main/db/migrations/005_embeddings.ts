import type { Migration } from '../migrate'

export const m005_embeddings: Migration = {
  version: 5,
  name: 'embeddings',
  up: `
-- Cache of text embeddings (the label classifiers' embedding features): one vector per model
-- file (by content), context size (it decides where a long text is cut) and text (by content),
-- so training twice or labelling the same explanations again computes nothing twice.
CREATE TABLE embeddings (
  model_sha256 TEXT NOT NULL,              -- SHA-256 of the GGUF file
  context_size INTEGER NOT NULL,           -- tokens of the embedding context
  text_sha256 TEXT NOT NULL,               -- SHA-256 of the UTF-8 text
  dimension INTEGER NOT NULL,
  vector BLOB NOT NULL,                    -- dimension little-endian float32, as the model returned it (not normalized)
  tokens INTEGER NOT NULL,                 -- tokens embedded
  truncated_from INTEGER,                  -- the text's full token count where it was cut to fit, else NULL
  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
  PRIMARY KEY (model_sha256, context_size, text_sha256)
) WITHOUT ROWID;
`
}
