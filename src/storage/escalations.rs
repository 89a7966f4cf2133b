//! The escalation channel's grouped messages: a delivered notice's line
//! joins the group of the notices due with it (`domain::escalation::group`
//! decides), in the transaction that records the notice sent, so that each
//! notice is a line once; and a group has at most one job pending that
//! brings its message up to date (posts it, or edits it to show every
//! line), queued again when lines came while it was delivered.

use chrono::{DateTime, Utc};
use sqlx::Row;

use super::outbox::{insert_sql, queued_json, Escalate, OutboxState, Queued, Shown};
use super::{id_from_db, id_to_db, instant, Backend, StorageError, Store};
use crate::domain::customer::Snowflake;
use crate::domain::escalation::group::{self, Group};

/// A group of notices and its lines, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupMessage {
    pub id: i64,
    pub channel: Snowflake,
    pub message: Option<Snowflake>,
    /// Each line's message (JSON), and whom it names.
    pub lines: Vec<(String, Vec<Snowflake>, Vec<Snowflake>)>,
}

impl Store {
    /// A group and its lines, if it exists.
    pub async fn escalation_group(&self, id: i64) -> Result<Option<GroupMessage>, StorageError> {
        let Some(group) = sqlx::query("SELECT id, channel, message_id FROM escalation_groups WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
        else {
            return Ok(None);
        };
        let rows = sqlx::query("SELECT line, ping, roles FROM escalation_lines WHERE group_id = $1 ORDER BY id")
            .bind(id)
            .fetch_all(&self.pool)
            .await?;
        let ids = |json: String| -> Result<Vec<Snowflake>, StorageError> {
            let ids: Vec<u64> = serde_json::from_str(&json)
                .map_err(|e| StorageError::Corrupt { table: "escalation_lines", problem: e.to_string() })?;
            Ok(ids.into_iter().map(Snowflake).collect())
        };
        let lines = rows
            .iter()
            .map(|r| Ok((r.try_get("line")?, ids(r.try_get("ping")?)?, ids(r.try_get("roles")?)?)))
            .collect::<Result<_, StorageError>>()?;
        Ok(Some(GroupMessage {
            id: group.try_get("id")?,
            channel: id_from_db(group.try_get("channel")?),
            message: group.try_get::<Option<i64>, _>("message_id")?.map(id_from_db),
            lines,
        }))
    }

    /// Adds a delivered job's lines to their groups, inside its transaction.
    pub(super) async fn add_lines(
        &self,
        tx: &mut sqlx::Transaction<'static, sqlx::Any>,
        e: &Escalate<'_>,
        now: DateTime<Utc>,
    ) -> Result<(), StorageError> {
        for line in e.lines {
            if self.backend == Backend::Postgres {
                // The channel's groups, one change at a time (SQLite has one writer).
                sqlx::query("SELECT pg_advisory_xact_lock(7274, hashtext($1)) IS NULL AS locked")
                    .bind(line.channel.to_string())
                    .fetch_one(&mut **tx)
                    .await?;
            }
            let window_ms = e.window.num_milliseconds();
            let candidates = sqlx::query(
                "SELECT id, first_due, length FROM escalation_groups
                 WHERE channel = $1 AND first_due > $2 AND first_due < $3 ORDER BY id DESC",
            )
            .bind(id_to_db(line.channel))
            .bind(line.due_at.timestamp_millis() - window_ms)
            .bind(line.due_at.timestamp_millis() + window_ms)
            .fetch_all(&mut **tx)
            .await?;
            let mut joined = None;
            for r in &candidates {
                let first_due = instant(r.try_get("first_due")?, "escalation_groups")?;
                let length = usize::try_from(r.try_get::<i64, _>("length")?).unwrap_or(usize::MAX);
                let g = Group { first_due, length };
                if group::joins(&g, line.due_at, line.length, e.window) {
                    joined = Some((r.try_get::<i64, _>("id")?, group::add(g, line.length)));
                    break;
                }
            }
            let group = match joined {
                Some((id, g)) => {
                    sqlx::query("UPDATE escalation_groups SET length = $2 WHERE id = $1")
                        .bind(id)
                        .bind(i64::try_from(g.length).unwrap_or(i64::MAX))
                        .execute(&mut **tx)
                        .await?;
                    id
                }
                None => {
                    let g = group::start(line.due_at, line.length);
                    let row = sqlx::query(
                        "INSERT INTO escalation_groups (channel, first_due, length) VALUES ($1, $2, $3) RETURNING id",
                    )
                    .bind(id_to_db(line.channel))
                    .bind(g.first_due.timestamp_millis())
                    .bind(i64::try_from(g.length).unwrap_or(i64::MAX))
                    .fetch_one(&mut **tx)
                    .await?;
                    row.try_get("id")?
                }
            };
            let json = |ids: &[Snowflake]| serde_json::to_string(&ids.iter().map(|s| s.0).collect::<Vec<_>>());
            let added = sqlx::query(
                "INSERT INTO escalation_lines (group_id, ticket_id, job_id, due_at, line, ping, roles)
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(group)
            .bind(e.ticket)
            .bind(e.job)
            .bind(line.due_at.timestamp_millis())
            .bind(line.line.clone())
            .bind(json(&line.ping).unwrap_or_default())
            .bind(json(&line.roles).unwrap_or_default())
            .execute(&mut **tx)
            .await;
            match added {
                Ok(_) => {}
                // This job's line is there already (a job posts one notice
                // in the escalation channel).
                Err(sqlx::Error::Database(db)) if db.is_unique_violation() => continue,
                Err(e) => return Err(e.into()),
            }
            self.bring_up_to_date(tx, group, e.group_job, now).await?;
        }
        Ok(())
    }

    /// Records what a group's message shows; its job is done, and another
    /// is queued if lines came meanwhile.
    pub(super) async fn shown(
        &self,
        tx: &mut sqlx::Transaction<'static, sqlx::Any>,
        s: &Shown<'_>,
        now: DateTime<Utc>,
    ) -> Result<(), StorageError> {
        sqlx::query("UPDATE escalation_groups SET message_id = $2, shown = $3, pending_job = NULL WHERE id = $1")
            .bind(s.group)
            .bind(id_to_db(s.message))
            .bind(i64::try_from(s.lines).unwrap_or(i64::MAX))
            .execute(&mut **tx)
            .await?;
        let lines: i64 = sqlx::query("SELECT COUNT(*) AS n FROM escalation_lines WHERE group_id = $1")
            .bind(s.group)
            .fetch_one(&mut **tx)
            .await?
            .try_get("n")?;
        if lines > i64::try_from(s.lines).unwrap_or(i64::MAX) {
            self.bring_up_to_date(tx, s.group, s.group_job, now).await?;
        }
        Ok(())
    }

    /// Queues the group's job unless one is pending (one that ended, as
    /// failed say, no longer is).
    async fn bring_up_to_date(
        &self,
        tx: &mut sqlx::Transaction<'static, sqlx::Any>,
        group: i64,
        group_job: &(dyn Fn(i64) -> Queued + Send + Sync),
        now: DateTime<Utc>,
    ) -> Result<(), StorageError> {
        let pending = OutboxState::Pending.as_str();
        let sql = format!(
            "SELECT 1 AS pending FROM escalation_groups g JOIN outbox o ON o.id = g.pending_job
             WHERE g.id = $1 AND o.state = '{pending}'"
        );
        if sqlx::query(sqlx::AssertSqlSafe(sql)).bind(group).fetch_optional(&mut **tx).await?.is_some() {
            return Ok(());
        }
        let job = Queued { due_at: now, ..group_job(group) };
        let insert = format!("{} RETURNING id", insert_sql(self.backend, "$1", "$2", ""));
        let row = sqlx::query(sqlx::AssertSqlSafe(insert))
            .bind(None::<i64>)
            .bind(queued_json(std::slice::from_ref(&job)))
            .fetch_one(&mut **tx)
            .await?;
        let id: i64 = row.try_get("id")?;
        sqlx::query("UPDATE escalation_groups SET pending_job = $2 WHERE id = $1")
            .bind(group)
            .bind(id)
            .execute(&mut **tx)
            .await?;
        Ok(())
    }
}
