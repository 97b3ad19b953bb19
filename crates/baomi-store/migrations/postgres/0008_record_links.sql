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
);
CREATE INDEX record_party_record ON record_party (kind, id);

UPDATE records SET
    about_kind = CASE body::jsonb #>> '{subject,kind}' WHEN 'proposal' THEN 'proposal' WHEN 'device' THEN 'device' ELSE 'carrier' END,
    about_id = COALESCE(body::jsonb #>> '{subject,carrier}', body::jsonb #>> '{subject,device}', body::jsonb #>> '{subject,proposal}')::bigint
WHERE kind = 'approval';

INSERT INTO record_party (person_id, kind, id)
    SELECT DISTINCT (s.value ->> 'by')::bigint, 'approval', r.id
    FROM records r, jsonb_array_elements(r.body::jsonb -> 'steps') s
    WHERE r.kind = 'approval' AND s.value ->> 'by' IS NOT NULL
    ON CONFLICT DO NOTHING;

ALTER TABLE records ADD COLUMN place TEXT NULL;
UPDATE records SET place = body::jsonb #>> '{carrier,location}' WHERE kind = 'carrier';
UPDATE records SET place = NULLIF(body::jsonb ->> 'location', '') WHERE kind = 'device';
CREATE INDEX records_place_trgm ON records USING gin (place gin_trgm_ops);

-- The start-up re-index of rows written before migration 6 looks for them through this index
-- instead of walking every row of the ledger at each start.
CREATE INDEX records_unindexed ON records (kind, id) WHERE read_indexed = 0;
