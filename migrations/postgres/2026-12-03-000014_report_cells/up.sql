-- The turnaround report's pre-aggregated cells, so that a quarter's report reads a few
-- thousand rows rather than ranking half a million. Keep in step with migrations/sqlite.
--
-- An application is folded into the cells once it is terminal (issued, rejected, not
-- accepted, withdrawn: nothing of it changes any more), with its decided review tasks, by a
-- background job (`service::report_cells::fold`) in one transaction that also sets
-- `report_folded`. A report reads, in one snapshot, the cells of its scope and days plus the
-- rows of the applications not folded yet (open ones and the last seconds' decisions): its
-- figures are the raw rows' figures, exactly.
--
-- Cells are kept per scope: '*' (the whole region) and each county and prefecture code an
-- application's route touches (a manager's area), per local day of submission.
-- `minutes` is an exact histogram of net minutes: for each distinct value, how many rows had
-- it and how many of those were in time (applications: within the statutory deadline; tasks:
-- within their budget), as unsigned LEB128 varints (value delta from the previous entry,
-- count, in-time count; the first value zigzag-encoded).
ALTER TABLE applications ADD COLUMN report_folded BOOLEAN NOT NULL DEFAULT FALSE;
-- Open applications and the terminal ones waiting to be folded: a sliver of all, by day.
CREATE INDEX applications_unfolded ON applications (submitted_day)
    WHERE report_folded = FALSE AND submitted_day IS NOT NULL;

CREATE TABLE report_applications (
    scope TEXT NOT NULL,
    day DATE NOT NULL,
    workflow TEXT NOT NULL,
    class TEXT NOT NULL,
    kind TEXT NOT NULL,
    submitted BIGINT NOT NULL,
    issued BIGINT NOT NULL,
    rejected BIGINT NOT NULL,
    not_accepted BIGINT NOT NULL,
    -- Decided (issued or rejected) applications' net minutes.
    minutes BYTEA NOT NULL,
    PRIMARY KEY (scope, day, workflow, class, kind)
);

CREATE TABLE report_tasks (
    scope TEXT NOT NULL,
    day DATE NOT NULL,
    authority_code TEXT NOT NULL,
    phase TEXT NOT NULL,
    -- Decided review tasks' net minutes.
    minutes BYTEA NOT NULL,
    PRIMARY KEY (scope, day, authority_code, phase)
);
