-- A redemption belongs to the API key that made it (its id; '' for redemptions made before keys
-- owned them, which only management keys reach), and idempotency keys are scoped per API key.
-- Keep it logically identical to migrations/postgres/0005_redemption_owner.sql. SQLite cannot
-- drop a UNIQUE constraint: the table is rebuilt.
CREATE TABLE redemptions_owned (
    id              TEXT    NOT NULL PRIMARY KEY,
    code            TEXT    NOT NULL,
    promotion       TEXT    NOT NULL,
    customer        TEXT,
    order_id        TEXT    NOT NULL,
    idempotency_key TEXT    NOT NULL,
    state           TEXT    NOT NULL,
    reserved_at     INTEGER NOT NULL,
    expires_at      INTEGER NOT NULL,
    confirmed_at    INTEGER,
    cancelled_at    INTEGER,
    amount          TEXT,
    api_key         TEXT    NOT NULL DEFAULT '',
    UNIQUE (api_key, idempotency_key)
);
INSERT INTO redemptions_owned (id, code, promotion, customer, order_id, idempotency_key, state,
                               reserved_at, expires_at, confirmed_at, cancelled_at, amount)
SELECT id, code, promotion, customer, order_id, idempotency_key, state,
       reserved_at, expires_at, confirmed_at, cancelled_at, amount
FROM redemptions;
DROP TABLE redemptions;
ALTER TABLE redemptions_owned RENAME TO redemptions;
CREATE INDEX redemptions_code_state ON redemptions (code, state);
CREATE INDEX redemptions_code_customer ON redemptions (code, customer);
CREATE INDEX redemptions_promotion ON redemptions (promotion);
-- Only live reservations, for the periodic expiry sweep.
CREATE INDEX redemptions_reserved_expires_at ON redemptions (expires_at) WHERE state = 'reserved';
