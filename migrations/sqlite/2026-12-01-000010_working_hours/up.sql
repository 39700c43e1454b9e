-- Calendars per jurisdiction, inherited downwards (national 'CN' → region → …): a day and a
-- verified year now belong to one jurisdiction's calendar. Existing rows are the national
-- calendar. And a task's budget may count working hours of its authority ('working') instead
-- of clock hours ('wall', every task so far). Keep in step with migrations/postgres.
CREATE TABLE calendar_days_by_jurisdiction (
    jurisdiction TEXT NOT NULL,
    day DATE NOT NULL,
    working BOOLEAN NOT NULL,
    note TEXT NOT NULL,
    source TEXT NOT NULL CHECK (source IN ('shipped', 'admin')),
    PRIMARY KEY (jurisdiction, day)
);
INSERT INTO calendar_days_by_jurisdiction (jurisdiction, day, working, note, source)
    SELECT 'CN', day, working, note, source FROM calendar_days;
DROP TABLE calendar_days;
ALTER TABLE calendar_days_by_jurisdiction RENAME TO calendar_days;

CREATE TABLE calendar_years_by_jurisdiction (
    jurisdiction TEXT NOT NULL,
    year INTEGER NOT NULL,
    verified BOOLEAN NOT NULL,
    source TEXT NOT NULL CHECK (source IN ('shipped', 'admin')),
    PRIMARY KEY (jurisdiction, year)
);
INSERT INTO calendar_years_by_jurisdiction (jurisdiction, year, verified, source)
    SELECT 'CN', year, verified, source FROM calendar_years;
DROP TABLE calendar_years;
ALTER TABLE calendar_years_by_jurisdiction RENAME TO calendar_years;

ALTER TABLE review_tasks ADD COLUMN budget_clock TEXT NOT NULL DEFAULT 'wall'
    CHECK (budget_clock IN ('wall', 'working'));
