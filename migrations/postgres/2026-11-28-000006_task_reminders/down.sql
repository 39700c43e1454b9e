ALTER TABLE review_tasks DROP COLUMN reminded_at;
