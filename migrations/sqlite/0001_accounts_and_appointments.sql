-- Accounts, sessions and appointments. Times are UTC Unix seconds; booleans
-- are 0/1 integers (the same in both databases, so queries are shared).

CREATE TABLE users (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    email            TEXT    NOT NULL UNIQUE,
    name             TEXT    NOT NULL,
    role             TEXT    NOT NULL CHECK (role IN ('patient', 'psychologist', 'admin')),
    phone            TEXT,
    time_zone        TEXT    NOT NULL,
    whatsapp_opt_in  INTEGER NOT NULL DEFAULT 0,
    password_hash    TEXT    NOT NULL,
    created_at       INTEGER NOT NULL
);

CREATE TABLE sessions (
    id                  INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id             INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    refresh_token_hash  TEXT    NOT NULL UNIQUE,
    expires_at          INTEGER NOT NULL,
    revoked_at          INTEGER,
    created_at          INTEGER NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE appointments (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    patient_id        INTEGER NOT NULL REFERENCES users (id),
    psychologist_id   INTEGER NOT NULL REFERENCES users (id),
    starts_at         INTEGER NOT NULL,
    duration_minutes  INTEGER NOT NULL,
    session_type      TEXT    NOT NULL CHECK (session_type IN ('telehealth', 'in_person')),
    status            TEXT    NOT NULL CHECK (status IN ('scheduled', 'cancelled')),
    video_room_id     TEXT    UNIQUE,
    room_sid          TEXT    UNIQUE,
    sequence          INTEGER NOT NULL DEFAULT 0,
    created_by        INTEGER NOT NULL REFERENCES users (id),
    created_at        INTEGER NOT NULL,
    updated_at        INTEGER NOT NULL
);
CREATE INDEX appointments_patient ON appointments (patient_id, starts_at);
CREATE INDEX appointments_psychologist ON appointments (psychologist_id, starts_at);
