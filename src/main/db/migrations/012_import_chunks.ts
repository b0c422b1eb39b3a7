import type { Migration } from '../migrate'

export const m012_import_chunks: Migration = {
  version: 12,
  name: 'import_chunks',
  up: `
-- The importer writes an items file in short transactions (imhi/importer.ts), so that a rating
-- waits for one chunk, not for a whole file. A file is still all-or-nothing for every reader:
-- - source_files.complete: 0 while the file's chunks are being written (or after a crash or a
--   failure, until the clean-up deletes them), 1 from the transaction that writes its last row.
-- - items_pending.first_id: the first item id of the file being written (or left incomplete);
--   NULL when there is none. Items get ever larger ids, so the file's items are exactly those from
--   first_id on, and every imhi read of items keeps id < first_id (imhi/items.ts VISIBLE_ITEM): a
--   rowid comparison the covering indexes answer. Items written any other way are visible.
ALTER TABLE source_files ADD COLUMN complete INTEGER NOT NULL DEFAULT 1 CHECK (complete IN (0, 1));
CREATE TABLE items_pending (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  first_id INTEGER
);
INSERT INTO items_pending (id, first_id) VALUES (1, NULL);
`
}
