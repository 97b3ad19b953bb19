-- Baomi store, migration 8: what a record is about, who took part in it and where it is kept,
-- indexed (issue 19).
--
-- A carrier's page shows the approval requests about it; the approvals inbox has a box of the
-- requests a person decided. Both used to read every request of the unit and filter in memory.
-- about_kind, about_id: the record another record is about (an approval request's carrier,
--   device or proposal), written from the aggregate with its body (RecordMeta::about).
-- record_party: the persons who took part in a record (everyone who acted in an approval's
--   chain), written with the record (RecordMeta::parties), replaced on each save.
-- place: where the thing is kept (a carrier's or device's location, R3.2, R4.1), searched like
--   its title and number; a search also finds records by their holder's name.
-- The backfill below reads carriers ({"carrier": {"location": text, …}, …}) and devices
-- ({"location": text, …}) as stored since migration 3, and approval requests as the service has stored them since migration 3:
-- {"subject": {"kind": "carrier"|"carrier_copy"|"device"|"proposal", "carrier"|"device"|
-- "proposal": id, …}, "steps": [{"by": person id, …}, …]}.
ALTER TABLE records ADD COLUMN about_kind TEXT NULL;
ALTER TABLE records ADD COLUMN about_id BIGINT NULL;
CREATE INDEX records_kind_about ON records (kind, about_kind, about_id);

CREATE TABLE record_party (
    person_id BIGINT NOT NULL,
    kind      TEXT   NOT NULL,
    id        BIGINT NOT NULL,
    PRIMARY KEY (person_id, kind, id)
) WITHOUT ROWID;
CREATE INDEX record_party_record ON record_party (kind, id);

UPDATE records SET
    about_kind = CASE json_extract(body, '$.subject.kind') WHEN 'proposal' THEN 'proposal' WHEN 'device' THEN 'device' ELSE 'carrier' END,
    about_id = COALESCE(json_extract(body, '$.subject.carrier'), json_extract(body, '$.subject.device'), json_extract(body, '$.subject.proposal'))
WHERE kind = 'approval';

INSERT OR IGNORE INTO record_party (person_id, kind, id)
    SELECT DISTINCT json_extract(s.value, '$.by'), 'approval', r.id
    FROM records r, json_each(r.body, '$.steps') s
    WHERE r.kind = 'approval' AND json_extract(s.value, '$.by') IS NOT NULL;

ALTER TABLE records ADD COLUMN place TEXT NULL;
UPDATE records SET place = json_extract(body, '$.carrier.location') WHERE kind = 'carrier';
UPDATE records SET place = NULLIF(json_extract(body, '$.location'), '') WHERE kind = 'device';

-- The search index gains the place: rebuilt with three columns (migration 6 made it with two).
DROP TRIGGER records_text_insert;
DROP TRIGGER records_text_update;
DROP TRIGGER records_text_delete;
DROP TABLE records_text;
CREATE VIRTUAL TABLE records_text USING fts5 (
    title, number, place, content = 'records', content_rowid = 'rowid', tokenize = 'trigram'
);
INSERT INTO records_text (rowid, title, number, place)
    SELECT rowid, title, COALESCE(number, ''), COALESCE(place, '') FROM records;
CREATE TRIGGER records_text_insert AFTER INSERT ON records BEGIN
    INSERT INTO records_text (rowid, title, number, place)
        VALUES (new.rowid, new.title, COALESCE(new.number, ''), COALESCE(new.place, ''));
END;
CREATE TRIGGER records_text_update AFTER UPDATE OF title, number, place ON records BEGIN
    INSERT INTO records_text (records_text, rowid, title, number, place)
        VALUES ('delete', old.rowid, old.title, COALESCE(old.number, ''), COALESCE(old.place, ''));
    INSERT INTO records_text (rowid, title, number, place)
        VALUES (new.rowid, new.title, COALESCE(new.number, ''), COALESCE(new.place, ''));
END;
CREATE TRIGGER records_text_delete AFTER DELETE ON records BEGIN
    INSERT INTO records_text (records_text, rowid, title, number, place)
        VALUES ('delete', old.rowid, old.title, COALESCE(old.number, ''), COALESCE(old.place, ''));
END;

-- The start-up re-index of rows written before migration 6 looks for them through this index
-- instead of walking every row of the ledger at each start.
CREATE INDEX records_unindexed ON records (kind, id) WHERE read_indexed = 0;
