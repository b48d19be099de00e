-- Status callbacks join the one durable queue (api/src/queue): a lease per
-- claimed row (`lease_owner`, with `next_attempt_at` as the lease's end and
-- the 'sending' state), when it was delivered and last touched, and an
-- index over live rows only.

ALTER TABLE room_callbacks DROP CONSTRAINT room_callbacks_state_check;
ALTER TABLE room_callbacks ADD CONSTRAINT room_callbacks_state_check
    CHECK (state IN ('pending', 'sending', 'sent', 'failed'));
ALTER TABLE room_callbacks ADD COLUMN lease_owner TEXT;
ALTER TABLE room_callbacks ADD COLUMN sent_at BIGINT;
ALTER TABLE room_callbacks ADD COLUMN updated_at BIGINT;
UPDATE room_callbacks SET updated_at = created_at;
ALTER TABLE room_callbacks ALTER COLUMN updated_at SET NOT NULL;
DROP INDEX room_callbacks_due;
CREATE INDEX room_callbacks_due ON room_callbacks (next_attempt_at) WHERE state IN ('pending', 'sending');
CREATE INDEX room_callbacks_lease ON room_callbacks (lease_owner) WHERE state = 'sending';
