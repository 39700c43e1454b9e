DROP INDEX review_tasks_next_sla;
ALTER TABLE review_tasks DROP COLUMN next_sla_at;
