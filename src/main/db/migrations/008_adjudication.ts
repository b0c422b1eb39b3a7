import type { Migration } from '../migrate'

export const m008_adjudication: Migration = {
  version: 8,
  name: 'adjudication',
  up: `
-- The study lead's resolved score per item and aspect, kept apart from the raw ratings (which it
-- never changes; agreement is always computed on the raw ratings).
CREATE TABLE adjudications (
  study_id INTEGER NOT NULL REFERENCES studies(id) ON DELETE CASCADE,
  study_item_id INTEGER NOT NULL REFERENCES study_items(id) ON DELETE CASCADE,
  aspect TEXT NOT NULL,
  score INTEGER NOT NULL,
  kept_annotator_id INTEGER REFERENCES annotators(id) ON DELETE SET NULL, -- the lead kept this annotator's score
  reason TEXT NOT NULL,
  lead TEXT NOT NULL,                       -- who decided (the name the lead gave)
  revision INTEGER NOT NULL,                -- the item's adjudication revision when this was written
  decided_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
  PRIMARY KEY (study_item_id, aspect)
);
CREATE INDEX adjudications_study ON adjudications(study_id);

-- The lead's review ranks items by their score spread per aspect: a covering index lets SQLite
-- aggregate a study's ratings in index order (no table lookups, no temporary sort).
CREATE INDEX ratings_spread ON ratings(study_id, study_item_id, aspect, score);

-- Every adjudication that was replaced: a decision is never lost either.
CREATE TABLE adjudication_history (
  id INTEGER PRIMARY KEY,
  study_item_id INTEGER NOT NULL,
  aspect TEXT NOT NULL,
  score INTEGER NOT NULL,
  kept_annotator_id INTEGER,
  reason TEXT NOT NULL,
  lead TEXT NOT NULL,
  revision INTEGER NOT NULL,
  decided_at TEXT NOT NULL,
  replaced_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))
);
CREATE TRIGGER adjudications_history_update AFTER UPDATE ON adjudications BEGIN
  INSERT INTO adjudication_history (study_item_id, aspect, score, kept_annotator_id, reason, lead, revision, decided_at)
  VALUES (OLD.study_item_id, OLD.aspect, OLD.score, OLD.kept_annotator_id, OLD.reason, OLD.lead, OLD.revision, OLD.decided_at);
END;
CREATE TRIGGER adjudications_history_delete AFTER DELETE ON adjudications BEGIN
  INSERT INTO adjudication_history (study_item_id, aspect, score, kept_annotator_id, reason, lead, revision, decided_at)
  VALUES (OLD.study_item_id, OLD.aspect, OLD.score, OLD.kept_annotator_id, OLD.reason, OLD.lead, OLD.revision, OLD.decided_at);
END;
`
}
