-- The weekly summary reads the tickets of a window of time: those opened in
-- it, and the older ones that fell due, were open or closed in it or were
-- reclassified since; each set through an index that answers it alone.
CREATE INDEX tickets_by_opened ON tickets (opened_at);
CREATE INDEX tickets_by_due ON tickets (due_at, opened_at);
CREATE INDEX tickets_open_by_opened ON tickets (opened_at) WHERE state <> 'closed';
CREATE INDEX tickets_by_closed ON tickets (closed_at, opened_at) WHERE closed_at IS NOT NULL;
CREATE INDEX ticket_events_reclassified ON ticket_events (at) WHERE kind = 'severity_changed';
-- The tickets whose log is not the usual (opened, answered, closed).
CREATE INDEX ticket_events_unusual ON ticket_events (ticket_id)
    WHERE kind IN ('severity_changed', 'reopened', 'stage_changed');

-- A job that exists once whoever queues it (a week's summary for a
-- channel): its key. NULL for every other job.
ALTER TABLE outbox ADD COLUMN unique_key TEXT;
CREATE UNIQUE INDEX outbox_unique_key ON outbox (unique_key);
