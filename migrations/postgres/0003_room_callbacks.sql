-- The durable queue of room status callbacks: one row per event, numbered
-- per room, delivered in that order with retries.

CREATE TABLE room_callbacks (
    id               BIGSERIAL PRIMARY KEY,
    room_sid         TEXT    NOT NULL,
    sequence         BIGINT  NOT NULL,
    url              TEXT    NOT NULL,
    method           TEXT    NOT NULL,
    params           TEXT    NOT NULL,
    state            TEXT    NOT NULL CHECK (state IN ('pending', 'sent', 'failed')),
    attempts         BIGINT  NOT NULL DEFAULT 0,
    next_attempt_at  BIGINT  NOT NULL,
    last_error       TEXT,
    created_at       BIGINT  NOT NULL,
    UNIQUE (room_sid, sequence)
);
CREATE INDEX room_callbacks_due ON room_callbacks (state, next_attempt_at);
