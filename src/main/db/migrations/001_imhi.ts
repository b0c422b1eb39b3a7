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
  size_bytes INTEGER,
  columns TEXT,                     -- JSON array: the header as read (explanation column name, index column)
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
  post_id INTEGER REFERENCES posts(id), -- the distinct post text, indexed once for full-text search
  UNIQUE (source_file_id, source_row)
);
-- Narrow covering indexes for browse and search: filters and paging read these, never the wide
-- rows (a row holds the query, post and gold response: kilobytes).
CREATE INDEX items_dataset_split ON items(dataset, split, gold_label);
CREATE INDEX items_post ON items(post_id, dataset, split, gold_label);
CREATE INDEX items_browse ON items(id, dataset, split, gold_label);

-- Distinct post texts: the same post appears in test_instruction, test_complete (and the
-- training files in both styles), so each text is stored and full-text indexed once.
CREATE TABLE posts (
  id INTEGER PRIMARY KEY,
  hash TEXT NOT NULL UNIQUE,        -- sha1 of the text (a short unique key instead of an index on long text)
  text TEXT NOT NULL
);
-- External-content FTS5 index over posts.text; snippets are read from posts. Posts are never
-- updated or deleted. The importer indexes new posts in one statement after its files are in
-- (much faster than per-row triggers and per-file segment merges); posts_fts_state records how far
-- the index has got, so a crash between the two is caught up on the next start or import.
CREATE VIRTUAL TABLE posts_fts USING fts5(text, content='posts', content_rowid='id', tokenize='unicode61 remove_diacritics 2');
CREATE TABLE posts_fts_state (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  indexed_upto INTEGER NOT NULL     -- every posts.id <= this is in posts_fts
);
INSERT INTO posts_fts_state (id, indexed_upto) VALUES (1, 0);

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
