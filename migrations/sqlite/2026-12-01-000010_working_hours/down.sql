-- Back to one national calendar and clock-hour budgets: regional days go.
ALTER TABLE review_tasks DROP COLUMN budget_clock;

CREATE TABLE calendar_years_national (
    year INTEGER PRIMARY KEY NOT NULL,
    verified BOOLEAN NOT NULL,
    source TEXT NOT NULL CHECK (source IN ('shipped', 'admin'))
);
INSERT INTO calendar_years_national (year, verified, source)
    SELECT year, verified, source FROM calendar_years WHERE jurisdiction = 'CN';
DROP TABLE calendar_years;
ALTER TABLE calendar_years_national RENAME TO calendar_years;

CREATE TABLE calendar_days_national (
    day DATE PRIMARY KEY NOT NULL,
    working BOOLEAN NOT NULL,
    note TEXT NOT NULL,
    source TEXT NOT NULL CHECK (source IN ('shipped', 'admin'))
);
INSERT INTO calendar_days_national (day, working, note, source)
    SELECT day, working, note, source FROM calendar_days WHERE jurisdiction = 'CN';
DROP TABLE calendar_days;
ALTER TABLE calendar_days_national RENAME TO calendar_days;
