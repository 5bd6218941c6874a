-- Remise's schema on SQLite. Keep it logically identical to migrations/postgres/0001_initial.sql.

-- Every entity is a JSON document of a kind. `parent` and `status` are indexed copies of one body
-- field each, for list filters. Times are milliseconds since the Unix epoch.
CREATE TABLE documents (
    kind       TEXT    NOT NULL,
    id         TEXT    NOT NULL,
    body       TEXT    NOT NULL,
    parent     TEXT,
    status     TEXT,
    version    INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    deleted_at INTEGER,
    PRIMARY KEY (kind, id)
);
CREATE INDEX documents_kind_parent ON documents (kind, parent);
CREATE INDEX documents_kind_status ON documents (kind, status);
-- Only soft-deleted rows, for the periodic purge.
CREATE INDEX documents_deleted_at ON documents (deleted_at) WHERE deleted_at IS NOT NULL;

-- One number, bumped by every committed change to documents.
CREATE TABLE revision (
    id    INTEGER PRIMARY KEY CHECK (id = 1),
    value INTEGER NOT NULL
);
INSERT INTO revision (id, value) VALUES (1, 0);

CREATE TABLE audit_log (
    seq       INTEGER PRIMARY KEY AUTOINCREMENT,
    at        INTEGER NOT NULL,
    actor     TEXT    NOT NULL,
    action    TEXT    NOT NULL,
    entity    TEXT    NOT NULL,
    entity_id TEXT    NOT NULL,
    before    TEXT,
    after     TEXT
);
-- seq last, so one entity's history pages newest first straight from the index.
CREATE INDEX audit_log_entity ON audit_log (entity, entity_id, seq);

CREATE TABLE api_keys (
    id         TEXT    PRIMARY KEY,
    name       TEXT    NOT NULL,
    scope      TEXT    NOT NULL,
    prefix     TEXT    NOT NULL,
    hash       TEXT    NOT NULL UNIQUE,
    created_at INTEGER NOT NULL,
    revoked_at INTEGER
);
