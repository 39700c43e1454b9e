-- Amendments (变更, SPEC §7): a change to an issued permit, reviewed as a case of its own.
-- Its phases, tasks and events live in the application tables under its own id (an
-- `applications` row of kind `amendment`, outside every report by having no submission
-- day), so queues, SLA, reminders and escalation treat it as any other case; this table says
-- which permit it changes and how. Keep in step with the other backend's folder.
CREATE TABLE amendments (
    id TEXT PRIMARY KEY NOT NULL REFERENCES applications (id),
    permit_no TEXT NOT NULL REFERENCES permits (permit_no),
    -- The application the permit was issued on, and the amendment's number among all of its
    -- permits' (its reference is the application's with `-A` and this number).
    application_id TEXT NOT NULL REFERENCES applications (id),
    number INTEGER NOT NULL,
    -- The permit's version the amendment was asked against, and the one its approval made.
    from_version INTEGER NOT NULL,
    to_version INTEGER,
    -- JSON: the changes asked for, and the permit's values they replace.
    changes TEXT NOT NULL,
    previous TEXT NOT NULL,
    reason TEXT NOT NULL,
    requested_by TEXT NOT NULL REFERENCES users (id),
    created_at TIMESTAMP NOT NULL,
    decided_at TIMESTAMP,
    -- The permit's number while the amendment is under review, else NULL: one amendment at a
    -- time per permit, whatever races.
    open_permit_no TEXT UNIQUE,
    UNIQUE (application_id, number)
);
CREATE INDEX amendments_permit ON amendments (permit_no, number);
