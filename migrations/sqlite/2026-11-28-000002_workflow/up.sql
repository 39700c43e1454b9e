-- The workflow engine: pinned definitions, applications with their phases and review tasks,
-- the append-only audit log, attachments, idempotency keys. Keep in step with
-- migrations/postgres (a test compares them).

CREATE TABLE workflow_definitions (
    name TEXT NOT NULL,
    version INTEGER NOT NULL,
    body TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (name, version)
);

-- The last reference number handed out per year (PF-2026-000123).
CREATE TABLE reference_counters (
    year INTEGER PRIMARY KEY NOT NULL,
    last_value INTEGER NOT NULL
);

CREATE TABLE applications (
    id TEXT PRIMARY KEY NOT NULL,
    reference TEXT NOT NULL UNIQUE,
    firm_id TEXT NOT NULL REFERENCES firms (id),
    created_by TEXT NOT NULL REFERENCES users (id),
    status TEXT NOT NULL CHECK (status IN ('draft', 'submitted', 'under_review', 'info_requested',
        'issued', 'not_accepted', 'rejected', 'withdrawn')),
    -- Bumped by every change; a write that finds another version lost a race (409).
    version INTEGER NOT NULL,
    -- The ApplicationInput as JSON (a draft may be partial).
    input TEXT NOT NULL,
    workflow TEXT,
    workflow_version INTEGER,
    permit_class TEXT,
    issuing_level TEXT,
    issuing_authority TEXT REFERENCES authorities (code),
    statutory_working_days INTEGER,
    statutory_due_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    submitted_at TIMESTAMP,
    accepted_at TIMESTAMP,
    decided_at TIMESTAMP,
    issued_at TIMESTAMP,
    paused_minutes INTEGER NOT NULL DEFAULT 0,
    paused_since TIMESTAMP,
    permit_no TEXT
);
CREATE INDEX applications_firm_status ON applications (firm_id, status);
CREATE INDEX applications_status ON applications (status, submitted_at);

-- The counties and prefectures a submitted application's route touches, for managers' scopes.
CREATE TABLE application_areas (
    application_id TEXT NOT NULL REFERENCES applications (id),
    county TEXT NOT NULL REFERENCES jurisdictions (code),
    prefecture TEXT NOT NULL REFERENCES jurisdictions (code),
    PRIMARY KEY (application_id, county)
);
CREATE INDEX application_areas_prefecture ON application_areas (prefecture);
CREATE INDEX application_areas_county ON application_areas (county);

CREATE TABLE application_phases (
    application_id TEXT NOT NULL REFERENCES applications (id),
    position INTEGER NOT NULL,
    name TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('waiting', 'open', 'done', 'cancelled')),
    opened_at TIMESTAMP,
    completed_at TIMESTAMP,
    PRIMARY KEY (application_id, position)
);

CREATE TABLE review_tasks (
    id TEXT PRIMARY KEY NOT NULL,
    application_id TEXT NOT NULL REFERENCES applications (id),
    phase_position INTEGER NOT NULL,
    position INTEGER NOT NULL,
    step TEXT NOT NULL,
    authority_code TEXT NOT NULL REFERENCES authorities (code),
    budget_minutes INTEGER NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('waiting', 'open', 'claimed', 'approved', 'rejected',
        'info_requested', 'cancelled')),
    assignee TEXT REFERENCES users (id),
    opened_at TIMESTAMP,
    claimed_at TIMESTAMP,
    due_at TIMESTAMP,
    decided_at TIMESTAMP,
    decision TEXT,
    -- JSON array of condition texts.
    conditions TEXT NOT NULL,
    comment TEXT,
    escalation_level INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX review_tasks_queue ON review_tasks (authority_code, state, due_at);
CREATE INDEX review_tasks_application ON review_tasks (application_id);

-- The audit log (审计日志): append-only, one row per event.
CREATE TABLE application_events (
    id TEXT PRIMARY KEY NOT NULL,
    application_id TEXT NOT NULL REFERENCES applications (id),
    seq INTEGER NOT NULL,
    at TIMESTAMP NOT NULL,
    kind TEXT NOT NULL,
    actor_id TEXT REFERENCES users (id),
    task_id TEXT,
    detail TEXT NOT NULL,
    UNIQUE (application_id, seq)
);

CREATE TABLE attachments (
    id TEXT PRIMARY KEY NOT NULL,
    application_id TEXT NOT NULL REFERENCES applications (id),
    kind TEXT NOT NULL CHECK (kind IN ('contour_drawing', 'escort_plan', 'vehicle_licence', 'other')),
    filename TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size BIGINT NOT NULL,
    sha256 TEXT NOT NULL,
    uploaded_by TEXT NOT NULL REFERENCES users (id),
    uploaded_at TIMESTAMP NOT NULL
);
CREATE INDEX attachments_application ON attachments (application_id);

-- Writes repeated with the same Idempotency-Key return the first response.
CREATE TABLE idempotency_keys (
    user_id TEXT NOT NULL REFERENCES users (id),
    idempotency_key TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    status_code INTEGER,
    response TEXT,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (user_id, idempotency_key)
);
