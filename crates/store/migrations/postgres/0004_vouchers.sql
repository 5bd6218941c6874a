-- Vouchers ("bons d'achat"). Keep it logically identical to migrations/sqlite/0004_vouchers.sql.
-- Amounts are exact decimals as TEXT (compared as decimals by the store, never as floats);
-- `customers`, `skus` and `selections` are JSON arrays of ids (`[]`: no restriction). Codes are
-- unique across coupons and vouchers (the store checks the other table when it creates either).
CREATE TABLE vouchers (
    code          TEXT COLLATE "C" PRIMARY KEY,
    display       TEXT             NOT NULL,
    amount        TEXT             NOT NULL,
    balance       TEXT             NOT NULL,
    keeps_balance BOOLEAN          NOT NULL,
    customers     TEXT             NOT NULL,
    skus          TEXT             NOT NULL,
    selections    TEXT             NOT NULL,
    starts_at     BIGINT,
    ends_at       BIGINT,
    state         TEXT COLLATE "C" NOT NULL,
    created_at    BIGINT           NOT NULL
);

-- What a voucher's redemption takes of it; NULL for a coupon's redemption.
ALTER TABLE redemptions ADD COLUMN amount TEXT;
