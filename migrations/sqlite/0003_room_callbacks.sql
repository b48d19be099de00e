-- The durable queue of room status callbacks: one row per event, numbered
-- per room, delivered in that order with retries.

CREATE TABLE room_callbacks (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    room_sid         TEXT    NOT NULL,
    sequence         INTEGER NOT NULL,
    url              TEXT    NOT NULL,
    method           TEXT    NOT NULL,
    params           TEXT    NOT NULL,
    state            TEXT    NOT NULL CHECK (state IN ('pending', 'sent', 'failed')),
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  INTEGER NOT NULL,
    last_error       TEXT,
    created_at       INTEGER NOT NULL,
    UNIQUE (room_sid, sequence)
);
CREATE INDEX room_callbacks_due ON room_callbacks (state, next_attempt_at);
