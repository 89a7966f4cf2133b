-- The record of tickets' threads ([transcripts].enabled): every message as
-- it arrived, was edited and deleted, and every file attached, kept in the
-- database itself. Each is stored once whichever instance saw it first:
-- Discord's ids are the keys.

CREATE TABLE thread_messages (
    id           BIGINT PRIMARY KEY,
    ticket_id    BIGINT NOT NULL REFERENCES tickets (id),
    author       BIGINT NOT NULL,
    author_name  TEXT NOT NULL,
    -- 1 when this bot wrote it.
    by_bot       BIGINT NOT NULL,
    at           BIGINT NOT NULL
);
CREATE INDEX thread_messages_by_ticket ON thread_messages (ticket_id, at);

-- A message's texts: as written (edited_at 0), then after each edit. An
-- edit or a deletion may be seen before the message itself (events are
-- handled side by side, and by several instances), so neither refers to
-- the message's row: each is kept, and read with the message once it is.
CREATE TABLE message_texts (
    message_id  BIGINT NOT NULL,
    edited_at   BIGINT NOT NULL,
    ticket_id   BIGINT NOT NULL REFERENCES tickets (id),
    text        TEXT NOT NULL,
    PRIMARY KEY (message_id, edited_at)
);
CREATE INDEX message_texts_by_ticket ON message_texts (ticket_id);

CREATE TABLE message_deletions (
    message_id  BIGINT PRIMARY KEY,
    ticket_id   BIGINT NOT NULL REFERENCES tickets (id),
    at          BIGINT NOT NULL
);
CREATE INDEX message_deletions_by_ticket ON message_deletions (ticket_id);

-- The files attached, each downloaded by a job of its own while its link
-- lasts: a row is its queue entry as well (state 'pending', claimed by
-- one instance at a time until claimed_until).
CREATE TABLE message_files (
    id             BIGINT PRIMARY KEY,
    message_id     BIGINT NOT NULL REFERENCES thread_messages (id) ON DELETE CASCADE,
    ticket_id      BIGINT NOT NULL REFERENCES tickets (id),
    thread_id      BIGINT NOT NULL,
    name           TEXT NOT NULL,
    content_type   TEXT,
    size           BIGINT NOT NULL,
    url            TEXT NOT NULL,
    state          TEXT NOT NULL CHECK (state IN ('pending', 'kept', 'too_large', 'failed')),
    md5            TEXT,
    sha1           TEXT,
    sha256         TEXT,
    -- 1: the signature request's sample (a digest equals its hash).
    sample         BIGINT NOT NULL DEFAULT 0,
    -- The download whose chunks hold its bytes (each try writes its own).
    attempt        BIGINT NOT NULL DEFAULT 0,
    tries          BIGINT NOT NULL DEFAULT 0,
    next_try_at    BIGINT NOT NULL,
    claimed_until  BIGINT,
    last_error     TEXT
);
CREATE INDEX message_files_pending ON message_files (next_try_at) WHERE state = 'pending';
CREATE INDEX message_files_by_ticket ON message_files (ticket_id);

-- A file's bytes, in pieces of at most a mebibyte, so that no file is held
-- whole in memory on its way in or out.
CREATE TABLE file_chunks (
    file_id  BIGINT NOT NULL REFERENCES message_files (id) ON DELETE CASCADE,
    attempt  BIGINT NOT NULL,
    n        BIGINT NOT NULL,
    bytes    BYTEA NOT NULL,
    PRIMARY KEY (file_id, attempt, n)
);
