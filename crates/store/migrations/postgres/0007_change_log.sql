-- The change log: every audit line of a document change carries the revision its transaction
-- committed as, so that an instance can read what changed since the revision it has (the
-- documents of those lines) instead of reloading everything. Lines written before this
-- migration, and audit lines of API keys and codes, have none.
ALTER TABLE audit_log ADD COLUMN revision BIGINT;
CREATE INDEX audit_log_revision ON audit_log (revision) WHERE revision IS NOT NULL;
