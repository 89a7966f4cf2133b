//! The durable outbox: every effect on Discord (a ticket's thread and card,
//! posts, thread membership, escalation steps).
//!
//! Rows are written in the transaction of the change that causes them
//! (opening, reclassification, acknowledgement, closing, reopening, a
//! contact's removal), so a change never exists without its effects. The
//! scheduler claims due rows, the adapter delivers them, and each ends sent,
//! dropped (moot by then) or failed (permanently, with the reason). A claim
//! is a lease, per row, renewed by its holder while the delivery runs
//! ([`Store::renew`]); rows claimed by an instance that died are taken again
//! once it runs out, and a holder asks [`Store::holds`] before it creates
//! anything. After a failed try the lease is the pause before the next.
//!
//! Order: the rows of one ticket are delivered one at a time in (due_at, id)
//! order, so its posts never come before its thread. Only the head of each
//! ticket's pending rows can be claimed.
//!
//! Several instances on PostgreSQL: a claim selects due rows `FOR UPDATE SKIP
//! LOCKED` and stamps their lease in one statement, so two instances claiming
//! at the same moment take disjoint rows without waiting for each other, and
//! a claimed row is invisible to others until its lease ends. (An advisory-
//! lock leader would leave one instance idle and need failover logic of its
//! own; row claiming spreads the work and survives any instance dying.) On
//! SQLite one process owns the file (`lock_sqlite_file`).

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::Row;

use super::events::insert_event;
use super::{id_to_db, instant, Backend, StorageError, Store};
use crate::domain::customer::Snowflake;
use crate::domain::escalation::Trigger;
use crate::domain::ticket::EventKind;

/// Where an outbox row stands: the one place its states meet storage.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutboxState {
    Pending,
    Sent,
    /// Nothing left to say by the time it was due (answered, closed).
    Dropped,
    /// Could not be delivered and will not be tried again.
    Failed,
}

impl OutboxState {
    pub const ALL: [OutboxState; 4] =
        [OutboxState::Pending, OutboxState::Sent, OutboxState::Dropped, OutboxState::Failed];

    pub fn as_str(self) -> &'static str {
        match self {
            OutboxState::Pending => "pending",
            OutboxState::Sent => "sent",
            OutboxState::Dropped => "dropped",
            OutboxState::Failed => "failed",
        }
    }

    pub fn parse(s: &str) -> Option<OutboxState> {
        OutboxState::ALL.into_iter().find(|state| state.as_str() == s)
    }
}

const PENDING: OutboxState = OutboxState::Pending;
const SENT: OutboxState = OutboxState::Sent;

/// A row to write: the application's job (JSON), when it is due, and for a
/// step of one of a ticket's clocks its name (what rescheduling replaces):
/// the response clock's are the escalation triggers (`"80%"`, `"breach"`),
/// the update clock's start with `update `, a wait's with `wait `.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Queued {
    pub step: Option<String>,
    pub job: String,
    #[serde(serialize_with = "as_millis")]
    pub due_at: DateTime<Utc>,
    /// How soon it goes out when Discord's limits hold calls back: the most
    /// urgent (lowest) due row is claimed first.
    pub urgency: i64,
}

/// A ticket's clocks, whose pending steps a change may drop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StepClock {
    /// The first response's escalation steps.
    Response,
    /// The update clock's reminder and deadline.
    Update,
    /// A wait on the customer's reminder and closing.
    Wait,
}

impl StepClock {
    /// The prefix of its steps' names (none for the response clock's).
    pub fn prefix(self) -> Option<&'static str> {
        match self {
            StepClock::Response => None,
            StepClock::Update => Some("update "),
            StepClock::Wait => Some("wait "),
        }
    }

    /// An SQL condition on `step` for this clock's steps.
    fn sql(self) -> String {
        match self.prefix() {
            Some(prefix) => format!("step LIKE '{prefix}%'"),
            None => "step NOT LIKE 'update %' AND step NOT LIKE 'wait %'".into(),
        }
    }
}

fn as_millis<S: serde::Serializer>(t: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_i64(t.timestamp_millis())
}

