-- Back to one permit per application: a project's later permits and their trips go.
DROP TABLE trip_scans;
DROP INDEX permit_trips_vehicle;
DELETE FROM permit_trips WHERE permit_no IN (SELECT permit_no FROM permits WHERE position > 0);
ALTER TABLE permit_trips DROP COLUMN last_seen_location, DROP COLUMN last_seen_at,
    DROP COLUMN arrived_at, DROP COLUMN vehicle;
DELETE FROM permits WHERE position > 0;
ALTER TABLE permits DROP CONSTRAINT permits_application_position;
ALTER TABLE permits DROP COLUMN fleet, DROP COLUMN project_name, DROP COLUMN load_key,
    DROP COLUMN position;
ALTER TABLE permits ADD CONSTRAINT permits_application_id_key UNIQUE (application_id);
ALTER TABLE attachments DROP COLUMN load_key;
ALTER TABLE applications DROP COLUMN kind;
