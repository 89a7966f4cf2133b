-- The weekly summary reads the tickets that opened, fell due, were open or
-- closed, or were reclassified in a window of time, each through an index.
CREATE INDEX tickets_by_opened ON tickets (opened_at);
CREATE INDEX tickets_by_due ON tickets (due_at);
CREATE INDEX tickets_open_by_opened ON tickets (opened_at) WHERE state <> 'closed';
CREATE INDEX tickets_by_closed ON tickets (closed_at) WHERE closed_at IS NOT NULL;
CREATE INDEX ticket_events_reclassified ON ticket_events (at) WHERE kind = 'severity_changed';

-- A job that exists once whoever queues it (a week's summary for a
-- channel): its key. NULL for every other job.
ALTER TABLE outbox ADD COLUMN unique_key TEXT;
CREATE UNIQUE INDEX outbox_unique_key ON outbox (unique_key);
