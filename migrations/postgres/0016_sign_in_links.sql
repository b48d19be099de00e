-- One-time sign-in links in a patient's reminders (app.magic_links): a
-- secret, kept only as its SHA-256, bound to one appointment and working
-- once, until the appointment's room closes. The session it starts is
-- bound to that appointment too (sessions.appointment_id): it opens that
-- session's page and nothing else.
CREATE TABLE sign_in_links (
    id              BIGSERIAL PRIMARY KEY,
    token_hash      TEXT    NOT NULL UNIQUE,
    user_id         BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    appointment_id  BIGINT NOT NULL REFERENCES appointments (id) ON DELETE CASCADE,
    expires_at      BIGINT NOT NULL,
    used_at         BIGINT,
    created_at      BIGINT NOT NULL
);
ALTER TABLE sessions ADD COLUMN appointment_id BIGINT;
