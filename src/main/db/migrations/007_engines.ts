import type { Migration } from '../migrate'

export const m007_engines: Migration = {
  version: 7,
  name: 'engines',
  up: `
-- A remote OpenAI-compatible server (vLLM, llama-server, Ollama, TGI, imhi serve --engine) that
-- runs can be sent to. Its API key is never stored: only the name of the environment variable
-- that holds it.
CREATE TABLE engines (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  kind TEXT NOT NULL DEFAULT 'openai',
  url TEXT NOT NULL,                       -- base URL of the API, ending in /v1
  api_key_env TEXT,                        -- environment variable holding the key, or NULL
  model TEXT,                              -- the server's model id, or NULL for the first it lists
  timeout_seconds INTEGER NOT NULL DEFAULT 120,
  max_retries INTEGER NOT NULL DEFAULT 4,
  added_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))
);

-- The server a run is sent to (NULL: a local model from the library).
ALTER TABLE runs ADD COLUMN engine_id INTEGER REFERENCES engines(id) ON DELETE SET NULL;
`
}
