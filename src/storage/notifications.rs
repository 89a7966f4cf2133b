//! The durable schedule of escalation notifications (an outbox).
//!
//! Rows are written in the transaction of the ticket change that makes them
//! due (opening, reclassification, acknowledgement, closing, reopening), so a
//! ticket never exists without its schedule. The watcher claims due rows,
//! sends them and marks them sent; a claim is a lease, so rows claimed by an
//! instance that died are taken again once it runs out.
//!
//! Several instances on PostgreSQL: a claim selects due rows `FOR UPDATE SKIP
//! LOCKED` and stamps their lease in one statement, so two instances claiming
//! at the same moment take disjoint rows without waiting for each other, and
//! a claimed row is invisible to others until its lease ends. (An advisory-
//! lock leader would leave one instance idle and need failover logic of its
//! own; row claiming spreads the work and survives any instance dying.) On
//! SQLite one process owns the file (see `Store::lock_exclusive`).

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::Row;

use super::{instant, Backend, StorageError, Store};
use crate::domain::escalation::Trigger;
use crate::domain::ticket::EventKind;

/// A step to schedule for a ticket.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Scheduled {
    /// Stored by its name, `"80%"` or `"breach"`.
    #[serde(rename = "step", serialize_with = "trigger_name")]
    pub trigger: Trigger,
    #[serde(serialize_with = "as_millis")]
    pub due_at: DateTime<Utc>,
}

fn trigger_name<S: serde::Serializer>(t: &Trigger, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&t.name())
}

fn as_millis<S: serde::Serializer>(t: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_i64(t.timestamp_millis())
}

/// What a ticket change does to its pending notifications.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reschedule {
    Keep,
    /// Drop the pending ones and schedule these; a step already sent for the
    /// ticket is not scheduled again.
    Replace(Vec<Scheduled>),
    /// The first response came at this instant: the steps still to come are
    /// moot and dropped, except a breach already due by then, which happened
    /// and is still announced (late).
    Answered(DateTime<Utc>),
    /// Drop every pending one.
    Cancel,
}

/// A notification the watcher has claimed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claimed {
    pub id: i64,
    pub ticket_id: i64,
    pub step: String,
    pub due_at: DateTime<Utc>,
}

/// A notification as stored (for tests and operators).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notification {
    pub id: i64,
    pub step: String,
    pub due_at: DateTime<Utc>,
    pub state: String,
    pub sent_at: Option<DateTime<Utc>>,
    pub late: bool,
}

pub(super) fn schedule_json(steps: &[Scheduled]) -> String {
    // A list of plain structs: serialising it cannot fail.
    serde_json::to_string(steps).expect("schedules serialise")
}

/// Inserts a schedule's rows from its JSON, in either database; `ticket` and
/// `json` are SQL expressions (parameters, or a subquery for the ticket being
/// inserted in the same statement). Steps already sent are not inserted again.
pub(super) fn insert_schedule_sql(backend: Backend, ticket: &str, json: &str) -> String {
    match backend {
        Backend::Postgres => format!(
            "INSERT INTO notifications (ticket_id, step, due_at)
             SELECT {ticket}, e->>'step', (e->>'due_at')::BIGINT FROM json_array_elements({json}::json) e
             WHERE NOT EXISTS (SELECT 1 FROM notifications n
                               WHERE n.ticket_id = {ticket} AND n.step = e->>'step' AND n.state = 'sent')"
        ),
        Backend::Sqlite => format!(
            "INSERT INTO notifications (ticket_id, step, due_at)
             SELECT {ticket}, json_extract(e.value, '$.step'), json_extract(e.value, '$.due_at') FROM json_each({json}) e
             WHERE NOT EXISTS (SELECT 1 FROM notifications n
                               WHERE n.ticket_id = {ticket} AND n.step = json_extract(e.value, '$.step')
                                 AND n.state = 'sent')"
        ),
    }
}

impl Store {
    /// Applies a ticket change's effect on its schedule, inside its transaction.
    pub(super) async fn reschedule(
        &self,
        tx: &mut sqlx::Transaction<'static, sqlx::Any>,
        ticket_id: i64,
        change: &Reschedule,
    ) -> Result<(), StorageError> {
        let drop_pending = "UPDATE notifications SET state = 'dropped' WHERE ticket_id = $1 AND state = 'pending'";
        match change {
            Reschedule::Keep => {}
            Reschedule::Cancel => {
                sqlx::query(drop_pending).bind(ticket_id).execute(&mut **tx).await?;
            }
            Reschedule::Answered(at) => {
                sqlx::query(
                    "UPDATE notifications SET state = 'dropped'
                     WHERE ticket_id = $1 AND state = 'pending' AND NOT (step = $3 AND due_at <= $2)",
                )
                .bind(ticket_id)
                .bind(at.timestamp_millis())
                .bind(Trigger::Breach.name())
                .execute(&mut **tx)
                .await?;
            }
            Reschedule::Replace(steps) => {
                sqlx::query(drop_pending).bind(ticket_id).execute(&mut **tx).await?;
                let insert = insert_schedule_sql(self.backend, "$1", "$2");
                sqlx::query(sqlx::AssertSqlSafe(insert))
                    .bind(ticket_id)
                    .bind(schedule_json(steps))
                    .execute(&mut **tx)
                    .await?;
            }
        }
        Ok(())
    }

