DROP TABLE report_tasks;
DROP TABLE report_applications;
DROP INDEX applications_unfolded;
ALTER TABLE applications DROP COLUMN report_folded;
