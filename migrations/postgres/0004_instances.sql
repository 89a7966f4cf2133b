-- The running instances (bot processes, consoles), each refreshing seen_at
-- while it runs: a notification that fell due while no instance was seen is
-- marked late ("the bot was unavailable"). Rows of instances gone for a week
-- are deleted.
CREATE TABLE instances (
    id          TEXT PRIMARY KEY,
    started_at  BIGINT NOT NULL,
    seen_at     BIGINT NOT NULL,
    stopped_at  BIGINT
);
CREATE INDEX instances_by_seen ON instances (seen_at);
