-- Baomi store, migration 7: the audit log at ten million entries (issue 19, R13.2).
--
-- The auditor lists the log newest first, filtered by actor, action, object or time, a page at
-- a time below a `seq` cursor (keyset paging: `seq < $before ORDER BY seq DESC LIMIT n`); a
-- record's history is the same query on one object. Each index ends with `seq`, so a filter's
-- entries are read already in page order, from the cursor down, and a page costs the same on
-- the ten-millionth entry as on the first. (In SQLite `seq BIGINT PRIMARY KEY` is not the
-- rowid, so the old index on (object_kind, object_id) alone could not give `seq` order.)
DROP INDEX IF EXISTS audit_log_object;
CREATE INDEX audit_log_object_seq ON audit_log (object_kind, object_id, seq);
CREATE INDEX audit_log_actor_seq ON audit_log (actor_id, seq);
CREATE INDEX audit_log_action_seq ON audit_log (action, seq);
CREATE INDEX audit_log_time_seq ON audit_log (at_seconds, seq);
