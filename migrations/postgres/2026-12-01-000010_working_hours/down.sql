-- Back to one national calendar and clock-hour budgets: regional days go.
ALTER TABLE review_tasks DROP COLUMN budget_clock;

DELETE FROM calendar_years WHERE jurisdiction <> 'CN';
ALTER TABLE calendar_years DROP CONSTRAINT calendar_years_pkey;
ALTER TABLE calendar_years DROP COLUMN jurisdiction;
ALTER TABLE calendar_years ADD PRIMARY KEY (year);

DELETE FROM calendar_days WHERE jurisdiction <> 'CN';
ALTER TABLE calendar_days DROP CONSTRAINT calendar_days_pkey;
ALTER TABLE calendar_days DROP COLUMN jurisdiction;
ALTER TABLE calendar_days ADD PRIMARY KEY (day);
