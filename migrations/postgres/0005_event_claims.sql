-- Discord delivers a guild's gateway events to every instance's session, and
-- a load balancer may deliver an HTTP interaction twice: each event takes
-- effect once, through a claim inserted in the transaction of what the
-- event changes (or alone, for an event that changes nothing). The key is
-- the event's Discord id ("interaction:ID", "message:ID"). Claims older
-- than a day are deleted: Discord does not deliver an event that late.
CREATE TABLE event_claims (
    event       TEXT PRIMARY KEY,
    claimed_at  BIGINT NOT NULL,
    instance    TEXT NOT NULL,
    -- The reply the claiming instance gave, for a retried HTTP delivery.
    reply       TEXT
);
CREATE INDEX event_claims_by_age ON event_claims (claimed_at);
