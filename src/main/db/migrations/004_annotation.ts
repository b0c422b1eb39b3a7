import type { Migration } from '../migrate'

export const m004_annotation: Migration = {
  version: 4,
  name: 'annotation',
  up: `
-- A human annotation study: blinded ratings of explanations on a few aspects (0-3 by default).
CREATE TABLE studies (
  id INTEGER PRIMARY KEY,
  uid TEXT NOT NULL UNIQUE,                 -- stable across machines (packages are matched by it)
  name TEXT NOT NULL,
  guidelines TEXT NOT NULL,
  aspects TEXT NOT NULL,                    -- JSON: [{ key, label, min, max, rubric: [..] }]
  annotators_per_item INTEGER NOT NULL,
  seed INTEGER NOT NULL,
  spec TEXT NOT NULL DEFAULT '{}',          -- JSON: how the items were drawn (sources, sample size)
  origin TEXT NOT NULL DEFAULT 'created',   -- created | imported | package
  break_minutes INTEGER NOT NULL DEFAULT 45,
  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))
);

-- One (post, explanation, source) to rate. Texts are copied so that a study stays whole even
-- when its runs are deleted, and so that a package carries everything an annotator needs.
CREATE TABLE study_items (
  id INTEGER PRIMARY KEY,
  study_id INTEGER NOT NULL REFERENCES studies(id) ON DELETE CASCADE,
  item_key TEXT NOT NULL,                   -- stable id inside the study (exports, packages)
  position INTEGER NOT NULL,                -- canonical order (seeded shuffle, or the file's row order)
  item_id INTEGER REFERENCES items(id) ON DELETE SET NULL,
  explanation_id INTEGER REFERENCES explanations(id) ON DELETE SET NULL,
  post TEXT NOT NULL,
  explanation TEXT NOT NULL,
  label TEXT,
  source TEXT NOT NULL,                     -- gold | expert | run:<id> | imported file stem | hidden
  dataset TEXT,
  explanation_column TEXT,                  -- the column name in the imhi layout (e.g. gpt-3.5-turbo)
  sensitive INTEGER NOT NULL DEFAULT 0,     -- concerns suicide or self-harm: show the content notice
  UNIQUE (study_id, item_key),
  UNIQUE (study_id, position)
);

CREATE TABLE annotators (
  id INTEGER PRIMARY KEY,
  uid TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL UNIQUE,
  token TEXT NOT NULL UNIQUE,               -- for imhi serve on a LAN: this annotator only
  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))
);

CREATE TABLE study_annotators (
  study_id INTEGER NOT NULL REFERENCES studies(id) ON DELETE CASCADE,
  annotator_id INTEGER NOT NULL REFERENCES annotators(id) ON DELETE CASCADE,
  ordinal INTEGER NOT NULL,                 -- column order in the imhi layout's lists
  order_seed INTEGER NOT NULL,              -- this annotator's queue order (stored: reproducible)
  PRIMARY KEY (study_id, annotator_id),
  UNIQUE (study_id, ordinal)
);

-- Which annotator rates which item, and in which order (their queue).
CREATE TABLE assignments (
  study_id INTEGER NOT NULL REFERENCES studies(id) ON DELETE CASCADE,
  study_item_id INTEGER NOT NULL REFERENCES study_items(id) ON DELETE CASCADE,
  annotator_id INTEGER NOT NULL REFERENCES annotators(id) ON DELETE CASCADE,
  queue_pos INTEGER NOT NULL,
  PRIMARY KEY (study_item_id, annotator_id),
  UNIQUE (study_id, annotator_id, queue_pos)
);

-- One score: keyed by item + annotator + aspect, so a re-sent call is harmless.
CREATE TABLE ratings (
  id INTEGER PRIMARY KEY,
  study_id INTEGER NOT NULL REFERENCES studies(id) ON DELETE CASCADE,
  study_item_id INTEGER NOT NULL REFERENCES study_items(id) ON DELETE CASCADE,
  annotator_id INTEGER NOT NULL REFERENCES annotators(id) ON DELETE CASCADE,
  aspect TEXT NOT NULL,
  score INTEGER NOT NULL,
  rated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
  UNIQUE (study_item_id, annotator_id, aspect)
);
CREATE INDEX ratings_study ON ratings(study_id, annotator_id);

-- Every score that was replaced or removed (undo, merge "take theirs"): nothing is ever lost.
CREATE TABLE rating_history (
  id INTEGER PRIMARY KEY,
  study_item_id INTEGER NOT NULL,
  annotator_id INTEGER NOT NULL,
  aspect TEXT NOT NULL,
  old_score INTEGER NOT NULL,
  new_score INTEGER,
  changed_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))
);
CREATE TRIGGER ratings_history_update AFTER UPDATE OF score ON ratings WHEN OLD.score IS NOT NEW.score BEGIN
  INSERT INTO rating_history (study_item_id, annotator_id, aspect, old_score, new_score)
  VALUES (OLD.study_item_id, OLD.annotator_id, OLD.aspect, OLD.score, NEW.score);
END;
CREATE TRIGGER ratings_history_delete AFTER DELETE ON ratings BEGIN
  INSERT INTO rating_history (study_item_id, annotator_id, aspect, old_score, new_score)
  VALUES (OLD.study_item_id, OLD.annotator_id, OLD.aspect, OLD.score, NULL);
END;

-- Per item and annotator: flag, note, skip and the time spent on it.
CREATE TABLE item_states (
  study_item_id INTEGER NOT NULL REFERENCES study_items(id) ON DELETE CASCADE,
  annotator_id INTEGER NOT NULL REFERENCES annotators(id) ON DELETE CASCADE,
  flagged INTEGER NOT NULL DEFAULT 0,
  skipped INTEGER NOT NULL DEFAULT 0,
  note TEXT NOT NULL DEFAULT '',
  seconds REAL NOT NULL DEFAULT 0,
  updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
  PRIMARY KEY (study_item_id, annotator_id)
);
`
}
