-- The transactional outbox: each row is written in the transaction of the state change it
-- tells about, rendered, and delivered later by a worker that claims it with a conditional
-- update. Keep in step with migrations/postgres (a test compares them).
CREATE TABLE outbox (
    id TEXT PRIMARY KEY NOT NULL,
    -- Unique per (event, recipient): a receiver can drop a repeat delivery by it.
    message_id TEXT NOT NULL UNIQUE,
    event_kind TEXT NOT NULL,
    reference TEXT NOT NULL,
    application_id TEXT REFERENCES applications (id),
    recipient TEXT NOT NULL,
    recipient_name TEXT NOT NULL,
    language TEXT NOT NULL,
    subject TEXT NOT NULL,
    body_text TEXT NOT NULL,
    body_html TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('queued', 'sending', 'sent', 'failed')),
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMP NOT NULL,
    claimed_by TEXT,
    claimed_until TIMESTAMP,
    last_error TEXT,
    created_at TIMESTAMP NOT NULL,
    sent_at TIMESTAMP
);
CREATE INDEX outbox_due ON outbox (status, next_attempt_at);
CREATE INDEX outbox_application ON outbox (application_id);
