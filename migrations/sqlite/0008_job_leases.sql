-- A job's claim, per job: the instance that holds it. With `attempts`
-- (which every claim increments) it tells a deliverer whether the job is
-- still its own before it creates anything; the lease (`claimed_until`) is
-- renewed while the delivery runs. Nullable, so that an instance of the
-- previous release, which does not write it, runs beside this one during
-- a rolling upgrade.
ALTER TABLE outbox ADD COLUMN claimed_by TEXT;
