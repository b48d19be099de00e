-- The reminder outbox: every message Confide owes someone about an
-- appointment (booking confirmation, the 24 h / 1 h / 15 min reminders,
-- reschedule and cancellation notices), one row per appointment, stage,
-- channel, recipient and appointment revision. A dispatcher claims due rows
-- with a lease (`lease_owner` + `next_attempt_at` as the lease's end), so a
-- row is sent by one process at a time and an abandoned lease is claimable
-- again.

CREATE TABLE notifications (
    id                   INTEGER PRIMARY KEY AUTOINCREMENT,
    appointment_id       INTEGER NOT NULL REFERENCES appointments (id) ON DELETE CASCADE,
    stage                TEXT    NOT NULL CHECK (stage IN ('confirmation', 'reminder_24h', 'reminder_1h', 'reminder_15m', 'rescheduled', 'cancelled')),
    channel              TEXT    NOT NULL CHECK (channel IN ('email', 'whatsapp')),
    recipient_id         INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    revision             INTEGER NOT NULL,
    due_at               INTEGER NOT NULL,
    next_attempt_at      INTEGER NOT NULL,
    state                TEXT    NOT NULL CHECK (state IN ('pending', 'sending', 'sent', 'failed', 'skipped', 'cancelled')),
    attempts             INTEGER NOT NULL DEFAULT 0,
    lease_owner          TEXT,
    last_error           TEXT,
    provider_message_id  TEXT,
    delivered_via        TEXT,
    subject              TEXT,
    body                 TEXT,
    sent_at              INTEGER,
    created_at           INTEGER NOT NULL,
    updated_at           INTEGER NOT NULL,
    UNIQUE (appointment_id, stage, channel, recipient_id, revision)
);
-- The dispatcher's query: due rows among the live ones, oldest first.
CREATE INDEX notifications_due ON notifications (next_attempt_at) WHERE state IN ('pending', 'sending');
CREATE INDEX notifications_lease ON notifications (lease_owner) WHERE state = 'sending';
