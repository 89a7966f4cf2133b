//! What the weekly summary reads: the histories of the tickets that matter
//! to a window of time, each found through an index (migration 0007).

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sqlx::Row;

use super::{instant, StorageError, Store};
use crate::domain::summary::{Fact, History};
use crate::domain::ticket::{EventKind, TicketKind, TicketNumber, TicketState};

impl Store {
    /// The histories (whole: a first response may come after the window)
    /// of every ticket that matters to the
    /// window `[from, to)`: opened in it, due in it, open or closed in it
    /// (open at one of its instants), or reclassified since `from` (its
    /// deadline may have been in the window then). Of one customer, or all.
    pub async fn histories(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        customer: Option<&str>,
    ) -> Result<Vec<History>, StorageError> {
        let closed = TicketState::Closed.as_str();
        let of_customer = if customer.is_some() { "AND t.customer = $3" } else { "" };
        let sql = format!(
            "WITH c AS (
                 SELECT id FROM tickets WHERE opened_at >= $1 AND opened_at < $2
                 UNION SELECT id FROM tickets WHERE due_at >= $1 AND due_at < $2 AND opened_at < $2
                 UNION SELECT id FROM tickets WHERE state <> '{closed}' AND opened_at < $2
                 UNION SELECT id FROM tickets WHERE closed_at >= $1 AND opened_at < $2
                 UNION SELECT ticket_id FROM ticket_events WHERE kind = 'severity_changed' AND at >= $1
             )
             SELECT t.id, t.customer, t.seq, t.kind, t.opened_at, e.at, e.kind AS event, e.detail
             FROM c JOIN tickets t ON t.id = c.id JOIN ticket_events e ON e.ticket_id = t.id
             WHERE t.opened_at < $2 {of_customer}
             ORDER BY t.id, e.id"
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(from.timestamp_millis()).bind(to.timestamp_millis());
        if let Some(customer) = customer {
            query = query.bind(customer.to_owned());
        }
        let rows = query.fetch_all(&self.pool).await?;
        let corrupt = |problem: String| StorageError::Corrupt { table: "ticket_events", problem };
        let mut out: Vec<History> = Vec::new();
        let mut customers: HashMap<String, crate::domain::customer::CustomerKey> = HashMap::new();
        let mut last_id = None;
        for r in &rows {
            let id: i64 = r.try_get("id")?;
            if last_id != Some(id) {
                last_id = Some(id);
                let customer: String = r.try_get("customer")?;
                let key = match customers.get(&customer) {
                    Some(key) => key.clone(),
                    None => {
                        let key: crate::domain::customer::CustomerKey = customer.parse().map_err(corrupt)?;
                        customers.insert(customer, key.clone());
                        key
                    }
                };
                let kind: String = r.try_get("kind")?;
                out.push(History {
                    number: TicketNumber { customer: key, seq: r.try_get("seq")? },
                    kind: TicketKind::parse(&kind).ok_or_else(|| corrupt(format!("kind {kind}")))?,
                    opened_at: instant(r.try_get("opened_at")?, "tickets")?,
                    facts: Vec::with_capacity(3),
                });
            }
            let at = instant(r.try_get("at")?, "ticket_events")?;
            let event: String = r.try_get("event")?;
            // The facts whose detail is not needed skip the JSON.
            let fact = match event.as_str() {
                "acknowledged" => Some(Fact::Answered),
                "closed" => Some(Fact::Closed),
                "reopened" => Some(Fact::Reopened),
                "breached" => None,
                _ => {
                    let detail: String = r.try_get("detail")?;
                    let kind: EventKind = serde_json::from_str(&detail).map_err(|e| corrupt(e.to_string()))?;
                    Fact::of(&kind)
                }
            };
            if let (Some(fact), Some(history)) = (fact, out.last_mut()) {
                history.facts.push((at, fact));
            }
        }
        Ok(out)
    }
}
