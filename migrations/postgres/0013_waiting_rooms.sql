-- An appointment's waiting room: when its patient arrived, whether the
-- psychologist let them in (or sent them away), and the psychologist's
-- note to the waiting patient ("running 5 minutes late"). `version` grows
-- with every change, so a page waiting for news asks "newer than N?".
CREATE TABLE waiting_rooms (
    appointment_id  BIGINT PRIMARY KEY REFERENCES appointments (id) ON DELETE CASCADE,
    waiting_since   BIGINT,
    admitted_at     BIGINT,
    removed_at      BIGINT,
    note            TEXT,
    note_at         BIGINT,
    version         BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL
);
