-- Baomi store, SQLite dialect, migration 6: lists that cost a page (issue 19; R1.7, R2.1, R13.1).
--
-- The SQL narrows, the core decides (docs/ARCHITECTURE.md, invariant 2). A list asks the database
-- only for the rows its reader could read — in the knowledge scope that governs the record and at
-- a level the reader's category covers, or open to everyone — and still asks the core about every
-- row returned. These columns and the scope table are written from the aggregate in the same
-- statement group as its body (RecordMeta::read), so they cannot drift from it.
--
-- read_indexed: 1 when the columns below were written for this row; 0 for rows of kinds the store
--   does not narrow, and for rows written before this migration until the service re-indexes them
--   at start. A 0 row is always a candidate (narrowing must never hide what the core allows).
-- scope_kind, scope_id: the record whose knowledge scope governs reading this one (a carrier of a
--   matter follows the matter's current scope, R1.8); its persons are in record_scope.
-- open_from: the first day on which anyone may read the record (unclassified, or declassified —
--   by decision or by the end of its period, R1.9); NULL while it is not foreseeably open.
ALTER TABLE records ADD COLUMN read_indexed BIGINT NOT NULL DEFAULT 0 CHECK (read_indexed IN (0, 1));
ALTER TABLE records ADD COLUMN scope_kind TEXT NULL;
ALTER TABLE records ADD COLUMN scope_id BIGINT NULL;
ALTER TABLE records ADD COLUMN open_from TEXT NULL;
-- remind_on: a second day a reminder looks for (a matter's yearly review, R1.9), beside due_on.
ALTER TABLE records ADD COLUMN remind_on TEXT NULL;

-- Everyone a record's own knowledge scope names, directly or within a group (R1.7). The core
-- still checks group membership; this table only finds the candidates.
CREATE TABLE record_scope (
    person_id BIGINT NOT NULL,
    kind      TEXT   NOT NULL,
    id        BIGINT NOT NULL,
    PRIMARY KEY (person_id, kind, id)
) WITHOUT ROWID;
CREATE INDEX record_scope_record ON record_scope (kind, id);

CREATE INDEX records_kind_scope ON records (kind, scope_kind, scope_id);
CREATE INDEX records_kind_level ON records (kind, level);
CREATE INDEX records_kind_holder ON records (kind, holder_id);
CREATE INDEX records_kind_title ON records (kind, title);
CREATE INDEX records_kind_updated ON records (kind, updated_seconds);
CREATE INDEX records_kind_remind ON records (kind, remind_on);

-- Search that finds Chinese: a trigram index over titles and numbers (substrings of three or more
-- characters are found through it; shorter ones fall back to a scan, cut short by the page).
CREATE VIRTUAL TABLE records_text USING fts5 (
    title, number, content = 'records', content_rowid = 'rowid', tokenize = 'trigram'
);
INSERT INTO records_text (rowid, title, number) SELECT rowid, title, COALESCE(number, '') FROM records;
CREATE TRIGGER records_text_insert AFTER INSERT ON records BEGIN
    INSERT INTO records_text (rowid, title, number) VALUES (new.rowid, new.title, COALESCE(new.number, ''));
END;
CREATE TRIGGER records_text_update AFTER UPDATE OF title, number ON records BEGIN
    INSERT INTO records_text (records_text, rowid, title, number)
        VALUES ('delete', old.rowid, old.title, COALESCE(old.number, ''));
    INSERT INTO records_text (rowid, title, number) VALUES (new.rowid, new.title, COALESCE(new.number, ''));
END;
CREATE TRIGGER records_text_delete AFTER DELETE ON records BEGIN
    INSERT INTO records_text (records_text, rowid, title, number)
        VALUES ('delete', old.rowid, old.title, COALESCE(old.number, ''));
END;
