-- An appointment's waiting room: when its patient arrived, whether the
-- psychologist let them in (or sent them away), and the psychologist's
-- note to the waiting patient ("running 5 minutes late"). `version` grows
-- with every change, so a page waiting for news asks "newer than N?".
CREATE TABLE waiting_rooms (
    appointment_id  INTEGER PRIMARY KEY REFERENCES appointments (id) ON DELETE CASCADE,
    waiting_since   INTEGER,
    admitted_at     INTEGER,
    removed_at      INTEGER,
    note            TEXT,
    note_at         INTEGER,
    version         INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
);