/// What a ticket change does to its pending steps (its other pending rows
/// always stay: they say what already happened). A step already sent for
/// the ticket is never queued again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reschedule {
    Keep,
    /// Drop the pending steps and schedule these.
    Replace(Vec<Queued>),
    /// The first response came at `at`: the response steps still to come are
    /// moot and dropped, except a breach already due by then, which happened
    /// and is still announced; `then` (the update clock's steps) are queued.
    Answered {
        at: DateTime<Utc>,
        then: Vec<Queued>,
    },
    /// Drop every pending step.
    Cancel,
    /// Drop the pending steps of these clocks and queue these.
    Restart {
        clocks: Vec<StepClock>,
        queue: Vec<Queued>,
    },
}

/// A row the scheduler has claimed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claimed {
    /// How soon its calls go out ([`Queued::urgency`]).
    pub urgency: i64,
    /// Who claimed it: with `attempts`, the claim itself (see [`Store::holds`]).
    pub by: String,
    pub id: i64,
    pub ticket_id: Option<i64>,
    pub job: String,
    pub due_at: DateTime<Utc>,
    /// Tries so far, this one included.
    pub attempts: i64,
    /// When the current run of failed tries began.
    pub failing_since: Option<DateTime<Utc>>,
}

/// How a claimed row ends.
#[derive(Debug)]
pub enum Finish<'a> {
    Sent {
        late: bool,
        /// An event the delivery records (a breach, at its deadline).
        event: Option<(i64, DateTime<Utc>, &'a EventKind)>,
        /// Where the ticket's thread and card now are (of the ticket, as
        /// far as the delivery made them).
        thread: Option<(i64, Option<Snowflake>, Option<Snowflake>)>,
        /// The job that follows (next week's summary).
        next: Option<Once>,
        /// Its notices for the escalation channel, each a line of a group.
        escalate: Option<Escalate<'a>>,
        /// For a group's job: what its message shows now.
        shown: Option<Shown<'a>>,
    },
    Dropped,
    Failed {
        reason: &'a str,
        /// Said instead, somewhere it can be read (a row of its own).
        instead: Option<(Option<i64>, Queued)>,
        next: Option<Once>,
    },
}

/// A notice's line for the escalation channel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    pub channel: Snowflake,
    pub due_at: DateTime<Utc>,
    /// The line, as the application stores a message (JSON).
    pub line: String,
    /// Its length in the channel's message (an upper bound).
    pub length: usize,
    pub ping: Vec<Snowflake>,
    pub roles: Vec<Snowflake>,
}

/// What a delivered job's notices for the escalation channel do.
pub struct Escalate<'a> {
    /// The job whose notices they are: a job's lines are added once.
    pub job: i64,
    pub ticket: Option<i64>,
    pub lines: &'a [Line],
    pub window: chrono::Duration,
    /// The job that brings a group's message up to date.
    pub group_job: &'a (dyn Fn(i64) -> Queued + Send + Sync),
}

/// A group's message as its job delivered it.
pub struct Shown<'a> {
    pub group: i64,
    pub message: Snowflake,
    /// How many lines it shows.
    pub lines: usize,
    pub group_job: &'a (dyn Fn(i64) -> Queued + Send + Sync),
}

impl std::fmt::Debug for Escalate<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Escalate").field("job", &self.job).field("lines", &self.lines.len()).finish()
    }
}

impl std::fmt::Debug for Shown<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Shown").field("group", &self.group).field("lines", &self.lines).finish()
    }
}

/// A job of no ticket that exists once, whoever queues it and however
/// often: its key names it (`summary:…:2026-W48`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Once {
    pub key: String,
    pub row: Queued,
}

/// A row as stored (for tests and operators).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxRow {
    pub id: i64,
    pub step: Option<String>,
    pub job: String,
    pub due_at: DateTime<Utc>,
    pub state: OutboxState,
    pub done_at: Option<DateTime<Utc>>,
    pub late: bool,
    pub attempts: i64,
    pub last_error: Option<String>,
}

pub(super) fn queued_json(rows: &[Queued]) -> String {
    // A list of plain structs: serialising it cannot fail.
    serde_json::to_string(rows).expect("outbox rows serialise")
}

