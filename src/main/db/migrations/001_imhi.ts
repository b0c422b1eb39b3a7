import type { Migration } from '../migrate'

export const m001_imhi: Migration = {
  version: 1,
  name: 'imhi',
  up: `
CREATE TABLE datasets (
  name TEXT PRIMARY KEY,
  task TEXT NOT NULL,
  labels TEXT NOT NULL              -- JSON array, canonical order
);

-- One imported CSV file. path is relative to the imported root, in the MentalLLaMA layout
-- (e.g. test_data/test_instruction/DR.csv), so re-importing the same data adds nothing twice.
CREATE TABLE source_files (
  id INTEGER PRIMARY KEY,
  path TEXT NOT NULL UNIQUE,
  kind TEXT NOT NULL,               -- items | reference_ratings
  dataset TEXT,
  split TEXT,
  rows INTEGER NOT NULL,
  sha256 TEXT NOT NULL,
  imported_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))
);

CREATE TABLE items (
  id INTEGER PRIMARY KEY,
  dataset TEXT NOT NULL REFERENCES datasets(name),
  split TEXT NOT NULL,
  source_file_id INTEGER NOT NULL REFERENCES source_files(id),
  source_row INTEGER NOT NULL,      -- 1-based data row in the source file (header not counted)
  query TEXT NOT NULL,              -- the query exactly as in the file (what IMHI.py feeds a model)
  post TEXT NOT NULL,
  question TEXT,
  gold_response TEXT,
  gold_label TEXT,
  gold_explanation TEXT,
  UNIQUE (source_file_id, source_row)
);
CREATE INDEX items_dataset_split ON items(dataset, split);

-- The released human ratings of DR explanations (human_evaluation/DR_annotation/*.csv).
CREATE TABLE reference_ratings (
  id INTEGER PRIMARY KEY,
  source_file_id INTEGER NOT NULL REFERENCES source_files(id),
  source_row INTEGER NOT NULL,
  system TEXT NOT NULL,             -- file stem: chatgpt_data, chatgpt_false_data, gpt3_data
  post TEXT NOT NULL,
  label TEXT,
  explanation TEXT NOT NULL,
  explanation_column TEXT NOT NULL, -- gpt-3.5-turbo or curie-instruct-beta
  fluency TEXT NOT NULL,            -- JSON array of annotator scores, e.g. [3,3,2]
  completeness TEXT NOT NULL,
  reliability TEXT NOT NULL,
  overall TEXT NOT NULL,
  UNIQUE (source_file_id, source_row)
);
`
}
