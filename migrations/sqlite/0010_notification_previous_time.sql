-- A reschedule notice says what the time was as well as what it is now:
-- the start the recipient last heard of, in Unix seconds (NULL for every
-- other stage).
ALTER TABLE notifications ADD COLUMN previous_starts_at INTEGER;