/// Inserts rows from their JSON, in either database, in the list's order;
/// `ticket` and `json` are SQL expressions, `from` a table to join (the
/// ticket being inserted in the same statement). A step already sent for
/// the ticket is not inserted again.
pub(super) fn insert_sql(backend: Backend, ticket: &str, json: &str, from: &str) -> String {
    let sent = SENT.as_str();
    match backend {
        Backend::Postgres => format!(
            "INSERT INTO outbox (ticket_id, step, job, due_at, urgency)
             SELECT {ticket}, x.e->>'step', x.e->>'job', (x.e->>'due_at')::BIGINT, (x.e->>'urgency')::BIGINT
             FROM {from} json_array_elements({json}::json) WITH ORDINALITY AS x(e, n)
             WHERE x.e->>'step' IS NULL
                OR NOT EXISTS (SELECT 1 FROM outbox s WHERE s.ticket_id = {ticket} AND s.step = x.e->>'step'
                                                      AND s.state = '{sent}')
             ORDER BY x.n"
        ),
        Backend::Sqlite => format!(
            "INSERT INTO outbox (ticket_id, step, job, due_at, urgency)
             SELECT {ticket}, json_extract(e.value, '$.step'), json_extract(e.value, '$.job'),
                    json_extract(e.value, '$.due_at'), json_extract(e.value, '$.urgency')
             FROM {from} json_each({json}) e
             WHERE json_extract(e.value, '$.step') IS NULL
                OR NOT EXISTS (SELECT 1 FROM outbox s WHERE s.ticket_id = {ticket}
                                                      AND s.step = json_extract(e.value, '$.step')
                                                      AND s.state = '{sent}')
             ORDER BY e.key"
        ),
    }
}

async fn queue_once(tx: &mut sqlx::Transaction<'static, sqlx::Any>, once: &Once) -> Result<bool, StorageError> {
    let done = sqlx::query(
        "INSERT INTO outbox (job, due_at, unique_key, urgency) VALUES ($1, $2, $3, $4)
         ON CONFLICT (unique_key) DO NOTHING",
    )
    .bind(once.row.job.clone())
    .bind(once.row.due_at.timestamp_millis())
    .bind(once.key.clone())
    .bind(once.row.urgency)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// A pending row that is the head of its ticket's queue (`o` is the row).
fn head_of_queue() -> String {
    let pending = PENDING.as_str();
    format!(
        "NOT EXISTS (SELECT 1 FROM outbox e WHERE e.ticket_id = o.ticket_id AND e.state = '{pending}'
                     AND (e.due_at < o.due_at OR (e.due_at = o.due_at AND e.id < o.id)))"
    )
}

impl Store {
    /// Writes rows for `ticket_id` inside a transaction.
    pub(super) async fn queue(
        &self,
        tx: &mut sqlx::Transaction<'static, sqlx::Any>,
        ticket_id: i64,
        rows: &[Queued],
    ) -> Result<(), StorageError> {
        if rows.is_empty() {
            return Ok(());
        }
        let insert = insert_sql(self.backend, "$1", "$2", "");
        sqlx::query(sqlx::AssertSqlSafe(insert)).bind(ticket_id).bind(queued_json(rows)).execute(&mut **tx).await?;
        Ok(())
    }

    /// Queues a job that exists once; false if it was queued before.
    pub async fn queue_once(&self, once: &Once) -> Result<bool, StorageError> {
        let mut w = self.begin_write().await?;
        let inserted = queue_once(&mut w.tx, once).await?;
        w.tx.commit().await?;
        Ok(inserted)
    }

