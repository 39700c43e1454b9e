ALTER TABLE applications DROP COLUMN reported_at;
