-- Antivirus signature change requests: the details of tickets of kind
-- 'signature', and where each request stands.
CREATE TABLE signature_requests (
    ticket_id         BIGINT PRIMARY KEY REFERENCES tickets (id),
    -- The ticket's customer (tickets.customer), for the one-open-request-
    -- per-file rule.
    request_customer  TEXT NOT NULL,
    kind              TEXT NOT NULL CHECK (kind IN ('false_positive', 'false_negative')),
    hash_kind         TEXT NOT NULL CHECK (hash_kind IN ('md5', 'sha1', 'sha256')),
    -- Lower-case hex.
    hash              TEXT NOT NULL,
    product_version   TEXT NOT NULL,
    -- The antivirus databases the product runs, as the contact reported them.
    database_release  TEXT NOT NULL,
    detection         TEXT,
    stage             TEXT NOT NULL CHECK (stage IN ('received', 'analysing', 'fix_scheduled', 'released',
                                                     'confirmed', 'rejected')),
    -- The database release that fixed it.
    fixed_in          TEXT
);
-- A fix releases every open request of the same file.
CREATE INDEX signature_requests_open_by_hash ON signature_requests (hash)
    WHERE stage NOT IN ('confirmed', 'rejected');
-- A customer has one open request per file: a second is pointed to the first.
CREATE UNIQUE INDEX signature_requests_one_open ON signature_requests (request_customer, hash)
    WHERE stage NOT IN ('confirmed', 'rejected');

-- The antivirus database releases staff recorded as published, newest last.
CREATE TABLE database_releases (
    release      TEXT PRIMARY KEY,
    recorded_at  BIGINT NOT NULL,
    recorded_by  BIGINT NOT NULL
);
CREATE INDEX database_releases_by_time ON database_releases (recorded_at);

-- Events of no ticket (a release recorded, a request refused), append-only
-- like ticket_events.
CREATE TABLE audit_events (
    id      BIGSERIAL PRIMARY KEY,
    at      BIGINT NOT NULL,
    actor   BIGINT NOT NULL,
    kind    TEXT NOT NULL,
    detail  TEXT NOT NULL
);
CREATE FUNCTION append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION '% is append-only', TG_TABLE_NAME; END $$;
CREATE TRIGGER audit_events_no_change BEFORE UPDATE OR DELETE ON audit_events
FOR EACH ROW EXECUTE FUNCTION append_only();
