-- Figures the turnaround report groups and ranks by, written by the engine with each change
-- so that the report is plain SQL on either backend. Keep in step with migrations/sqlite.
-- net_minutes: decided applications' net turnaround (gross minus time waiting for the
-- applicant); on tasks, a final decision's time from (re-)opening, less pauses.
-- submitted_day / submitted_week: the local day of submission and the Monday of its week.
-- Rows written before this migration are filled in assuming the default zone (UTC+8).
ALTER TABLE applications ADD COLUMN net_minutes INTEGER;
ALTER TABLE applications ADD COLUMN submitted_day DATE;
ALTER TABLE applications ADD COLUMN submitted_week DATE;
ALTER TABLE review_tasks ADD COLUMN net_minutes INTEGER;

UPDATE applications SET
    submitted_day = (submitted_at + INTERVAL '8 hours')::date,
    submitted_week = date_trunc('week', submitted_at + INTERVAL '8 hours')::date
WHERE submitted_at IS NOT NULL;
UPDATE applications SET net_minutes = GREATEST(0,
    trunc(EXTRACT(EPOCH FROM (decided_at - submitted_at)) / 60)::integer - paused_minutes)
WHERE decided_at IS NOT NULL AND submitted_at IS NOT NULL;
UPDATE review_tasks SET net_minutes = GREATEST(0,
    trunc(EXTRACT(EPOCH FROM (decided_at - due_at)) / 60)::integer + budget_minutes)
WHERE state IN ('approved', 'rejected') AND decided_at IS NOT NULL AND due_at IS NOT NULL;

CREATE INDEX applications_submitted_day ON applications (submitted_day);
-- Pending tasks are a sliver of all tasks: a partial index keeps the board and the report's
-- open/overdue counts from walking every application (the planner cannot know the skew).
CREATE INDEX review_tasks_pending ON review_tasks (authority_code, due_at)
    WHERE state IN ('open', 'claimed');
