//! The append-only audit trail: every change to a ticket is an event (who,
//! when, what, as JSON), written in the change's transaction, and never
//! updated or deleted (triggers refuse it).

use chrono::{DateTime, Utc};
use sqlx::Row;

use super::{id_from_db, id_to_db, instant, StorageError, Store};
use crate::domain::customer::Snowflake;
use crate::domain::ticket::{Event, EventKind};

impl Store {
    /// A ticket's events, in the order they were written.
    pub async fn events(&self, ticket_id: i64) -> Result<Vec<Event>, StorageError> {
        let rows =
            sqlx::query("SELECT id, ticket_id, at, actor, detail FROM ticket_events WHERE ticket_id = $1 ORDER BY id")
                .bind(ticket_id)
                .fetch_all(&self.pool)
                .await?;
        rows.iter()
            .map(|r| {
                let detail: String = r.try_get("detail")?;
                Ok(Event {
                    id: r.try_get("id")?,
                    ticket_id: r.try_get("ticket_id")?,
                    at: instant(r.try_get("at")?, "ticket_events")?,
                    actor: id_from_db(r.try_get("actor")?),
                    kind: event_from_json(&detail)?,
                })
            })
            .collect()
    }
}

/// Writes an event of a ticket inside a transaction.
pub(super) async fn insert_event(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    ticket_id: i64,
    at: DateTime<Utc>,
    actor: Snowflake,
    event: &EventKind,
) -> Result<(), StorageError> {
    sqlx::query("INSERT INTO ticket_events (ticket_id, at, actor, kind, detail) VALUES ($1, $2, $3, $4, $5)")
        .bind(ticket_id)
        .bind(at.timestamp_millis())
        .bind(id_to_db(actor))
        .bind(event.name())
        .bind(event_json(event))
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// An event as stored in `detail`.
pub(super) fn event_json(event: &EventKind) -> String {
    // Serialising our own enum of plain fields cannot fail.
    serde_json::to_string(event).expect("events serialise")
}

/// An event from its stored `detail`.
pub(super) fn event_from_json(detail: &str) -> Result<EventKind, StorageError> {
    serde_json::from_str(detail).map_err(|e| StorageError::Corrupt { table: "ticket_events", problem: e.to_string() })
}
