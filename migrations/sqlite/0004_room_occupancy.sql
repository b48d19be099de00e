-- Rooms end by themselves like Twilio's: EmptyRoomTimeout minutes after the
-- last participant left, UnusedRoomTimeout minutes after creation when
-- nobody ever joined. `empty_since` is NULL while someone is in the room.

ALTER TABLE rooms ADD COLUMN empty_since INTEGER;
ALTER TABLE rooms ADD COLUMN ever_joined INTEGER NOT NULL DEFAULT 0;
UPDATE rooms SET empty_since = created_at WHERE status = 'in-progress';
