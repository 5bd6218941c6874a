-- Remise's schema on PostgreSQL. Keep it logically identical to migrations/sqlite/0001_initial.sql.
--
-- Bodies are TEXT, not JSONB, so both backends store and return the same text. Keys compare
-- bytewise (COLLATE "C"), as on SQLite, so lists page in the same order whatever the database's
-- locale.

CREATE TABLE documents (
    kind       TEXT COLLATE "C" NOT NULL,
    id         TEXT COLLATE "C" NOT NULL,
    body       TEXT             NOT NULL,
    parent     TEXT COLLATE "C",
    status     TEXT COLLATE "C",
    version    BIGINT           NOT NULL,
    created_at BIGINT           NOT NULL,
    updated_at BIGINT           NOT NULL,
    deleted_at BIGINT,
    PRIMARY KEY (kind, id)
);
CREATE INDEX documents_kind_parent ON documents (kind, parent);
CREATE INDEX documents_kind_status ON documents (kind, status);
-- Only soft-deleted rows, for the periodic purge.
CREATE INDEX documents_deleted_at ON documents (deleted_at) WHERE deleted_at IS NOT NULL;

-- One number, bumped by every committed change to documents. Its row is also the lock that
-- orders document writers (see src/postgres.rs).
CREATE TABLE revision (
    id    INTEGER PRIMARY KEY CHECK (id = 1),
    value BIGINT  NOT NULL
);
INSERT INTO revision (id, value) VALUES (1, 0);

CREATE TABLE audit_log (
    seq       BIGSERIAL PRIMARY KEY,
    at        BIGINT           NOT NULL,
    actor     TEXT             NOT NULL,
    action    TEXT             NOT NULL,
    entity    TEXT COLLATE "C" NOT NULL,
    entity_id TEXT COLLATE "C" NOT NULL,
    before    TEXT,
    after     TEXT
);
-- seq last, so one entity's history pages newest first straight from the index.
CREATE INDEX audit_log_entity ON audit_log (entity, entity_id, seq);

CREATE TABLE api_keys (
    id         TEXT   PRIMARY KEY,
    name       TEXT   NOT NULL,
    scope      TEXT   NOT NULL,
    prefix     TEXT   NOT NULL,
    hash       TEXT   NOT NULL UNIQUE,
    created_at BIGINT NOT NULL,
    revoked_at BIGINT
);
