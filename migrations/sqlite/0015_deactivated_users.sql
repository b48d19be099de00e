-- An account the clinic closed: it cannot sign in, its sessions ended, its
-- records stay. NULL while the account is open.
ALTER TABLE users ADD COLUMN deactivated_at INTEGER;
