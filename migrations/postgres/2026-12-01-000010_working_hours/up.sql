-- Calendars per jurisdiction, inherited downwards (national 'CN' → region → …): a day and a
-- verified year now belong to one jurisdiction's calendar. Existing rows are the national
-- calendar. And a task's budget may count working hours of its authority ('working') instead
-- of clock hours ('wall', every task so far). Keep in step with migrations/sqlite.
ALTER TABLE calendar_days ADD COLUMN jurisdiction TEXT NOT NULL DEFAULT 'CN';
ALTER TABLE calendar_days ALTER COLUMN jurisdiction DROP DEFAULT;
ALTER TABLE calendar_days DROP CONSTRAINT calendar_days_pkey;
ALTER TABLE calendar_days ADD PRIMARY KEY (jurisdiction, day);

ALTER TABLE calendar_years ADD COLUMN jurisdiction TEXT NOT NULL DEFAULT 'CN';
ALTER TABLE calendar_years ALTER COLUMN jurisdiction DROP DEFAULT;
ALTER TABLE calendar_years DROP CONSTRAINT calendar_years_pkey;
ALTER TABLE calendar_years ADD PRIMARY KEY (jurisdiction, year);

ALTER TABLE review_tasks ADD COLUMN budget_clock TEXT NOT NULL DEFAULT 'wall'
    CHECK (budget_clock IN ('wall', 'working'));
