-- Failed code look-ups, per subject (`customer:ID`, `client:ADDRESS`, `anonymous:KEY`) and
-- one-minute window (its start, in milliseconds since the Unix epoch): every instance counts into
-- the same rows, so the limit holds across instances and restarts. Old windows are deleted by
-- the servers' periodic sweep.
CREATE TABLE failed_lookups (
    subject      TEXT    NOT NULL,
    window_start BIGINT  NOT NULL,
    failures     BIGINT  NOT NULL,
    PRIMARY KEY (subject, window_start)
);
CREATE INDEX failed_lookups_window_start ON failed_lookups (window_start);
