//! The running instances, so that "the bot was unavailable" is a fact: an
//! instance registers when it starts, refreshes `seen_at` while it runs and
//! records when it stops; one killed stops being seen.

use std::time::Duration;

use chrono::{DateTime, Utc};

use super::{Backend, StorageError, Store};

/// How long the rows of instances gone stay.
const KEEP: chrono::Duration = chrono::Duration::days(7);

impl Store {
    /// Records an instance as started at `at` (again, if its id is reused),
    /// and forgets instances gone for a week.
    pub async fn instance_started(&self, id: &str, at: DateTime<Utc>) -> Result<(), StorageError> {
        let mut w = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO instances (id, started_at, seen_at) VALUES ($1, $2, $2)
             ON CONFLICT (id) DO UPDATE SET started_at = $2, seen_at = $2, stopped_at = NULL",
        )
        .bind(id.to_owned())
        .bind(at.timestamp_millis())
        .execute(&mut *w.tx)
        .await?;
        sqlx::query("DELETE FROM instances WHERE seen_at < $1")
            .bind((at - KEEP).timestamp_millis())
            .execute(&mut *w.tx)
            .await?;
        w.tx.commit().await?;
        Ok(())
    }

    /// The instance is still running at `at`.
    pub async fn instance_seen(&self, id: &str, at: DateTime<Utc>) -> Result<(), StorageError> {
        let seen = sqlx::query("UPDATE instances SET seen_at = $2 WHERE id = $1")
            .bind(id.to_owned())
            .bind(at.timestamp_millis());
        self.execute_write(seen).await?;
        Ok(())
    }

    /// The instance stopped at `at`.
    pub async fn instance_stopped(&self, id: &str, at: DateTime<Utc>) -> Result<(), StorageError> {
        let stopped = sqlx::query("UPDATE instances SET seen_at = $2, stopped_at = $2 WHERE id = $1")
            .bind(id.to_owned())
            .bind(at.timestamp_millis());
        self.execute_write(stopped).await?;
        Ok(())
    }

    /// Whether some instance was running at `t`: started by then, and seen
    /// since (within `grace`, the time between two sightings) or stopped after.
    pub async fn instance_running_at(&self, t: DateTime<Utc>, grace: Duration) -> Result<bool, StorageError> {
        let grace = i64::try_from(grace.as_millis()).unwrap_or(i64::MAX);
        let row = sqlx::query(
            "SELECT 1 AS up FROM instances
             WHERE started_at <= $1 AND (CASE WHEN stopped_at IS NULL THEN seen_at + $2 ELSE stopped_at END) >= $1
             LIMIT 1",
        )
        .bind(t.timestamp_millis())
        .bind(grace)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.is_some())
    }
}

impl Store {
    /// Takes, or keeps, the deliverer's lease for `instance` until `until`:
    /// if no instance holds it, its holder's ran out by `now`, or it is
    /// `instance`'s already; on SQLite always (one process owns the file,
    /// so a holder is one that died). Whether `instance` holds it now.
    pub async fn lead(&self, instance: &str, now: DateTime<Utc>, until: DateTime<Utc>) -> Result<bool, StorageError> {
        let _turn = self.writer_turn().await;
        let now = match self.backend {
            Backend::Sqlite => DateTime::<Utc>::MAX_UTC,
            Backend::Postgres => now,
        };
        let row = sqlx::query(
            "INSERT INTO deliverer (id, instance, until) VALUES (1, $1, $3)
             ON CONFLICT (id) DO UPDATE SET instance = excluded.instance, until = excluded.until
             WHERE deliverer.instance = excluded.instance OR deliverer.until <= $2
             RETURNING instance",
        )
        .bind(instance.to_owned())
        .bind(now.timestamp_millis())
        .bind(until.timestamp_millis())
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.is_some())
    }

    /// Gives up the deliverer's lease, if `instance` holds it, so that
    /// another takes over at once.
    pub async fn step_down(&self, instance: &str) -> Result<(), StorageError> {
        let free = sqlx::query("UPDATE deliverer SET until = 0 WHERE instance = $1").bind(instance.to_owned());
        self.execute_write(free).await?;
        Ok(())
    }

    /// The instance holding the deliverer's lease at `now`, if one does.
    pub async fn deliverer(&self, now: DateTime<Utc>) -> Result<Option<String>, StorageError> {
        let row = sqlx::query("SELECT instance FROM deliverer WHERE until > $1")
            .bind(now.timestamp_millis())
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(|r| sqlx::Row::try_get(&r, "instance")).transpose()?)
    }
}
