-- A redemption belongs to the API key that made it (its id; '' for redemptions made before keys
-- owned them, which only management keys reach), and idempotency keys are scoped per API key.
-- Keep it logically identical to migrations/sqlite/0005_redemption_owner.sql.
ALTER TABLE redemptions ADD COLUMN api_key TEXT COLLATE "C" NOT NULL DEFAULT '';
ALTER TABLE redemptions DROP CONSTRAINT redemptions_idempotency_key_key;
ALTER TABLE redemptions ADD CONSTRAINT redemptions_api_key_idempotency_key
    UNIQUE (api_key, idempotency_key);
