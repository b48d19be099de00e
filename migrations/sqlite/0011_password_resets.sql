-- Password resets: a single-use secret sent by e-mail, of which only the
-- SHA-256 is kept. Using one (or asking for a newer one and using that)
-- ends every other of the user's resets and sessions.

CREATE TABLE password_resets (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id       INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_hash    TEXT    NOT NULL UNIQUE,
    expires_at    INTEGER NOT NULL,
    used_at       INTEGER,
    requested_ip  TEXT,
    created_at    INTEGER NOT NULL
);
CREATE INDEX password_resets_user ON password_resets (user_id);

-- E-mail about an account rather than an appointment (the reset link),
-- delivered by the same durable queue as reminders (see 0006). `link`
-- holds the secret link only until the message is sent.
CREATE TABLE account_emails (
    id                   INTEGER PRIMARY KEY AUTOINCREMENT,
    kind                 TEXT    NOT NULL CHECK (kind IN ('password_reset')),
    recipient_id         INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    link                 TEXT,
    expires_at           INTEGER NOT NULL,
    next_attempt_at      INTEGER NOT NULL,
    state                TEXT    NOT NULL CHECK (state IN ('pending', 'sending', 'sent', 'failed', 'skipped')),
    attempts             INTEGER NOT NULL DEFAULT 0,
    lease_owner          TEXT,
    last_error           TEXT,
    provider_message_id  TEXT,
    delivered_via        TEXT,
    subject              TEXT,
    sent_at              INTEGER,
    created_at           INTEGER NOT NULL,
    updated_at           INTEGER NOT NULL
);
CREATE INDEX account_emails_due ON account_emails (next_attempt_at) WHERE state IN ('pending', 'sending');
