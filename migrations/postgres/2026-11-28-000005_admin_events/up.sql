-- The operator's changes (accounts, firms, the calendar), each written in the transaction of
-- the change it records. Keep in step with migrations/sqlite (a test compares them).
CREATE TABLE admin_events (
    id TEXT PRIMARY KEY NOT NULL,
    at TIMESTAMP NOT NULL,
    -- Null when the command line made the change.
    actor_id TEXT REFERENCES users (id),
    kind TEXT NOT NULL,
    subject TEXT NOT NULL,
    detail TEXT NOT NULL
);
CREATE INDEX admin_events_at ON admin_events (at);
