-- Baomi store, PostgreSQL dialect, migration 6: lists that cost a page (issue 19; R1.7, R2.1,
-- R13.1). See the SQLite dialect's migration 6 for what each column means; the two agree.
ALTER TABLE records ADD COLUMN read_indexed BIGINT NOT NULL DEFAULT 0 CHECK (read_indexed IN (0, 1));
ALTER TABLE records ADD COLUMN scope_kind TEXT NULL;
ALTER TABLE records ADD COLUMN scope_id BIGINT NULL;
ALTER TABLE records ADD COLUMN open_from TEXT NULL;
-- remind_on: a second day a reminder looks for (a matter's yearly review, R1.9), beside due_on.
ALTER TABLE records ADD COLUMN remind_on TEXT NULL;

CREATE TABLE record_scope (
    person_id BIGINT NOT NULL,
    kind      TEXT   NOT NULL,
    id        BIGINT NOT NULL,
    PRIMARY KEY (person_id, kind, id)
);
CREATE INDEX record_scope_record ON record_scope (kind, id);

CREATE INDEX records_kind_scope ON records (kind, scope_kind, scope_id);
CREATE INDEX records_kind_level ON records (kind, level);
CREATE INDEX records_kind_holder ON records (kind, holder_id);
CREATE INDEX records_kind_title ON records (kind, title);
CREATE INDEX records_kind_updated ON records (kind, updated_seconds);
CREATE INDEX records_kind_remind ON records (kind, remind_on);

-- Search that finds Chinese: trigram indexes (pg_trgm, shipped with PostgreSQL's contrib and a
-- trusted extension since 13) serve LIKE '%…%' on titles and numbers.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX records_title_trgm ON records USING gin (title gin_trgm_ops);
CREATE INDEX records_number_trgm ON records USING gin (number gin_trgm_ops);
