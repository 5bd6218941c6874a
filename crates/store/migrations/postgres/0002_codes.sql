-- Coupon codes, batches of generated codes and redemptions. Keep it logically identical to
-- migrations/sqlite/0002_codes.sql. Times are milliseconds since the Unix epoch; `customers`
-- and `groups` are JSON arrays of ids (`[]`: no restriction), as TEXT like document bodies.
-- Keys compare bytewise (COLLATE "C"), as on SQLite.

CREATE TABLE coupons (
    code              TEXT COLLATE "C" PRIMARY KEY,
    display           TEXT             NOT NULL,
    promotion         TEXT COLLATE "C" NOT NULL,
    batch             TEXT COLLATE "C",
    max_uses          BIGINT,
    uses_per_customer BIGINT,
    starts_at         BIGINT,
    ends_at           BIGINT,
    customers         TEXT             NOT NULL,
    groups            TEXT             NOT NULL,
    state             TEXT COLLATE "C" NOT NULL,
    relay             TEXT,
    created_at        BIGINT           NOT NULL
);
-- Ending with `code`, like SQLite's (WITHOUT ROWID) indexes: lists and `disable_unused` sort by it.
CREATE INDEX coupons_batch_state ON coupons (batch, state, code);
CREATE INDEX coupons_promotion ON coupons (promotion, code);

CREATE TABLE batches (
    id            TEXT COLLATE "C" PRIMARY KEY,
    promotion     TEXT COLLATE "C" NOT NULL,
    prefix        TEXT             NOT NULL,
    length        BIGINT           NOT NULL,
    pattern       TEXT,
    uses_per_code BIGINT           NOT NULL,
    quota         BIGINT           NOT NULL,
    starts_at     BIGINT,
    ends_at       BIGINT,
    created_at    BIGINT           NOT NULL
);

-- state: reserved, confirmed, cancelled or expired. A use counts while confirmed, or reserved
-- with expires_at still ahead.
CREATE TABLE redemptions (
    id              TEXT COLLATE "C" PRIMARY KEY,
    code            TEXT COLLATE "C" NOT NULL,
    promotion       TEXT COLLATE "C" NOT NULL,
    customer        TEXT COLLATE "C",
    order_id        TEXT             NOT NULL,
    idempotency_key TEXT COLLATE "C" NOT NULL UNIQUE,
    state           TEXT COLLATE "C" NOT NULL,
    reserved_at     BIGINT           NOT NULL,
    expires_at      BIGINT           NOT NULL,
    confirmed_at    BIGINT,
    cancelled_at    BIGINT
);
CREATE INDEX redemptions_code_state ON redemptions (code, state);
CREATE INDEX redemptions_code_customer ON redemptions (code, customer);
CREATE INDEX redemptions_promotion ON redemptions (promotion);
-- Only live reservations, for the periodic expiry sweep.
CREATE INDEX redemptions_reserved_expires_at ON redemptions (expires_at) WHERE state = 'reserved';
