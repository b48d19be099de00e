-- The audit log: who did what, when, from where — token issues, joins and
-- leaves, admissions and removals, bookings, reschedules, cancels, sign-ups,
-- password resets and admin actions. Rows are only ever added (and removed
-- by the retention setting, oldest first); `actor` keeps the e-mail or
-- identity as it was, so an entry stays readable after an account changes.
CREATE TABLE audit_events (
    id              BIGSERIAL PRIMARY KEY,
    at              BIGINT NOT NULL,
    actor_id        BIGINT,
    actor           TEXT,
    action          TEXT    NOT NULL,
    appointment_id  BIGINT,
    subject_id      BIGINT,
    ip              TEXT,
    detail          TEXT
);
CREATE INDEX audit_events_at ON audit_events (at);
CREATE INDEX audit_events_appointment ON audit_events (appointment_id, at);
