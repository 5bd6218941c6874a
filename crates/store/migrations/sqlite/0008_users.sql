-- Back-office users and their sessions. Keep it logically identical to
-- migrations/postgres/0008_users.sql. Times are milliseconds since the Unix epoch.

-- email is stored lower-cased (the store does it), so the UNIQUE constraint and look-ups are
-- case-insensitive. role: administrator, marketer, approver or viewer. password_hash is an
-- argon2id PHC string made by the caller; never the password.
CREATE TABLE users (
    id            TEXT    NOT NULL PRIMARY KEY,
    email         TEXT    NOT NULL UNIQUE,
    name          TEXT    NOT NULL,
    role          TEXT    NOT NULL,
    password_hash TEXT    NOT NULL,
    language      TEXT,
    active        INTEGER NOT NULL,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
);

-- Server-side sessions, shared by every instance. id_hash is the SHA-256 (hex) of the session
-- token the browser holds: a leaked table does not give usable tokens. A session counts until
-- expires_at, unless revoked_at is set or its user is inactive.
CREATE TABLE sessions (
    id_hash      TEXT    NOT NULL PRIMARY KEY,
    user_id      TEXT    NOT NULL REFERENCES users (id),
    csrf         TEXT    NOT NULL,
    created_at   INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL,
    revoked_at   INTEGER
);
CREATE INDEX sessions_user ON sessions (user_id, created_at);
