-- Back-office tasks, and standalone messages in the outbox (a task's notice to its assignee).
-- Keep it logically identical to migrations/sqlite/0010_tasks.sql. Times are milliseconds since
-- the Unix epoch. Keys compare bytewise (COLLATE "C"), as on SQLite.

-- deadline is a day, YYYY-MM-DD (so it sorts as text). importance: low, normal or high. state:
-- open, ignored or done. attachment_kind (campaign or promotion) and attachment_id are both set
-- or both NULL. transfers is a JSON array of {from, to, by, at, note}, oldest first.
CREATE TABLE tasks (
    id              TEXT COLLATE "C" PRIMARY KEY,
    description     TEXT             NOT NULL,
    deadline        TEXT COLLATE "C",
    importance      TEXT COLLATE "C" NOT NULL,
    assignee        TEXT COLLATE "C" NOT NULL REFERENCES users (id),
    created_by      TEXT COLLATE "C" NOT NULL,
    attachment_kind TEXT COLLATE "C",
    attachment_id   TEXT COLLATE "C",
    state           TEXT COLLATE "C" NOT NULL,
    transfers       TEXT             NOT NULL,
    created_at      BIGINT           NOT NULL,
    updated_at      BIGINT           NOT NULL
);
CREATE INDEX tasks_assignee ON tasks (assignee, state);
CREATE INDEX tasks_attachment ON tasks (attachment_kind, attachment_id);

-- A message carries a distribution's codes (distribution set), or its own text (subject and
-- body set, rendered by whoever queued it): one or the other.
ALTER TABLE outbox ALTER COLUMN distribution DROP NOT NULL;
ALTER TABLE outbox ADD COLUMN subject TEXT;
ALTER TABLE outbox ADD COLUMN body TEXT;
ALTER TABLE outbox ADD CONSTRAINT outbox_content CHECK (
    (distribution IS NOT NULL AND subject IS NULL AND body IS NULL)
    OR (distribution IS NULL AND subject IS NOT NULL AND body IS NOT NULL)
);
