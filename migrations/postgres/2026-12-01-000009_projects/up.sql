-- Transport projects (信息上报, SPEC §7a) and trips as journeys (现场核销). Keep in step with
-- migrations/sqlite (a test compares them).

-- An application is one load (`single`) or a whole campaign (`project`); reports group by it.
ALTER TABLE applications ADD COLUMN kind TEXT NOT NULL DEFAULT 'single'
    CHECK (kind IN ('single', 'project'));

-- A project's contour drawings are per load.
ALTER TABLE attachments ADD COLUMN load_key TEXT;

-- A project has one permit per load: unique per (application, position of its load).
ALTER TABLE permits DROP CONSTRAINT permits_application_id_key;
-- The load's position in its project (0 for a single application), its key and the
-- project's name.
ALTER TABLE permits ADD COLUMN position INTEGER NOT NULL DEFAULT 0;
ALTER TABLE permits ADD COLUMN load_key TEXT;
ALTER TABLE permits ADD COLUMN project_name TEXT;
-- JSON: the vehicles that may use it, each [tractor plate, trailer plates...]; empty for a
-- permit issued before projects (its plates are then one vehicle).
ALTER TABLE permits ADD COLUMN fleet TEXT NOT NULL DEFAULT '[]';
ALTER TABLE permits ADD CONSTRAINT permits_application_position UNIQUE (application_id, position);

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
