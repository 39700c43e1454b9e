-- The next moment the SLA ladder has something to do for a pending task (the reminder at 75 %
-- of its budget, then each escalation level), written by the engine with every change of the
-- task from the escalation rule, so that the monitor's query reads it instead of guessing.
-- Keep in step with migrations/sqlite. Pending tasks of earlier versions are filled in by
-- the same rule: start = due_at - budget; the reminder at start + 75 %, the levels at
-- due_at (100 %), + 50 % (150 %), + 100 % (200 %); none after level 3.
ALTER TABLE review_tasks ADD COLUMN next_sla_at TIMESTAMP;

UPDATE review_tasks SET next_sla_at = due_at + make_interval(secs => CASE
        WHEN escalation_level = 0 AND reminded_at IS NULL THEN -(budget_minutes * 60 * 25 / 100)
        WHEN escalation_level = 0 THEN 0
        WHEN escalation_level = 1 THEN budget_minutes * 60 * 50 / 100
        ELSE budget_minutes * 60
    END)
WHERE state IN ('open', 'claimed') AND due_at IS NOT NULL AND budget_minutes > 0
    AND escalation_level < 3;

CREATE INDEX review_tasks_next_sla ON review_tasks (next_sla_at)
    WHERE state IN ('open', 'claimed');
