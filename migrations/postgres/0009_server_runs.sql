-- Each start of a Confide process is a run. A participant's row names the
-- run whose SFU holds the connection, so when a run dies without closing
-- its calls (kill -9, a power cut), the next start on the same media socket,
-- or any live run once the dead one's heartbeat has gone stale, closes what
-- it left open and sends the status callbacks it owed.

CREATE TABLE server_runs (
    id            TEXT    PRIMARY KEY,
    -- host name and bound UDP address: two live runs cannot share one.
    media_socket  TEXT    NOT NULL,
    started_at    BIGINT NOT NULL,
    heartbeat_at  BIGINT NOT NULL
);
CREATE INDEX server_runs_socket ON server_runs (media_socket);
ALTER TABLE room_participants ADD COLUMN run_id TEXT;
CREATE INDEX room_participants_run ON room_participants (status, run_id);
