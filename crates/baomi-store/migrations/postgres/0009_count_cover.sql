-- Baomi store, migration 9: dashboard counts read an index, not the ledger (issue 19).
--
-- The dashboard counts a ledger's candidates by status for its reader (ReadTx::count_by): the
-- reader's narrowing (R1.7, R2.1) reads read_indexed, open_from, level, scope_kind and scope_id
-- of every candidate. With those columns in one index after (kind, status) the count is an
-- index-only scan — the rows themselves (which carry the bodies) are never read. At 1 M
-- carriers the table is gigabytes; this index is tens of megabytes.
CREATE INDEX IF NOT EXISTS records_kind_status_read ON records (kind, status, read_indexed, open_from, level, scope_kind, scope_id);
