-- After the first response: the ticket's owner, when its next update is
-- due, since when it waits on the customer, and who logged it when it came
-- by phone. Nullable, so that an instance of the previous release, which
-- neither reads nor writes them, runs beside this one during an upgrade
-- (a waiting ticket reads to it as acknowledged).
ALTER TABLE tickets ADD COLUMN owner_id BIGINT;
ALTER TABLE tickets ADD COLUMN update_due_at BIGINT;
ALTER TABLE tickets ADD COLUMN waiting_since BIGINT;
ALTER TABLE tickets ADD COLUMN logged_by BIGINT;
CREATE INDEX tickets_open_by_owner ON tickets (owner_id) WHERE owner_id IS NOT NULL AND state <> 'closed';
-- The weekly summary's updates: the deadlines met (an update's) and missed
-- (recorded at the deadline).
CREATE INDEX ticket_events_updates ON ticket_events (at) WHERE kind IN ('updated', 'update_overdue');
