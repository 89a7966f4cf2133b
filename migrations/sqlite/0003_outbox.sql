-- Every effect on Discord goes through this outbox: thread creation, card
-- edits, posts, thread membership and the escalation steps, written in the
-- transaction of the change that causes them, delivered in order per
-- ticket, marked sent, dropped (moot) or failed (permanently, with the
-- reason). It replaces `notifications`, whose rows it takes over.
CREATE TABLE outbox (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    -- The ticket it belongs to; effects of one ticket are delivered in
    -- (due_at, id) order. NULL for effects of no ticket.
    ticket_id      BIGINT REFERENCES tickets (id),
    -- Escalation steps ("50%", "breach"): what rescheduling replaces.
    step           TEXT,
    -- What to do, as the application's JSON.
    job            TEXT NOT NULL,
    due_at         BIGINT NOT NULL,
    state          TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'sent', 'dropped', 'failed')),
    -- A lease: another instance may take the row once it has passed; after a
    -- failed try, when the next try may start.
    claimed_until  BIGINT,
    attempts       BIGINT NOT NULL DEFAULT 0,
    -- When the first of the current run of failed tries happened.
    failing_since  BIGINT,
    last_error     TEXT,
    done_at        BIGINT,
    late           BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX outbox_pending_by_due ON outbox (due_at, id) WHERE state = 'pending';
CREATE INDEX outbox_pending_by_ticket ON outbox (ticket_id, due_at, id) WHERE state = 'pending';
CREATE INDEX outbox_leased ON outbox (claimed_until) WHERE state = 'pending' AND claimed_until IS NOT NULL;
CREATE INDEX outbox_by_ticket ON outbox (ticket_id, id);

INSERT INTO outbox (id, ticket_id, step, job, due_at, state, claimed_until, done_at, late)
SELECT id, ticket_id, step, json_object('kind', 'step', 'trigger', step), due_at, state, claimed_until, sent_at, late
FROM notifications;
DROP TABLE notifications;
