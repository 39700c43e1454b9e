-- When the applicant was last told how review stands (an e-mail of a step, or a digest of the
-- approvals since). Approvals after it are folded into the next digest or the next important
-- e-mail rather than each sent on its own. Applications already under way were told of every
-- approval so far, one e-mail each: they count as told at their last change.
ALTER TABLE applications ADD COLUMN reported_at TIMESTAMP;
UPDATE applications SET reported_at = updated_at WHERE status <> 'draft';
