-- Back-office tasks, and standalone messages in the outbox (a task's notice to its assignee).
-- Keep it logically identical to migrations/postgres/0010_tasks.sql. Times are milliseconds
-- since the Unix epoch.

-- deadline is a day, YYYY-MM-DD (so it sorts as text). importance: low, normal or high. state:
-- open, ignored or done. attachment_kind (campaign or promotion) and attachment_id are both set
-- or both NULL. transfers is a JSON array of {from, to, by, at, note}, oldest first.
CREATE TABLE tasks (
    id              TEXT    NOT NULL PRIMARY KEY,
    description     TEXT    NOT NULL,
    deadline        TEXT,
    importance      TEXT    NOT NULL,
    assignee        TEXT    NOT NULL REFERENCES users (id),
    created_by      TEXT    NOT NULL,
    attachment_kind TEXT,
    attachment_id   TEXT,
    state           TEXT    NOT NULL,
    transfers       TEXT    NOT NULL,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
);
CREATE INDEX tasks_assignee ON tasks (assignee, state);
CREATE INDEX tasks_attachment ON tasks (attachment_kind, attachment_id);

-- A message carries a distribution's codes (distribution set), or its own text (subject and
-- body set, rendered by whoever queued it): one or the other. SQLite cannot drop a NOT NULL, so
-- the table is rebuilt (nothing references it).
CREATE TABLE outbox_rebuilt (
    id              TEXT    NOT NULL PRIMARY KEY,
    distribution    TEXT,
    recipient       TEXT    NOT NULL,
    language        TEXT    NOT NULL,
    state           TEXT    NOT NULL,
    attempts        INTEGER NOT NULL,
    next_attempt_at INTEGER NOT NULL,
    lease_until     INTEGER,
    last_error      TEXT,
    created_at      INTEGER NOT NULL,
    sent_at         INTEGER,
    subject         TEXT,
    body            TEXT,
    CONSTRAINT outbox_content CHECK (
        (distribution IS NOT NULL AND subject IS NULL AND body IS NULL)
        OR (distribution IS NULL AND subject IS NOT NULL AND body IS NOT NULL)
    )
);
INSERT INTO outbox_rebuilt (id, distribution, recipient, language, state, attempts,
    next_attempt_at, lease_until, last_error, created_at, sent_at)
SELECT id, distribution, recipient, language, state, attempts, next_attempt_at, lease_until,
    last_error, created_at, sent_at
FROM outbox;
DROP TABLE outbox;
ALTER TABLE outbox_rebuilt RENAME TO outbox;
CREATE INDEX outbox_state_next_attempt_at ON outbox (state, next_attempt_at);
CREATE INDEX outbox_created_at ON outbox (created_at, id);
