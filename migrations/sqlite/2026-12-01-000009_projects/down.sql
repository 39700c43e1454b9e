-- Back to one permit per application: a project's later permits and their trips go.
PRAGMA defer_foreign_keys = ON;
DROP TABLE trip_scans;
DROP INDEX permit_trips_vehicle;
DELETE FROM permit_trips WHERE permit_no IN (SELECT permit_no FROM permits WHERE position > 0);
ALTER TABLE permit_trips DROP COLUMN last_seen_location;
ALTER TABLE permit_trips DROP COLUMN last_seen_at;
ALTER TABLE permit_trips DROP COLUMN arrived_at;
ALTER TABLE permit_trips DROP COLUMN vehicle;
CREATE TABLE permits_after_projects AS SELECT * FROM permits WHERE position = 0;
DROP TABLE permits;
CREATE TABLE permits (
    permit_no TEXT PRIMARY KEY NOT NULL,
    application_id TEXT NOT NULL UNIQUE REFERENCES applications (id),
    version INTEGER NOT NULL,
    holder_firm_id TEXT NOT NULL REFERENCES firms (id),
    holder_name TEXT NOT NULL,
    holder_credit_code TEXT NOT NULL,
    plates TEXT NOT NULL,
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
INSERT INTO permits SELECT permit_no, application_id, version, holder_firm_id, holder_name,
        holder_credit_code, plates, cargo, vehicle, route, conditions, valid_from, valid_to,
        trips_allowed, trips_used, issuing_authority, issuing_jurisdiction, issued_at,
        revoked_at, revoked_by, revoke_reason
    FROM permits_after_projects;
DROP TABLE permits_after_projects;
CREATE INDEX permits_holder ON permits (holder_firm_id);
ALTER TABLE attachments DROP COLUMN load_key;
ALTER TABLE applications DROP COLUMN kind;
