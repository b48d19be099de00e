-- Video rooms, as the Twilio-compatible REST API (/v1/Rooms) sees them.
-- Appointment rooms are rooms too. A unique name is unique among rooms in
-- progress, as in Twilio.

CREATE TABLE rooms (
    sid                     TEXT    PRIMARY KEY,
    unique_name             TEXT    NOT NULL,
    status                  TEXT    NOT NULL CHECK (status IN ('in-progress', 'completed', 'failed')),
    type                    TEXT    NOT NULL,
    max_participants        BIGINT  NOT NULL,
    status_callback         TEXT,
    status_callback_method  TEXT    NOT NULL DEFAULT 'POST',
    empty_room_timeout      BIGINT  NOT NULL DEFAULT 5,
    unused_room_timeout     BIGINT  NOT NULL DEFAULT 5,
    created_at              BIGINT  NOT NULL,
    updated_at              BIGINT  NOT NULL,
    end_time                BIGINT 
);
CREATE UNIQUE INDEX rooms_in_progress_name ON rooms (unique_name) WHERE status = 'in-progress';
CREATE INDEX rooms_status ON rooms (status, created_at);
