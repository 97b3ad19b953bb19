-- R13.2: checkpoints are append-only too, so that truncating the log and deleting the newer
-- checkpoints with it takes dropping triggers (the signed checkpoint kept by the auditor outside
-- the database is what finally catches that).
CREATE TRIGGER audit_checkpoints_no_update BEFORE UPDATE ON audit_checkpoints
BEGIN
    SELECT RAISE(ABORT, 'audit_checkpoints is append-only (R13.2)');
END;

CREATE TRIGGER audit_checkpoints_no_delete BEFORE DELETE ON audit_checkpoints
BEGIN
    SELECT RAISE(ABORT, 'audit_checkpoints is append-only (R13.2)');
END;
