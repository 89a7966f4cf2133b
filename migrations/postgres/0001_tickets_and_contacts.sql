-- Contacts, tickets and their append-only audit trail.
-- Instants are UTC milliseconds since the epoch (BIGINT); Discord ids are
-- stored as signed 64-bit integers with the same bits.

-- One row per customer, written first in every per-customer transaction:
-- taking its write lock serialises ticket numbering and the contact limit.
CREATE TABLE customer_seq (
    customer     TEXT PRIMARY KEY,
    last_ticket  BIGINT NOT NULL DEFAULT 0
);

CREATE TABLE contacts (
    id          BIGSERIAL PRIMARY KEY,
    customer    TEXT NOT NULL,
    user_id     BIGINT NOT NULL,
    name        TEXT,
    email       TEXT,
    phone       TEXT,
    added_at    BIGINT NOT NULL,
    added_by    BIGINT NOT NULL,
    removed_at  BIGINT,
    removed_by  BIGINT
);
-- A person is an active contact of at most one customer.
CREATE UNIQUE INDEX contacts_one_active_per_user ON contacts (user_id) WHERE removed_at IS NULL;
CREATE INDEX contacts_by_customer ON contacts (customer) WHERE removed_at IS NULL;

CREATE TABLE tickets (
    id               BIGSERIAL PRIMARY KEY,
    customer         TEXT NOT NULL,
    seq              BIGINT NOT NULL,
    opened_by        BIGINT NOT NULL,
    severity         SMALLINT NOT NULL CHECK (severity BETWEEN 1 AND 4),
    kind             TEXT NOT NULL CHECK (kind IN ('incident', 'signature')),
    summary          TEXT NOT NULL,
    details          TEXT,
    product          TEXT,
    state            TEXT NOT NULL CHECK (state IN ('open', 'acknowledged', 'closed', 'reopened')),
    opened_at        BIGINT NOT NULL,
    due_at           BIGINT NOT NULL,
    acked_at         BIGINT,
    acked_by         BIGINT,
    closed_at        BIGINT,
    thread_id        BIGINT,
    card_message_id  BIGINT,
    version          BIGINT NOT NULL DEFAULT 1,
    CONSTRAINT tickets_number UNIQUE (customer, seq)
);
CREATE INDEX tickets_unanswered_by_due ON tickets (due_at) WHERE acked_at IS NULL AND state <> 'closed';
CREATE INDEX tickets_by_thread ON tickets (thread_id) WHERE thread_id IS NOT NULL;

CREATE TABLE ticket_events (
    id         BIGSERIAL PRIMARY KEY,
    ticket_id  BIGINT NOT NULL REFERENCES tickets (id),
    at         BIGINT NOT NULL,
    actor      BIGINT NOT NULL,
    kind       TEXT NOT NULL,
    detail     TEXT NOT NULL
);
CREATE INDEX ticket_events_by_ticket ON ticket_events (ticket_id, id);

-- The audit trail is append-only.
CREATE FUNCTION ticket_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'ticket_events is append-only'; END $$;
CREATE TRIGGER ticket_events_no_change BEFORE UPDATE OR DELETE ON ticket_events
FOR EACH ROW EXECUTE FUNCTION ticket_events_append_only();
