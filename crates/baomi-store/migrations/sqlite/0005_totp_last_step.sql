-- Baomi store, migration 5: the last TOTP time step accepted per account (R13.1: a code is
-- accepted once). Kept on the account row, compared and advanced in the same write
-- transaction as the login it accepts, so that a code cannot be replayed on another server
-- sharing the database, nor after a restart.
ALTER TABLE accounts ADD COLUMN totp_last_step BIGINT NULL;
