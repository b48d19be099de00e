-- Status callbacks join the one durable queue (api/src/queue): a lease per
-- claimed row (`lease_owner`, with `next_attempt_at` as the lease's end and
-- the 'sending' state), when it was delivered and last touched, and an
-- index over live rows only. SQLite cannot change a CHECK constraint in
-- place, so the table is rebuilt.

CREATE TABLE room_callbacks_new (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    room_sid         TEXT    NOT NULL,
    sequence         INTEGER NOT NULL,
    url              TEXT    NOT NULL,
    method           TEXT    NOT NULL,
    params           TEXT    NOT NULL,
    state            TEXT    NOT NULL CHECK (state IN ('pending', 'sending', 'sent', 'failed')),
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  INTEGER NOT NULL,
    lease_owner      TEXT,
    last_error       TEXT,
    sent_at          INTEGER,
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL,
    UNIQUE (room_sid, sequence)
);
INSERT INTO room_callbacks_new (id, room_sid, sequence, url, method, params, state, attempts,
                                next_attempt_at, last_error, created_at, updated_at)
    SELECT id, room_sid, sequence, url, method, params, state, attempts,
           next_attempt_at, last_error, created_at, created_at
    FROM room_callbacks;
DROP TABLE room_callbacks;
ALTER TABLE room_callbacks_new RENAME TO room_callbacks;
CREATE INDEX room_callbacks_due ON room_callbacks (next_attempt_at) WHERE state IN ('pending', 'sending');
CREATE INDEX room_callbacks_lease ON room_callbacks (lease_owner) WHERE state = 'sending';
