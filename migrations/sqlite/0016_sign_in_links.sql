-- One-time sign-in links in a patient's reminders (app.magic_links): a
-- secret, kept only as its SHA-256, bound to one appointment and working
-- once, until the appointment's room closes. The session it starts is
-- bound to that appointment too (sessions.appointment_id): it opens that
-- session's page and nothing else.
CREATE TABLE sign_in_links (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    token_hash      TEXT    NOT NULL UNIQUE,
    user_id         INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    appointment_id  INTEGER NOT NULL REFERENCES appointments (id) ON DELETE CASCADE,
    expires_at      INTEGER NOT NULL,
    used_at         INTEGER,
    created_at      INTEGER NOT NULL
);
ALTER TABLE sessions ADD COLUMN appointment_id INTEGER;
