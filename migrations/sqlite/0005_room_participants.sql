-- Who was in each REST room and when, for /v1/Rooms/{sid}/Participants
-- (connected and disconnected), kept from the SFU's events.

CREATE TABLE room_participants (
    sid         TEXT    PRIMARY KEY,
    room_sid    TEXT    NOT NULL,
    identity    TEXT    NOT NULL,
    status      TEXT    NOT NULL CHECK (status IN ('connected', 'disconnected')),
    start_time  INTEGER NOT NULL,
    end_time    INTEGER
);
CREATE INDEX room_participants_room ON room_participants (room_sid, status);
