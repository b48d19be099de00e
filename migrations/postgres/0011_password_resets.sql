-- Password resets: a single-use secret sent by e-mail, of which only the
-- SHA-256 is kept. Using one (or asking for a newer one and using that)
-- ends every other of the user's resets and sessions.

CREATE TABLE password_resets (
    id            BIGSERIAL PRIMARY KEY,
    user_id       BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_hash    TEXT    NOT NULL UNIQUE,
    expires_at    BIGINT NOT NULL,
    used_at       BIGINT,
    requested_ip  TEXT,
    created_at    BIGINT NOT NULL
);
CREATE INDEX password_resets_user ON password_resets (user_id);

-- E-mail about an account rather than an appointment (the reset link),
-- delivered by the same durable queue as reminders (see 0006). `link`
-- holds the secret link only until the message is sent.
CREATE TABLE account_emails (
    id                   BIGSERIAL PRIMARY KEY,
    kind                 TEXT    NOT NULL CHECK (kind IN ('password_reset')),
    recipient_id         BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    link                 TEXT,
    expires_at           BIGINT NOT NULL,
    next_attempt_at      BIGINT NOT NULL,
    state                TEXT    NOT NULL CHECK (state IN ('pending', 'sending', 'sent', 'failed', 'skipped')),
    attempts             BIGINT NOT NULL DEFAULT 0,
    lease_owner          TEXT,
    last_error           TEXT,
    provider_message_id  TEXT,
    delivered_via        TEXT,
    subject              TEXT,
    sent_at              BIGINT,
    created_at           BIGINT NOT NULL,
    updated_at           BIGINT NOT NULL
);
CREATE INDEX account_emails_due ON account_emails (next_attempt_at) WHERE state IN ('pending', 'sending');
