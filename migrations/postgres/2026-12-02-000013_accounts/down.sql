DROP TABLE throttle_hits;
DROP TABLE account_tokens;
DROP TABLE registrations;
ALTER TABLE users DROP COLUMN firm_holder;
ALTER TABLE firms DROP COLUMN licence_no;
