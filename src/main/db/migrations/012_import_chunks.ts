import type { Migration } from '../migrate'

export const m012_import_chunks: Migration = {
  version: 12,
  name: 'import_chunks',
  up: `
-- The importer writes an items file in short transactions (imhi/importer.ts), so that a rating
-- waits for one chunk, not for a whole file. A file is still all-or-nothing for every reader:
-- - source_files.complete: 0 while the file's chunks are being written (or after a crash or a
--   failure, until the clean-up deletes them), 1 from the transaction that writes its last row.
-- - items_visible.upto: every item with id <= upto belongs to a complete file; the items above it
--   are the file being written (or one left incomplete). Every imhi read of items keeps
--   id <= upto (imhi/items.ts VISIBLE_ITEM): a rowid comparison the covering indexes answer.
ALTER TABLE source_files ADD COLUMN complete INTEGER NOT NULL DEFAULT 1 CHECK (complete IN (0, 1));
CREATE TABLE items_visible (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  upto INTEGER NOT NULL
);
INSERT INTO items_visible (id, upto) SELECT 1, coalesce(max(id), 0) FROM items;
`
}
