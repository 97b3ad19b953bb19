-- Baomi store, SQLite dialect, migration 1: the audit log (R13.1, R13.2) and the first ledger.

-- One row per baomi_core::audit::AuditEntry. `at` is stored floored: at_seconds = floor(t / 1 s),
-- at_nanos in 0..=999_999_999 (the canonical encoding's time(t)). Digests are lowercase hex.
CREATE TABLE audit_log (
    seq            BIGINT  NOT NULL PRIMARY KEY CHECK (seq >= 1),
    at_seconds     BIGINT  NOT NULL,
    at_nanos       BIGINT  NOT NULL CHECK (at_nanos BETWEEN 0 AND 999999999),
    actor_kind     TEXT    NOT NULL CHECK (actor_kind IN ('person', 'system', 'unauthenticated')),
    actor_id       BIGINT  NULL,
    action         TEXT    NOT NULL,
    object_kind    TEXT    NULL,
    object_id      TEXT    NULL,
    outcome        TEXT    NOT NULL CHECK (outcome IN ('success', 'denied', 'failed')),
    outcome_detail TEXT    NULL,
    detail         TEXT    NOT NULL,
    prev_hash      TEXT    NOT NULL,
    hash           TEXT    NOT NULL,
    algorithm      TEXT    NOT NULL,
    CHECK ((actor_kind = 'person') = (actor_id IS NOT NULL)),
    CHECK ((object_kind IS NULL) = (object_id IS NULL)),
    CHECK ((outcome = 'success') = (outcome_detail IS NULL))
);

-- R13.2: append-only. The database owner can still drop these triggers; the hash chain and
-- signed checkpoints kept elsewhere are what make such tampering detectable.
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only (R13.2)');
END;

CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only (R13.2)');
END;

CREATE TABLE audit_checkpoints (
    seq        BIGINT NOT NULL PRIMARY KEY CHECK (seq >= 0),
    head_hash  TEXT   NOT NULL,
    at_seconds BIGINT NOT NULL,
    at_nanos   BIGINT NOT NULL CHECK (at_nanos BETWEEN 0 AND 999999999),
    algorithm  TEXT   NOT NULL,
    signature  BLOB   NULL
);

CREATE TABLE units (
    id          INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    name        TEXT    NOT NULL,
    tier        TEXT    NOT NULL CHECK (tier IN ('central', 'provincial', 'prefecture', 'other')),
    superior_id BIGINT  NULL REFERENCES units (id)
);

CREATE TABLE departments (
    id      INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    unit_id BIGINT  NOT NULL REFERENCES units (id),
    name    TEXT    NOT NULL,
    UNIQUE (unit_id, name)
);