    /// Applies a ticket change's effect on its pending steps, inside its transaction.
    pub(super) async fn reschedule(
        &self,
        tx: &mut sqlx::Transaction<'static, sqlx::Any>,
        ticket_id: i64,
        change: &Reschedule,
    ) -> Result<(), StorageError> {
        let (pending, dropped) = (PENDING.as_str(), OutboxState::Dropped.as_str());
        let drop_steps = format!(
            "UPDATE outbox SET state = '{dropped}' WHERE ticket_id = $1 AND state = '{pending}' AND step IS NOT NULL"
        );
        match change {
            Reschedule::Keep => {}
            Reschedule::Cancel => {
                sqlx::query(sqlx::AssertSqlSafe(drop_steps)).bind(ticket_id).execute(&mut **tx).await?;
            }
            Reschedule::Answered { at, then } => {
                let sql = format!("{drop_steps} AND NOT (step = $3 AND due_at <= $2)");
                sqlx::query(sqlx::AssertSqlSafe(sql))
                    .bind(ticket_id)
                    .bind(at.timestamp_millis())
                    .bind(Trigger::Breach.name())
                    .execute(&mut **tx)
                    .await?;
                self.queue(tx, ticket_id, then).await?;
            }
            Reschedule::Replace(steps) => {
                sqlx::query(sqlx::AssertSqlSafe(drop_steps)).bind(ticket_id).execute(&mut **tx).await?;
                self.queue(tx, ticket_id, steps).await?;
            }
            Reschedule::Restart { clocks, queue } => {
                for clock in clocks {
                    let sql = format!("{drop_steps} AND {}", clock.sql());
                    sqlx::query(sqlx::AssertSqlSafe(sql)).bind(ticket_id).execute(&mut **tx).await?;
                }
                self.queue(tx, ticket_id, queue).await?;
            }
        }
        Ok(())
    }

    /// Claims up to `limit` rows due by `now` whose lease is free and that
    /// head their ticket's queue, for `by` (an instance), leasing them until
    /// `lease_until`: the most urgent first, then the earliest; only those
    /// of an urgency up to `most` if given.
    pub async fn claim_due(
        &self,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        (limit, most): (i64, Option<i64>),
        by: &str,
    ) -> Result<Vec<Claimed>, StorageError> {
        let lock = match self.backend {
            Backend::Postgres => "FOR UPDATE SKIP LOCKED",
            Backend::Sqlite => "",
        };
        let (pending, head) = (PENDING.as_str(), head_of_queue());
        let sql = format!(
            "UPDATE outbox SET claimed_until = $2, attempts = attempts + 1, claimed_by = $4
             WHERE id IN (SELECT o.id FROM outbox o
                          WHERE o.state = '{pending}' AND o.due_at <= $1 AND o.urgency <= $5
                            AND (o.claimed_until IS NULL OR o.claimed_until <= $1) AND {head}
                          ORDER BY o.urgency, o.due_at, o.id LIMIT $3 {lock})
             RETURNING id, ticket_id, job, due_at, attempts, failing_since, urgency"
        );
        let _turn = self.writer_turn().await;
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(now.timestamp_millis())
            .bind(lease_until.timestamp_millis())
            .bind(limit)
            .bind(by.to_owned())
            .bind(most.unwrap_or(i64::MAX))
            .fetch_all(&self.pool)
            .await?;
        let mut claimed = rows
            .iter()
            .map(|r| {
                Ok(Claimed {
                    urgency: r.try_get("urgency")?,
                    by: by.to_owned(),
                    id: r.try_get("id")?,
                    ticket_id: r.try_get("ticket_id")?,
                    job: r.try_get("job")?,
                    due_at: instant(r.try_get("due_at")?, "outbox")?,
                    attempts: r.try_get("attempts")?,
                    failing_since: optional_instant(r, "failing_since")?,
                })
            })
            .collect::<Result<Vec<_>, StorageError>>()?;
        // RETURNING gives no order.
        claimed.sort_by_key(|c| (c.urgency, c.due_at, c.id));
        Ok(claimed)
    }

