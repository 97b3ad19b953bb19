-- Baomi store, PostgreSQL dialect, migration 3: the ledgers (R13.3) and the accounts (R13.1).

-- Every ledger record (person, matter, proposal, carrier, device, approval request, inventory
-- round, …) is one row: the aggregate as the core's serde form in `body`, plus the columns lists
-- filter, sort and remind on. The core's aggregates carry their own histories; the audit log
-- carries who did what and when. `version` increases by one on every change (optimistic check).
CREATE TABLE records (
    kind            TEXT    NOT NULL,
    id              BIGINT  NOT NULL CHECK (id >= 1),
    unit_id         BIGINT  NULL,
    level           BIGINT  NULL CHECK (level BETWEEN 0 AND 4),
    status          TEXT    NOT NULL,
    title           TEXT    NOT NULL,
    number          TEXT    NULL,
    holder_id       BIGINT  NULL,
    due_on          TEXT    NULL,
    version         BIGINT  NOT NULL CHECK (version >= 1),
    created_seconds BIGINT  NOT NULL,
    updated_seconds BIGINT  NOT NULL,
    body            TEXT    NOT NULL,
    PRIMARY KEY (kind, id)
);
CREATE UNIQUE INDEX records_number ON records (kind, number);
CREATE INDEX records_kind_status ON records (kind, status);
CREATE INDEX records_kind_unit ON records (kind, unit_id);
CREATE INDEX records_kind_due ON records (kind, due_on);

-- Credentials are kept apart from the person record: nothing that lists people reads them.
CREATE TABLE accounts (
    person_id             BIGINT  NOT NULL PRIMARY KEY,
    login                 TEXT    NOT NULL UNIQUE,
    password_hash         TEXT    NOT NULL,
    password_set_seconds  BIGINT  NOT NULL,
    must_change           BIGINT  NOT NULL CHECK (must_change IN (0, 1)),
    totp_secret           TEXT    NULL,
    failed_count          BIGINT  NOT NULL DEFAULT 0,
    locked_until_seconds  BIGINT  NULL,
    lang                  TEXT    NOT NULL DEFAULT 'zh',
    disabled              BIGINT  NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1))
);

-- Sessions and bearer tokens are stored by the SHA-256 of the secret, never the secret.
CREATE TABLE sessions (
    token_hash      TEXT    NOT NULL PRIMARY KEY,
    person_id       BIGINT  NOT NULL REFERENCES accounts (person_id),
    kind            TEXT    NOT NULL CHECK (kind IN ('session', 'bearer')),
    label           TEXT    NOT NULL,
    csrf            TEXT    NOT NULL,
    created_seconds BIGINT  NOT NULL,
    expires_seconds BIGINT  NOT NULL,
    revoked         BIGINT  NOT NULL DEFAULT 0 CHECK (revoked IN (0, 1))
);
CREATE INDEX sessions_person ON sessions (person_id);

-- A record's history page reads the audit entries about it.
CREATE INDEX audit_log_object ON audit_log (object_kind, object_id);
