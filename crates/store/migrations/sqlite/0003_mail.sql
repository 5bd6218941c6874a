-- Distributions of codes to relays, and the e-mail outbox. Keep it logically identical to
-- migrations/postgres/0003_mail.sql. Times are milliseconds since the Unix epoch.

-- The distribution a code was handed out by (NULL: never distributed). Set once: a code that
-- was distributed is never distributed again, so a distribution's codes (its mail's body) do not
-- change.
ALTER TABLE coupons ADD COLUMN distribution TEXT;
CREATE INDEX coupons_distribution ON coupons (distribution, code);
-- For a relay's counts.
CREATE INDEX coupons_relay ON coupons (relay, code);

CREATE TABLE distributions (
    id         TEXT    NOT NULL PRIMARY KEY,
    batch      TEXT    NOT NULL,
    relay      TEXT    NOT NULL,
    count      INTEGER NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX distributions_batch ON distributions (batch, created_at, id);
CREATE INDEX distributions_relay ON distributions (relay, created_at, id);
CREATE INDEX distributions_created_at ON distributions (created_at, id);

-- One e-mail per distribution (same id). state: pending, sent or failed. A pending message is
-- due at next_attempt_at, unless a worker leased it until lease_until (still ahead).
CREATE TABLE outbox (
    id              TEXT    NOT NULL PRIMARY KEY,
    distribution    TEXT    NOT NULL,
    recipient       TEXT    NOT NULL,
    language        TEXT    NOT NULL,
    state           TEXT    NOT NULL,
    attempts        INTEGER NOT NULL,
    next_attempt_at INTEGER NOT NULL,
    lease_until     INTEGER,
    last_error      TEXT,
    created_at      INTEGER NOT NULL,
    sent_at         INTEGER
);
CREATE INDEX outbox_state_next_attempt_at ON outbox (state, next_attempt_at);
CREATE INDEX outbox_created_at ON outbox (created_at, id);
