DROP INDEX review_tasks_pending;
DROP INDEX applications_submitted_day;
ALTER TABLE review_tasks DROP COLUMN net_minutes;
ALTER TABLE applications DROP COLUMN submitted_week;
ALTER TABLE applications DROP COLUMN submitted_day;
ALTER TABLE applications DROP COLUMN net_minutes;
