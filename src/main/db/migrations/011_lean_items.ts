import type { Migration } from '../migrate'

export const m011_lean_items: Migration = {
  version: 11,
  name: 'lean_items',
  up: `
-- Items stop storing two texts they only repeated (imhi domain, imhi/items.ts):
-- - post: the post is posts.text through post_id (each distinct text once, as full-text search
--   already read it);
-- - gold_explanation: the part of gold_response from "Reasoning:" on, derived on read by the same
--   function the importer used (imhi/labels.ts goldExplanation); gold_explained says whether there
--   is one, for the queries that filter on it.
-- Together they were 45 % of the items' bytes, written at every import.

-- Every importer since 001 gave each item its post; an item without one (a file edited by hand)
-- gets its own post row here, so no text is lost. Those rows enter the full-text index at the
-- next start (posts_fts_state catches up).
INSERT INTO posts (hash, text) SELECT 'migrated-item-' || id, post FROM items WHERE post_id IS NULL;
UPDATE items SET post_id = (SELECT p.id FROM posts p WHERE p.hash = 'migrated-item-' || items.id) WHERE post_id IS NULL;

ALTER TABLE items ADD COLUMN gold_explained INTEGER NOT NULL DEFAULT 0 CHECK (gold_explained IN (0, 1));
UPDATE items SET gold_explained = 1 WHERE gold_explanation IS NOT NULL AND trim(gold_explanation) <> '';
ALTER TABLE items DROP COLUMN post;
ALTER TABLE items DROP COLUMN gold_explanation;
`
}
