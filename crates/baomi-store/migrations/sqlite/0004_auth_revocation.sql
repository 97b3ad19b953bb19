-- Baomi store, migration 4: revocation visible across processes, bearer idle time and the
-- two-person password reset (R13.1, R5.3).

-- One row: bumped by every change to people, rights, credentials or sessions (by the service
-- and by `baomi admin` alike). A service caching authenticated principals compares it, so a
-- revocation made by another process takes effect there too.
CREATE TABLE auth_generation (
    id    BIGINT NOT NULL PRIMARY KEY CHECK (id = 1),
    value BIGINT NOT NULL
);
INSERT INTO auth_generation (id, value) VALUES (1, 1);

-- The last use of a session or bearer token (to the minute at most), for the idle timeout.
ALTER TABLE sessions ADD COLUMN last_used_seconds BIGINT NULL;

-- A password reset of classified personnel waits for the unit's security administrator
-- (R5.3: two persons); `reset_login_pending` flags the first login after a reset (the person
-- is told, the auditor sees it).
ALTER TABLE accounts ADD COLUMN reset_requested_by BIGINT NULL;
ALTER TABLE accounts ADD COLUMN reset_requested_seconds BIGINT NULL;
ALTER TABLE accounts ADD COLUMN reset_login_pending BIGINT NOT NULL DEFAULT 0;
