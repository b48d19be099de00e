-- Refresh-token reuse detection: the token a rotation replaced, and when.
-- A replaced token presented again (after a short grace for two tabs
-- refreshing at once) means it was copied: the whole session is revoked.
ALTER TABLE sessions ADD COLUMN previous_refresh_hash TEXT;
ALTER TABLE sessions ADD COLUMN rotated_at INTEGER;
CREATE INDEX sessions_previous_refresh ON sessions (previous_refresh_hash);
