//! Claims of Discord events, so that each takes effect once across
//! instances: a claim is inserted first in the transaction of what the event
//! changes (`Store::begin_claimed`), or alone for an event that changes
//! nothing. A write given a claim commits it whenever it returns `Ok`, also
//! when it finds nothing to change: the event has been answered then. A second instance's insert waits for the first's transaction:
//! if it committed, the event is taken ([`StorageError::AlreadyClaimed`]); if
//! it rolled back (that instance died), the second applies the event.

use chrono::{DateTime, Utc};
use sqlx::Row;

use super::{StorageError, Store, WriteTx};

/// An instance's claim of one event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claim {
    /// `interaction:ID`, `message:ID`.
    pub event: String,
    pub instance: String,
    pub at: DateTime<Utc>,
}

impl Store {
    /// Begins a write transaction whose first statement claims `claim`'s
    /// event, if there is one.
    pub(super) async fn begin_claimed(&self, claim: Option<&Claim>) -> Result<WriteTx<'_>, StorageError> {
        let mut w = self.begin_write().await?;
        if let Some(claim) = claim {
            let inserted = sqlx::query(
                "INSERT INTO event_claims (event, claimed_at, instance) VALUES ($1, $2, $3)
                 ON CONFLICT (event) DO NOTHING",
            )
            .bind(claim.event.clone())
            .bind(claim.at.timestamp_millis())
            .bind(claim.instance.clone())
            .execute(&mut *w.tx)
            .await?;
            if inserted.rows_affected() == 0 {
                return Err(StorageError::AlreadyClaimed);
            }
        }
        Ok(w)
    }

    /// Claims an event that changes nothing else. False if another instance has it.
    pub async fn claim_event(&self, claim: &Claim) -> Result<bool, StorageError> {
        match self.begin_claimed(Some(claim)).await {
            Ok(w) => {
                w.tx.commit().await?;
                Ok(true)
            }
            Err(StorageError::AlreadyClaimed) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Whether the event has been claimed already (a cheap look before doing
    /// its work; the claim itself decides).
    pub async fn event_claimed(&self, event: &str) -> Result<bool, StorageError> {
        let row = sqlx::query("SELECT 1 AS taken FROM event_claims WHERE event = $1")
            .bind(event.to_owned())
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.is_some())
    }

    /// Keeps the reply given to a claimed event (HTTP interactions: a
    /// retried delivery is answered with it).
    pub async fn remember_reply(&self, event: &str, reply: &str) -> Result<(), StorageError> {
        let remember = sqlx::query("UPDATE event_claims SET reply = $2 WHERE event = $1")
            .bind(event.to_owned())
            .bind(reply.to_owned());
        self.execute_write(remember).await?;
        Ok(())
    }

    /// The reply kept for a claimed event: `None` if unclaimed, `Some(None)`
    /// while its instance has not answered yet.
    pub async fn claimed_reply(&self, event: &str) -> Result<Option<Option<String>>, StorageError> {
        let row = sqlx::query("SELECT reply FROM event_claims WHERE event = $1")
            .bind(event.to_owned())
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| r.try_get::<Option<String>, _>("reply")).transpose().map_err(Into::into)
    }

    /// Forgets at most `batch` of the claims made before `before`, oldest
    /// first (a small batch holds SQLite's writer briefly). Returns how many.
    pub async fn forget_claims(&self, before: DateTime<Utc>, batch: i64) -> Result<u64, StorageError> {
        let forget = sqlx::query(
            "DELETE FROM event_claims WHERE event IN
                 (SELECT event FROM event_claims WHERE claimed_at < $1 ORDER BY claimed_at LIMIT $2)",
        )
        .bind(before.timestamp_millis())
        .bind(batch);
        Ok(self.execute_write(forget).await?.rows_affected())
    }
}
