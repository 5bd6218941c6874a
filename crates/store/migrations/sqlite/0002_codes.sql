-- Coupon codes, batches of generated codes and redemptions. Keep it logically identical to
-- migrations/postgres/0002_codes.sql. Times are milliseconds since the Unix epoch; `customers`
-- and `groups` are JSON arrays of ids (`[]`: no restriction).

-- WITHOUT ROWID: the table is the B-tree of its key, so a code costs one insert less (no separate
-- key index), and secondary indexes end with `code`, which is what lists and `disable_unused`
-- sort by.
CREATE TABLE coupons (
    code              TEXT    NOT NULL PRIMARY KEY,
    display           TEXT    NOT NULL,
    promotion         TEXT    NOT NULL,
    batch             TEXT,
    max_uses          INTEGER,
    uses_per_customer INTEGER,
    starts_at         INTEGER,
    ends_at           INTEGER,
    customers         TEXT    NOT NULL,
    groups            TEXT    NOT NULL,
    state             TEXT    NOT NULL,
    relay             TEXT,
    created_at        INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX coupons_batch_state ON coupons (batch, state, code);
CREATE INDEX coupons_promotion ON coupons (promotion, code);

CREATE TABLE batches (
    id            TEXT    NOT NULL PRIMARY KEY,
    promotion     TEXT    NOT NULL,
    prefix        TEXT    NOT NULL,
    length        INTEGER NOT NULL,
    pattern       TEXT,
    uses_per_code INTEGER NOT NULL,
    quota         INTEGER NOT NULL,
    starts_at     INTEGER,
    ends_at       INTEGER,
    created_at    INTEGER NOT NULL
);

-- state: reserved, confirmed, cancelled or expired. A use counts while confirmed, or reserved
-- with expires_at still ahead.
CREATE TABLE redemptions (
    id              TEXT    NOT NULL PRIMARY KEY,
    code            TEXT    NOT NULL,
    promotion       TEXT    NOT NULL,
    customer        TEXT,
    order_id        TEXT    NOT NULL,
    idempotency_key TEXT    NOT NULL UNIQUE,
    state           TEXT    NOT NULL,
    reserved_at     INTEGER NOT NULL,
    expires_at      INTEGER NOT NULL,
    confirmed_at    INTEGER,
    cancelled_at    INTEGER
);
CREATE INDEX redemptions_code_state ON redemptions (code, state);
CREATE INDEX redemptions_code_customer ON redemptions (code, customer);
CREATE INDEX redemptions_promotion ON redemptions (promotion);
-- Only live reservations, for the periodic expiry sweep.
CREATE INDEX redemptions_reserved_expires_at ON redemptions (expires_at) WHERE state = 'reserved';
