-- When the 75 % reminder went out for a task still open (the escalation monitor's marker).
-- Keep in step with migrations/sqlite (a test compares them).
ALTER TABLE review_tasks ADD COLUMN reminded_at TIMESTAMP;
