-- The durable schedule (outbox) of escalation notifications. Rows are written
-- in the same transaction as the ticket change that makes them due, claimed
-- by the watcher when due, and marked sent or dropped; never deleted.
CREATE TABLE notifications (
    id             BIGSERIAL PRIMARY KEY,
    ticket_id      BIGINT NOT NULL REFERENCES tickets (id),
    step           TEXT NOT NULL,
    due_at         BIGINT NOT NULL,
    state          TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'sent', 'dropped')),
    claimed_until  BIGINT,
    sent_at        BIGINT,
    late           BIGINT NOT NULL DEFAULT 0
);
-- What the watcher reads: only pending rows, by due instant.
CREATE INDEX notifications_pending_by_due ON notifications (due_at, id) WHERE state = 'pending';
CREATE INDEX notifications_by_ticket ON notifications (ticket_id, state);