    /// Whether `claim` still holds its row at `now`: the row is pending,
    /// the claim is the last one made (no other instance claimed it since)
    /// and its lease has not run out. A read: cheap, and never waits for
    /// SQLite's writer.
    pub async fn holds(&self, claim: &Claimed, now: DateTime<Utc>) -> Result<bool, StorageError> {
        let pending = PENDING.as_str();
        let sql = format!(
            "SELECT 1 AS held FROM outbox WHERE id = $1 AND state = '{pending}' AND claimed_by = $2 AND attempts = $3
                    AND claimed_until > $4"
        );
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(claim.id)
            .bind(claim.by.clone())
            .bind(claim.attempts)
            .bind(now.timestamp_millis())
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.is_some())
    }

    /// Extends `claim`'s lease to `until`, if it still holds its row (see
    /// [`Store::holds`]); false if not.
    pub async fn renew(&self, claim: &Claimed, until: DateTime<Utc>) -> Result<bool, StorageError> {
        let pending = PENDING.as_str();
        let sql = format!(
            "UPDATE outbox SET claimed_until = $4
             WHERE id = $1 AND state = '{pending}' AND claimed_by = $2 AND attempts = $3"
        );
        let renew = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(claim.id)
            .bind(claim.by.clone())
            .bind(claim.attempts)
            .bind(until.timestamp_millis());
        Ok(self.execute_write(renew).await?.rows_affected() == 1)
    }

    /// Ends a claimed row, with what its delivery records, in one
    /// transaction. False if it was no longer pending (nothing is recorded).
    pub async fn finish(&self, id: i64, at: DateTime<Utc>, how: &Finish<'_>) -> Result<bool, StorageError> {
        let (state, late, error) = match how {
            Finish::Sent { late, .. } => (OutboxState::Sent, *late, None),
            Finish::Dropped => (OutboxState::Dropped, false, None),
            Finish::Failed { reason, .. } => (OutboxState::Failed, false, Some(reason.to_string())),
        };
        let pending = PENDING.as_str();
        let mut w = self.begin_write().await?;
        let sql = format!(
            "UPDATE outbox SET state = $2, done_at = $3, late = $4, claimed_until = NULL,
                    last_error = COALESCE($5, last_error)
             WHERE id = $1 AND state = '{pending}'"
        );
        let done = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(id)
            .bind(state.as_str())
            .bind(at.timestamp_millis())
            .bind(i64::from(late))
            .bind(error)
            .execute(&mut *w.tx)
            .await?;
        if done.rows_affected() == 0 {
            return Ok(false);
        }
        if let Finish::Sent { next: Some(next), .. } | Finish::Failed { next: Some(next), .. } = how {
            queue_once(&mut w.tx, next).await?;
        }
        match how {
            Finish::Sent { event, thread, escalate, shown, .. } => {
                if let Some(escalate) = escalate {
                    self.add_lines(&mut w.tx, escalate, at).await?;
                }
                if let Some(shown) = shown {
                    self.shown(&mut w.tx, shown, at).await?;
                }
                if let Some((ticket_id, event_at, event)) = event {
                    // The bot records it: actor 0.
                    insert_event(&mut w.tx, *ticket_id, *event_at, Snowflake(0), event).await?;
                }
                if let Some((ticket_id, thread, card)) = thread {
                    sqlx::query(
                        "UPDATE tickets SET thread_id = COALESCE($1, thread_id),
                                card_message_id = COALESCE($2, card_message_id) WHERE id = $3",
                    )
                    .bind(thread.map(id_to_db))
                    .bind(card.map(id_to_db))
                    .bind(ticket_id)
                    .execute(&mut *w.tx)
                    .await?;
                }
            }
            Finish::Failed { instead: Some((ticket_id, row)), .. } => {
                let insert = insert_sql(self.backend, "$1", "$2", "");
                sqlx::query(sqlx::AssertSqlSafe(insert))
                    .bind(*ticket_id)
                    .bind(queued_json(std::slice::from_ref(row)))
                    .execute(&mut *w.tx)
                    .await?;
            }
            _ => {}
        }
        w.tx.commit().await?;
        Ok(true)
    }

    /// A try that failed but may succeed later: the row waits until
    /// `retry_at`, remembering when its failures began and the last error.
    pub async fn retry_later(
        &self,
        id: i64,
        at: DateTime<Utc>,
        retry_at: DateTime<Utc>,
        error: &str,
    ) -> Result<(), StorageError> {
        let retry = sqlx::query(
            "UPDATE outbox SET claimed_until = $2, failing_since = COALESCE(failing_since, $3), last_error = $4
             WHERE id = $1",
        )
        .bind(id)
        .bind(retry_at.timestamp_millis())
        .bind(at.timestamp_millis())
        .bind(error.to_owned());
        self.execute_write(retry).await?;
        Ok(())
    }

    /// Frees every claim. Only for a store that is the database's one user
    /// (SQLite, whose file lock guarantees it): claims left by a process that
    /// died are taken again at once instead of when their leases run out.
    pub async fn release_all_claims(&self) -> Result<u64, StorageError> {
        if self.backend != Backend::Sqlite {
            return Ok(0);
        }
        let pending = PENDING.as_str();
        let release =
            format!("UPDATE outbox SET claimed_until = NULL WHERE state = '{pending}' AND claimed_until IS NOT NULL");
        Ok(self.execute_write(sqlx::query(sqlx::AssertSqlSafe(release))).await?.rows_affected())
    }

    /// The earliest instant at which this instance can act on a pending row:
    /// the due instant of the first free head of a ticket's queue, or the
    /// end of the first lease (another instance's, or the pause after a
    /// failed try), whichever comes first. Two index probes.
    pub async fn next_due(&self, now: DateTime<Utc>) -> Result<Option<DateTime<Utc>>, StorageError> {
        let (pending, head) = (PENDING.as_str(), head_of_queue());
        let free = format!(
            "SELECT o.due_at AS next FROM outbox o
             WHERE o.state = '{pending}' AND (o.claimed_until IS NULL OR o.claimed_until <= $1) AND {head}
             ORDER BY o.due_at, o.id LIMIT 1"
        );
        let free =
            sqlx::query(sqlx::AssertSqlSafe(free)).bind(now.timestamp_millis()).fetch_optional(&self.pool).await?;
        let leased = format!(
            "SELECT MIN(claimed_until) AS next FROM outbox
             WHERE state = '{pending}' AND claimed_until IS NOT NULL AND claimed_until > $1"
        );
        let leased =
            sqlx::query(sqlx::AssertSqlSafe(leased)).bind(now.timestamp_millis()).fetch_one(&self.pool).await?;
        let free: Option<i64> = free.map(|r| r.try_get("next")).transpose()?;
        let leased: Option<i64> = leased.try_get("next")?;
        free.into_iter().chain(leased).min().map(|ms| instant(ms, "outbox")).transpose()
    }

    /// A ticket's outbox rows, in delivery order.
    pub async fn outbox(&self, ticket_id: i64) -> Result<Vec<OutboxRow>, StorageError> {
        let rows = sqlx::query(
            "SELECT id, step, job, due_at, state, done_at, late, attempts, last_error FROM outbox
             WHERE ticket_id = $1 ORDER BY due_at, id",
        )
        .bind(ticket_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(outbox_row).collect()
    }

    /// The row of a job that exists once, by its key.
    pub async fn outbox_once(&self, key: &str) -> Result<Option<OutboxRow>, StorageError> {
        let row = sqlx::query(
            "SELECT id, step, job, due_at, state, done_at, late, attempts, last_error FROM outbox
             WHERE unique_key = $1",
        )
        .bind(key.to_owned())
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(outbox_row).transpose()
    }
}

fn outbox_row(r: &AnyRow) -> Result<OutboxRow, StorageError> {
    let state: String = r.try_get("state")?;
    Ok(OutboxRow {
        id: r.try_get("id")?,
        step: r.try_get("step")?,
        job: r.try_get("job")?,
        due_at: instant(r.try_get("due_at")?, "outbox")?,
        state: OutboxState::parse(&state)
            .ok_or_else(|| StorageError::Corrupt { table: "outbox", problem: format!("state {state}") })?,
        done_at: optional_instant(r, "done_at")?,
        late: r.try_get::<i64, _>("late")? != 0,
        attempts: r.try_get("attempts")?,
        last_error: r.try_get("last_error")?,
    })
}

fn optional_instant(r: &AnyRow, column: &str) -> Result<Option<DateTime<Utc>>, StorageError> {
    r.try_get::<Option<i64>, _>(column)?.map(|ms| instant(ms, "outbox")).transpose()
}
