-- Accounts, sessions and appointments. Times are UTC Unix seconds; booleans
-- are 0/1 integers (the same in both databases, so queries are shared).

CREATE TABLE users (
    id               BIGSERIAL PRIMARY KEY,
    email            TEXT    NOT NULL UNIQUE,
    name             TEXT    NOT NULL,
    role             TEXT    NOT NULL CHECK (role IN ('patient', 'psychologist', 'admin')),
    phone            TEXT,
    time_zone        TEXT    NOT NULL,
    whatsapp_opt_in  BIGINT  NOT NULL DEFAULT 0,
    password_hash    TEXT    NOT NULL,
    created_at       BIGINT  NOT NULL
);

CREATE TABLE sessions (
    id                  BIGSERIAL PRIMARY KEY,
    user_id             BIGINT  NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    refresh_token_hash  TEXT    NOT NULL UNIQUE,
    expires_at          BIGINT  NOT NULL,
    revoked_at          BIGINT ,
    created_at          BIGINT  NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE appointments (
    id                BIGSERIAL PRIMARY KEY,
    patient_id        BIGINT  NOT NULL REFERENCES users (id),
    psychologist_id   BIGINT  NOT NULL REFERENCES users (id),
    starts_at         BIGINT  NOT NULL,
    duration_minutes  BIGINT  NOT NULL,
    session_type      TEXT    NOT NULL CHECK (session_type IN ('telehealth', 'in_person')),
    status            TEXT    NOT NULL CHECK (status IN ('scheduled', 'cancelled')),
    video_room_id     TEXT    UNIQUE,
    room_sid          TEXT    UNIQUE,
    sequence          BIGINT  NOT NULL DEFAULT 0,
    created_by        BIGINT  NOT NULL REFERENCES users (id),
    created_at        BIGINT  NOT NULL,
    updated_at        BIGINT  NOT NULL
);
CREATE INDEX appointments_patient ON appointments (patient_id, starts_at);
CREATE INDEX appointments_psychologist ON appointments (psychologist_id, starts_at);
