-- What the back office's pages filter on. Keep it logically identical in both backends.
-- The audit log by actor or by entity, newest first straight from the index (the existing
-- audit_log_entity index has entity_id before seq, so it serves one document's history only).
CREATE INDEX audit_log_actor ON audit_log (actor, seq);
CREATE INDEX audit_log_entity_seq ON audit_log (entity, seq);
-- The redemptions confirmed in a period (the home page's "today").
CREATE INDEX redemptions_confirmed_at ON redemptions (confirmed_at) WHERE confirmed_at IS NOT NULL;
