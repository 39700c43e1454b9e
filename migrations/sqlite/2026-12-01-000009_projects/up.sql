-- Transport projects (信息上报, SPEC §7a) and trips as journeys (现场核销). Keep in step with
-- migrations/postgres (a test compares them).

-- An application is one load (`single`) or a whole campaign (`project`); reports group by it.
ALTER TABLE applications ADD COLUMN kind TEXT NOT NULL DEFAULT 'single'
    CHECK (kind IN ('single', 'project'));

-- A project's contour drawings are per load.
ALTER TABLE attachments ADD COLUMN load_key TEXT;

-- A project has one permit per load, so the permit is no longer unique per application but
-- per (application, position of its load). SQLite cannot drop a constraint: the table is
-- rebuilt, its trips' references checked at commit once every permit is back.
PRAGMA defer_foreign_keys = ON;
CREATE TABLE permits_before_projects AS SELECT * FROM permits;
DROP TABLE permits;
CREATE TABLE permits (
    permit_no TEXT PRIMARY KEY NOT NULL,
    application_id TEXT NOT NULL REFERENCES applications (id),
    -- Part of the QR token: a new version (a re-issue) makes old paper copies unverifiable.
    version INTEGER NOT NULL,
    holder_firm_id TEXT NOT NULL REFERENCES firms (id),
    holder_name TEXT NOT NULL,
    holder_credit_code TEXT NOT NULL,
    -- JSON: the tractor's plate first, then the trailers' (a project load: every carrier's).
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
    -- The load's position in its project (0 for a single application), its key and the
    -- project's name.
    position INTEGER NOT NULL DEFAULT 0,
    load_key TEXT,
    project_name TEXT,
    -- JSON: the vehicles that may use it, each [tractor plate, trailer plates...]; empty for
    -- a permit issued before projects (its plates are then one vehicle).
    fleet TEXT NOT NULL DEFAULT '[]',
    CHECK (trips_used >= 0 AND trips_used <= trips_allowed),
    UNIQUE (application_id, position)
);
INSERT INTO permits (permit_no, application_id, version, holder_firm_id, holder_name,
        holder_credit_code, plates, cargo, vehicle, route, conditions, valid_from, valid_to,
        trips_allowed, trips_used, issuing_authority, issuing_jurisdiction, issued_at,
        revoked_at, revoked_by, revoke_reason)
    SELECT permit_no, application_id, version, holder_firm_id, holder_name,
        holder_credit_code, plates, cargo, vehicle, route, conditions, valid_from, valid_to,
        trips_allowed, trips_used, issuing_authority, issuing_jurisdiction, issued_at,
        revoked_at, revoked_by, revoke_reason
    FROM permits_before_projects;
DROP TABLE permits_before_projects;
CREATE INDEX permits_holder ON permits (holder_firm_id);

-- A trip is a journey: departed (the scan that used one of the allowance), sighted at
-- checkpoints, arrived. `vehicle` is the tractor plate of the vehicle making it.
ALTER TABLE permit_trips ADD COLUMN vehicle TEXT NOT NULL DEFAULT '';
ALTER TABLE permit_trips ADD COLUMN arrived_at TIMESTAMP;
ALTER TABLE permit_trips ADD COLUMN last_seen_at TIMESTAMP;
ALTER TABLE permit_trips ADD COLUMN last_seen_location TEXT;
UPDATE permit_trips SET vehicle = plate, last_seen_at = recorded_at,
    last_seen_location = location;
CREATE INDEX permit_trips_vehicle ON permit_trips (permit_no, vehicle, recorded_at);

-- Every scan of a trip, its departure included.
CREATE TABLE trip_scans (
    id TEXT PRIMARY KEY NOT NULL,
    permit_no TEXT NOT NULL REFERENCES permits (permit_no),
    trip_no INTEGER NOT NULL,
    stage TEXT NOT NULL CHECK (stage IN ('departure', 'checkpoint', 'arrival')),
    plate TEXT NOT NULL,
    location TEXT NOT NULL,
    note TEXT NOT NULL,
    inspector TEXT NOT NULL REFERENCES users (id),
    at TIMESTAMP NOT NULL,
    -- JSON list of warnings shown to the inspector (outside_allowed_hours).
    warnings TEXT NOT NULL DEFAULT '[]'
);
CREATE INDEX trip_scans_trip ON trip_scans (permit_no, trip_no, at);
INSERT INTO trip_scans (id, permit_no, trip_no, stage, plate, location, note, inspector, at)
    SELECT id, permit_no, trip_no, 'departure', plate, location, note, recorded_by, recorded_at
    FROM permit_trips;
