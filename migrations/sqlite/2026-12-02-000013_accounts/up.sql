-- Accounts a firm opens itself (SPEC §1): registrations waiting for their e-mail and an
-- admin, the single-use e-mailed tokens (confirmation, password reset, invitation), and the
-- throttle on the public account forms. Keep in step with the other backend's folder.

-- The firm's operating licence (道路运输经营许可证号), as its registration gave it.
ALTER TABLE firms ADD COLUMN licence_no TEXT;
-- The firm's account holder, who invites colleagues and may switch them off: the first
-- account of each firm.
ALTER TABLE users ADD COLUMN firm_holder BOOLEAN NOT NULL DEFAULT 0;
UPDATE users SET firm_holder = 1
WHERE role = 'applicant' AND id = (
    SELECT first.id FROM users first
    WHERE first.firm_id = users.firm_id
    ORDER BY first.created_at, first.id LIMIT 1);

CREATE TABLE registrations (
    id TEXT PRIMARY KEY NOT NULL,
    firm_code TEXT NOT NULL,
    firm_name TEXT NOT NULL,
    licence_no TEXT NOT NULL,
    contact_name TEXT NOT NULL,
    phone TEXT NOT NULL,
    email TEXT NOT NULL,
    -- Kept only while the registration waits; emptied once it is decided or expires.
    password_hash TEXT NOT NULL,
    language TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN
        ('email_unverified', 'pending', 'approved', 'rejected', 'expired')),
    created_at TIMESTAMP NOT NULL,
    confirmed_at TIMESTAMP,
    decided_at TIMESTAMP,
    decided_by TEXT REFERENCES users (id),
    reason TEXT,
    -- The account its approval made.
    user_id TEXT REFERENCES users (id)
);
CREATE INDEX registrations_status ON registrations (status, created_at);
CREATE INDEX registrations_email ON registrations (email);

-- Only a token's SHA-256 is kept; the token itself is in the e-mail alone.
CREATE TABLE account_tokens (
    id TEXT PRIMARY KEY NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    purpose TEXT NOT NULL CHECK (purpose IN ('confirm', 'reset', 'invite')),
    registration_id TEXT REFERENCES registrations (id),
    user_id TEXT REFERENCES users (id),
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    used_at TIMESTAMP,
    CHECK ((registration_id IS NULL) <> (user_id IS NULL))
);
CREATE INDEX account_tokens_user ON account_tokens (user_id);
CREATE INDEX account_tokens_registration ON account_tokens (registration_id);

-- Each use of a throttled public form: by action ('register', 'reset') and subject (an
-- address, or an e-mail).
CREATE TABLE throttle_hits (
    id TEXT PRIMARY KEY NOT NULL,
    action TEXT NOT NULL,
    subject TEXT NOT NULL,
    at TIMESTAMP NOT NULL
);
CREATE INDEX throttle_hits_lookup ON throttle_hits (action, subject, at);