    /// Claims up to `limit` pending notifications due by `now` whose lease is
    /// free, leasing them until `lease_until`, earliest first.
    pub async fn claim_due(
        &self,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: i64,
    ) -> Result<Vec<Claimed>, StorageError> {
        let lock = match self.backend {
            Backend::Postgres => "FOR UPDATE SKIP LOCKED",
            Backend::Sqlite => "",
        };
        let sql = format!(
            "UPDATE notifications SET claimed_until = $2
             WHERE id IN (SELECT id FROM notifications
                          WHERE state = 'pending' AND due_at <= $1 AND (claimed_until IS NULL OR claimed_until < $1)
                          ORDER BY due_at, id LIMIT $3 {lock})
             RETURNING id, ticket_id, step, due_at"
        );
        let _turn = self.writer_turn().await;
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(now.timestamp_millis())
            .bind(lease_until.timestamp_millis())
            .bind(limit)
            .fetch_all(&self.pool)
            .await?;
        let mut claimed = rows
            .iter()
            .map(|r| {
                Ok(Claimed {
                    id: r.try_get("id")?,
                    ticket_id: r.try_get("ticket_id")?,
                    step: r.try_get("step")?,
                    due_at: instant(r.try_get("due_at")?, "notifications")?,
                })
            })
            .collect::<Result<Vec<_>, StorageError>>()?;
        // RETURNING gives no order.
        claimed.sort_by_key(|c| (c.due_at, c.id));
        Ok(claimed)
    }

    /// Marks a claimed notification sent, with the event it records (a
    /// breach, at its deadline). False if it was no longer pending.
    pub async fn mark_sent(
        &self,
        id: i64,
        at: DateTime<Utc>,
        late: bool,
        event: Option<(i64, DateTime<Utc>, &EventKind)>,
    ) -> Result<bool, StorageError> {
        let mut w = self.begin_write().await?;
        let done = sqlx::query(
            "UPDATE notifications SET state = 'sent', sent_at = $2, late = $3, claimed_until = NULL
             WHERE id = $1 AND state = 'pending'",
        )
        .bind(id)
        .bind(at.timestamp_millis())
        .bind(i64::from(late))
        .execute(&mut *w.tx)
        .await?;
        if done.rows_affected() == 0 {
            return Ok(false);
        }
        if let Some((ticket_id, event_at, event)) = event {
            // The bot records it: actor 0.
            super::insert_event(&mut w.tx, ticket_id, event_at, crate::domain::customer::Snowflake(0), event).await?;
        }
        w.tx.commit().await?;
        Ok(true)
    }

    /// Gives a claimed notification back (its delivery failed): the next tick retries it.
    pub async fn release(&self, id: i64) -> Result<(), StorageError> {
        let release = sqlx::query("UPDATE notifications SET claimed_until = NULL WHERE id = $1").bind(id);
        self.execute_write(release).await?;
        Ok(())
    }

    /// Frees every claim. Only for a store that is the database's one user
    /// (SQLite, whose file lock guarantees it): claims left by a process that
    /// died are taken again at once instead of when their leases run out.
    pub async fn release_all_claims(&self) -> Result<u64, StorageError> {
        if self.backend != Backend::Sqlite {
            return Ok(0);
        }
        let release = sqlx::query(
            "UPDATE notifications SET claimed_until = NULL WHERE state = 'pending' AND claimed_until IS NOT NULL",
        );
        Ok(self.execute_write(release).await?.rows_affected())
    }

    /// Drops a pending notification that has nothing left to say (its ticket
    /// was answered or closed meanwhile).
    pub async fn drop_notification(&self, id: i64) -> Result<(), StorageError> {
        let drop =
            sqlx::query("UPDATE notifications SET state = 'dropped' WHERE id = $1 AND state = 'pending'").bind(id);
        self.execute_write(drop).await?;
        Ok(())
    }

    /// When the earliest pending notification falls due (one index probe).
    pub async fn next_due(&self) -> Result<Option<DateTime<Utc>>, StorageError> {
        let row = sqlx::query("SELECT MIN(due_at) AS next FROM notifications WHERE state = 'pending'")
            .fetch_one(&self.pool)
            .await?;
        let next: Option<i64> = row.try_get("next")?;
        next.map(|ms| instant(ms, "notifications")).transpose()
    }

    pub async fn notifications(&self, ticket_id: i64) -> Result<Vec<Notification>, StorageError> {
        let rows = sqlx::query(
            "SELECT id, step, due_at, state, sent_at, late FROM notifications WHERE ticket_id = $1 ORDER BY due_at, id",
        )
        .bind(ticket_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(Notification {
                    id: r.try_get("id")?,
                    step: r.try_get("step")?,
                    due_at: instant(r.try_get("due_at")?, "notifications")?,
                    state: r.try_get("state")?,
                    sent_at: r
                        .try_get::<Option<i64>, _>("sent_at")?
                        .map(|ms| instant(ms, "notifications"))
                        .transpose()?,
                    late: r.try_get::<i64, _>("late")? != 0,
                })
            })
            .collect()
    }
}
