-- Change requests: a campaign's proposed documents waiting for approval. Keep it logically
-- identical to migrations/postgres/0009_change_requests.sql. Times are milliseconds since the
-- Unix epoch.

-- state: open, pending, approved, rejected or withdrawn. created_by, submitted_by and decided_by
-- are back-office user ids (decided_by: who approved, rejected or withdrew it).
CREATE TABLE change_requests (
    id           TEXT    NOT NULL PRIMARY KEY,
    campaign_id  TEXT    NOT NULL,
    state        TEXT    NOT NULL,
    created_by   TEXT    NOT NULL,
    created_at   INTEGER NOT NULL,
    submitted_by TEXT,
    submitted_at INTEGER,
    decided_by   TEXT,
    decided_at   INTEGER,
    comment      TEXT,
    updated_at   INTEGER NOT NULL
);
-- At most one open or pending request per campaign.
CREATE UNIQUE INDEX change_requests_active ON change_requests (campaign_id)
    WHERE state IN ('open', 'pending');
CREATE INDEX change_requests_state ON change_requests (state, created_at, id);
CREATE INDEX change_requests_campaign ON change_requests (campaign_id, created_at, id);
CREATE INDEX change_requests_created_at ON change_requests (created_at, id);

-- The documents a request proposes, one per kind and id. body is the proposed JSON body, NULL
-- to delete the document; parent and status are its indexed fields (as in documents);
-- base_version is the version it was made from, NULL for a new document.
CREATE TABLE change_request_documents (
    request_id   TEXT    NOT NULL REFERENCES change_requests (id),
    kind         TEXT    NOT NULL,
    id           TEXT    NOT NULL,
    body         TEXT,
    parent       TEXT,
    status       TEXT,
    base_version INTEGER,
    PRIMARY KEY (request_id, kind, id)
);
