import type { Migration } from '../migrate'

export const m003_evaluation: Migration = {
  version: 3,
  name: 'evaluation',
  up: `
-- One learned label classifier per dataset (TF-IDF + logistic regression), with how well it did
-- on data it was not trained on. Retraining replaces the row.
CREATE TABLE label_classifiers (
  dataset TEXT PRIMARY KEY,
  features TEXT NOT NULL DEFAULT 'tfidf',  -- tfidf (word 1-2 grams + conclusion 1-2 grams)
  model TEXT NOT NULL,                     -- JSON: vocabulary, idf, weights (base64 float32)
  train_rows INTEGER NOT NULL,
  held_out TEXT,                           -- JSON { method, n, accuracy, macro_f1, weighted_f1 }
  test TEXT,                               -- JSON, same shape; out-of-fold where no training data exists
  seconds REAL NOT NULL,
  trained_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))
);

-- A stored evaluation of a run or of an output folder: every metric per dataset, as JSON.
CREATE TABLE evaluations (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  source_kind TEXT NOT NULL,               -- run | outputs
  run_id INTEGER REFERENCES runs(id) ON DELETE CASCADE,
  path TEXT,                               -- the folder or CSV, for source_kind = outputs
  report TEXT NOT NULL,                    -- JSON EvaluationReport
  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))
);
CREATE INDEX evaluations_run ON evaluations(run_id);
`
}
