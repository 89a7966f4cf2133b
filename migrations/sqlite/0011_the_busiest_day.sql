-- The busiest day (a storm of L1 tickets under Discord's rate limits).

-- How soon a job's calls go out when the limits hold calls back: lower
-- first (a TAM's ping, a breach: 0 to 9; other posts: 10 to 19; cards,
-- members, summaries: 50 and above). Rows of earlier releases count as
-- posts.
ALTER TABLE outbox ADD COLUMN urgency BIGINT NOT NULL DEFAULT 15;

-- Which instance delivers the outbox: one at a time, so that its limiter
-- sees every call the deployment makes and keeps Discord's one budget.
-- A lease, renewed while it runs; another instance takes over once it has
-- run out.
CREATE TABLE deliverer (
    id        INTEGER PRIMARY KEY CHECK (id = 1),
    instance  TEXT NOT NULL,
    until     BIGINT NOT NULL
);

-- The escalation channel's grouped messages: notices that fall due within
-- [escalation].group_window of a group's first become one message, each
-- ticket on its line, edited to add the later ones, until it is full.
CREATE TABLE escalation_groups (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    channel      BIGINT NOT NULL,
    -- When its first notice fell due.
    first_due    BIGINT NOT NULL,
    -- Its message on Discord, once posted.
    message_id   BIGINT,
    -- The length its message reaches with every line (an upper bound).
    length       BIGINT NOT NULL DEFAULT 0,
    -- The outbox job that brings its message up to date, while one is pending.
    pending_job  BIGINT,
    -- How many lines its message showed when last posted or edited.
    shown        BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX escalation_groups_by_channel ON escalation_groups (channel, first_due);

CREATE TABLE escalation_lines (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    group_id   BIGINT NOT NULL REFERENCES escalation_groups (id),
    ticket_id  BIGINT REFERENCES tickets (id),
    -- The outbox job whose notice it is: a line per notice, once.
    job_id     BIGINT NOT NULL UNIQUE,
    due_at     BIGINT NOT NULL,
    -- The line (the application's message, JSON), and whom it names.
    line       TEXT NOT NULL,
    ping       TEXT NOT NULL,
    roles      TEXT NOT NULL
);
CREATE INDEX escalation_lines_by_group ON escalation_lines (group_id, id);
