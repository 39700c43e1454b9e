-- Permits (通行证) and the trips recorded against them on site (现场核销). Keep in step with
-- migrations/postgres (a test compares them).

-- One counter per issuing jurisdiction and year, bumped inside the issuing transaction, so
-- numbers have neither gaps nor duplicates however many reviewers approve at once.
CREATE TABLE permit_counters (
    jurisdiction TEXT NOT NULL,
    year INTEGER NOT NULL,
    last_value INTEGER NOT NULL,
    PRIMARY KEY (jurisdiction, year)
);

CREATE TABLE permits (
    permit_no TEXT PRIMARY KEY NOT NULL,
    application_id TEXT NOT NULL UNIQUE REFERENCES applications (id),
    -- Part of the QR token: a new version (a re-issue) makes old paper copies unverifiable.
    version INTEGER NOT NULL,
    holder_firm_id TEXT NOT NULL REFERENCES firms (id),
    holder_name TEXT NOT NULL,
    holder_credit_code TEXT NOT NULL,
    -- JSON: the tractor's plate first, then the trailers'.
    plates TEXT NOT NULL,
    -- JSON snapshots of what was approved: later edits of anything else do not change them.
    cargo TEXT NOT NULL,
    vehicle TEXT NOT NULL,
    route TEXT NOT NULL,
    conditions TEXT NOT NULL,
    valid_from DATE NOT NULL,
    valid_to DATE NOT NULL,
    trips_allowed INTEGER NOT NULL CHECK (trips_allowed > 0),
    trips_used INTEGER NOT NULL DEFAULT 0,
    issuing_authority TEXT NOT NULL REFERENCES authorities (code),
    issuing_jurisdiction TEXT NOT NULL,
    issued_at TIMESTAMP NOT NULL,
    revoked_at TIMESTAMP,
    revoked_by TEXT REFERENCES users (id),
    revoke_reason TEXT,
    CHECK (trips_used >= 0 AND trips_used <= trips_allowed)
);
CREATE INDEX permits_holder ON permits (holder_firm_id);

CREATE TABLE permit_trips (
    id TEXT PRIMARY KEY NOT NULL,
    permit_no TEXT NOT NULL REFERENCES permits (permit_no),
    trip_no INTEGER NOT NULL,
    plate TEXT NOT NULL,
    location TEXT NOT NULL,
    note TEXT NOT NULL,
    recorded_by TEXT NOT NULL REFERENCES users (id),
    recorded_at TIMESTAMP NOT NULL,
    UNIQUE (permit_no, trip_no)
);
