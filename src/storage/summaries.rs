//! What the weekly summary reads: the histories of the tickets that matter
//! to a window of time, each found through an index (migration 0007).
//!
//! Two weeks of a busy database are a couple of hundred thousand tickets,
//! and fetching a row costs far more than its bytes (and building JSON
//! twice what joining text does); so the database folds the tickets into
//! one string of lines. A ticket whose log is the usual (answered, closed)
//! comes from its own columns; the few reclassified, reopened or moved
//! through stages bring their events in a second query, and the ratings of
//! the window's tickets (one in five, say) come folded in a third.

use chrono::{DateTime, Utc};
use sqlx::Row;

use super::events::event_from_json;
use super::{instant, Backend, StorageError, Store};
use crate::domain::customer::CustomerKey;
use crate::domain::rating::{Rating, Score};
use crate::domain::sla::Severity;
use crate::domain::summary::{Fact, History, UpdateMark};
use crate::domain::ticket::{EventKind, TicketKind, TicketNumber, TicketState};

/// The events that make a ticket's log other than the usual.
const UNUSUAL: &str = "'severity_changed', 'reopened', 'stage_changed'";

/// What separates the folded ratings: a control character, which an
/// event's JSON never holds unescaped.
const RECORD: &str = "\u{1e}";

impl Store {
    /// The histories (whole: a first response may come after the window)
    /// of every ticket that matters to the window `[from, to)`: opened in
    /// it, due in it, open or closed in it (open at one of its instants),
    /// or reclassified since `from` (its deadline may have been in the
    /// window then). Of one customer, or all.
    pub async fn histories(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        customer: Option<&str>,
    ) -> Result<Vec<History>, StorageError> {
        let closed = TicketState::Closed.as_str();
        let (from_ms, to_ms) = (from.timestamp_millis(), to.timestamp_millis());
        let mut tx = self.pool.begin().await?;
        if self.backend == Backend::Postgres {
            // The plan's cost estimate would start the JIT compiler, which
            // takes longer than the query (measured: 300 of 600 ms).
            sqlx::query("SET LOCAL jit = off").execute(&mut *tx).await?;
        }
        // Older tickets that matter: few, and fetched first so that the
        // planner need not guess how few.
        let older: Vec<i64> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "SELECT id FROM tickets WHERE due_at >= $1 AND due_at < $2 AND opened_at < $1
             UNION SELECT id FROM tickets WHERE state <> '{closed}' AND opened_at < $1
             UNION SELECT id FROM tickets WHERE closed_at >= $1 AND opened_at < $1
             UNION SELECT e.ticket_id FROM ticket_events e JOIN tickets o ON o.id = e.ticket_id
                   WHERE e.kind = 'severity_changed' AND e.at >= $1 AND o.opened_at < $1"
        )))
        .bind(from_ms)
        .bind(to_ms)
        .fetch_all(&mut *tx)
        .await?;
        let of_customer = if customer.is_some() { "AND t.customer = $4" } else { "" };
        // The ids of a JSON array bound as parameter `$n`.
        let listed = |n: u8| match self.backend {
            Backend::Postgres => {
                format!("SELECT CAST(value AS BIGINT) FROM json_array_elements_text(CAST(${n} AS JSON))")
            }
            Backend::Sqlite => format!("SELECT value FROM json_each(${n})"),
        };
        // One line per ticket: `id customer seq kind opened severity due
        // acked closed unusual phone`, with -1 for none.
        let line = format!(
            "t.id || ' ' || t.customer || ' ' || t.seq || ' ' || t.kind || ' ' || t.opened_at || ' ' || t.severity
             || ' ' || t.due_at || ' ' || COALESCE(t.acked_at, -1) || ' ' || COALESCE(t.closed_at, -1) || ' ' ||
             CASE WHEN EXISTS (SELECT 1 FROM ticket_events u WHERE u.ticket_id = t.id AND u.kind IN ({UNUSUAL}))
                  THEN 1 ELSE 0 END || ' ' || CASE WHEN t.logged_by IS NULL THEN 0 ELSE 1 END"
        );
        let sql = format!(
            "SELECT string_agg(line, ',') FROM (
                 SELECT {line} AS line FROM tickets t WHERE t.opened_at >= $1 AND t.opened_at < $2 {of_customer}
                 UNION ALL
                 SELECT {line} AS line FROM tickets t WHERE t.id IN ({}) {of_customer}
             ) AS lines",
            listed(3)
        );
        let mut query = sqlx::query_scalar::<_, Option<String>>(sqlx::AssertSqlSafe(sql))
            .bind(from_ms)
            .bind(to_ms)
            .bind(serde_json::to_string(&older).unwrap_or_else(|_| "[]".into()));
        if let Some(customer) = customer {
            query = query.bind(customer.to_owned());
        }
        let folded = query.fetch_one(&mut *tx).await?.unwrap_or_default();
        let mut keys: Vec<CustomerKey> = Vec::new();
        let mut out = Vec::new();
        let mut ids = Vec::new();
        let mut unusual = Vec::new();
        for line in folded.split(',').filter(|l| !l.is_empty()) {
            let ((history, id), is_unusual) = ticket_line(line, &mut keys)?;
            if is_unusual {
                unusual.push((id, out.len()));
            }
            out.push(history);
            ids.push(id);
        }
        // The unusual ones' logs.
        if !unusual.is_empty() {
            let ids: Vec<i64> = unusual.iter().map(|(id, _)| *id).collect();
            let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT e.ticket_id, e.at, e.detail FROM ticket_events e
                 WHERE e.ticket_id IN ({}) AND e.kind IN ('acknowledged', 'closed', {UNUSUAL})
                 ORDER BY e.ticket_id, e.id",
                listed(1)
            )))
            .bind(serde_json::to_string(&ids).unwrap_or_else(|_| "[]".into()))
            .fetch_all(&mut *tx)
            .await?;
            let mut events: std::collections::HashMap<i64, Vec<(i64, String)>> = Default::default();
            for r in &rows {
                events.entry(r.try_get("ticket_id")?).or_default().push((r.try_get("at")?, r.try_get("detail")?));
            }
            for (id, at) in unusual {
                replay(&mut out[at], events.remove(&id).unwrap_or_default())?;
            }
        }
        // The ratings of the window's tickets: given after their opening,
        // so since the window's start (migration 0012's index), folded.
        let of_customer = if customer.is_some() { "AND t.customer = $4" } else { "" };
        let sql = format!(
            "SELECT string_agg(e.ticket_id || ' ' || e.at || ' ' || e.detail, $3) FROM ticket_events e
             JOIN tickets t ON t.id = e.ticket_id
             WHERE e.kind = 'rated' AND e.at >= $1 AND t.opened_at >= $1 AND t.opened_at < $2 {of_customer}"
        );
        let mut query =
            sqlx::query_scalar::<_, Option<String>>(sqlx::AssertSqlSafe(sql)).bind(from_ms).bind(to_ms).bind(RECORD);
        if let Some(customer) = customer {
            query = query.bind(customer.to_owned());
        }
        let ratings = query.fetch_one(&mut *tx).await?.unwrap_or_default();
        tx.commit().await?;
        add_ratings(&mut out, &ids, &ratings)?;
        Ok(out)
    }
}

/// A rating's stored detail (`EventKind::Rated` as `event_json` writes
/// it), read for its two fields alone: a week's report reads tens of
/// thousands, and the whole event's tagged form costs several times more.
#[derive(serde::Deserialize)]
struct RatedDetail {
    score: Score,
    comment: Option<String>,
}

/// Adds the folded `ratings` (`ticket_id at detail`, by [`RECORD`]) to the
/// histories of their tickets (`ids[i]` is `histories[i]`'s), each in its
/// place among the ticket's facts.
fn add_ratings(histories: &mut [History], ids: &[i64], ratings: &str) -> Result<(), StorageError> {
    let bad = corrupt("ticket_events");
    let at_index: std::collections::HashMap<i64, usize> = ids.iter().enumerate().map(|(i, id)| (*id, i)).collect();
    let mut touched = std::collections::BTreeSet::new();
    for record in ratings.split(RECORD).filter(|r| !r.is_empty()) {
        let mut parts = record.splitn(3, ' ');
        let (Some(id), Some(at), Some(detail)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(bad(format!("rating {record}")));
        };
        let number = |s: &str| s.parse::<i64>().map_err(|_| bad(format!("number {s} in a rating")));
        let Some(&i) = at_index.get(&number(id)?) else { continue };
        let at = instant(number(at)?, "ticket_events")?;
        let rated: RatedDetail = serde_json::from_str(detail).map_err(|e| bad(e.to_string()))?;
        histories[i].facts.push((at, Fact::Rated(Rating { score: rated.score, comment: rated.comment })));
        touched.insert(i);
    }
    for i in touched {
        histories[i].facts.sort_by_key(|(at, _)| *at);
    }
    Ok(())
}

/// How far from a window an update deadline's marks are looked for: an
/// update meets a deadline up to an update interval before it (and a late
/// one comes after it), and no interval is longer than this in practice.
const UPDATE_REACH: chrono::Duration = chrono::Duration::days(31);

impl Store {
    /// The update deadlines' marks (an update's, or one recorded missed at
    /// its deadline) of the deadlines that may fall in `[from, to)`, of one
    /// customer or all. Through the events' index of updates (migration
    /// 0009).
    pub async fn update_marks(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        customer: Option<&str>,
    ) -> Result<Vec<UpdateMark>, StorageError> {
        let of_customer = if customer.is_some() { "AND t.customer = $3" } else { "" };
        let sql = format!(
            "SELECT t.customer, t.seq, e.at, e.detail FROM ticket_events e JOIN tickets t ON t.id = e.ticket_id
             WHERE e.kind IN ('updated', 'update_overdue') AND e.at >= $1 AND e.at < $2 {of_customer}"
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind((from - UPDATE_REACH).timestamp_millis())
            .bind((to + UPDATE_REACH).timestamp_millis());
        if let Some(customer) = customer {
            query = query.bind(customer.to_owned());
        }
        let bad = corrupt("ticket_events");
        let mut marks = Vec::new();
        for r in query.fetch_all(&self.pool).await? {
            let customer: String = r.try_get("customer")?;
            let number = TicketNumber { customer: customer.parse().map_err(&bad)?, seq: r.try_get("seq")? };
            let detail: String = r.try_get("detail")?;
            let event = event_from_json(&detail)?;
            marks.extend(UpdateMark::of(&number, instant(r.try_get("at")?, "ticket_events")?, &event));
        }
        Ok(marks)
    }
}

/// A ticket's line, as a history of its usual log (answered, closed), its
/// id, and whether its log is unusual (then [`replay`] makes its history).
fn ticket_line(line: &str, keys: &mut Vec<CustomerKey>) -> Result<((History, i64), bool), StorageError> {
    let bad = corrupt("tickets");
    let f: Vec<&str> = line.split(' ').collect();
    let [id, customer, seq, kind, opened_at, severity, due_at, acked_at, closed_at, unusual, phone] = f[..] else {
        return Err(bad(format!("line {line}")));
    };
    let number = |s: &str| s.parse::<i64>().map_err(|_| bad(format!("number {s} in {line}")));
    let optional = |s: &str| -> Result<Option<DateTime<Utc>>, StorageError> {
        match number(s)? {
            -1 => Ok(None),
            ms => instant(ms, "tickets").map(Some),
        }
    };
    let key = match keys.iter().find(|k| k.as_str() == customer) {
        Some(k) => k.clone(),
        None => {
            let k: CustomerKey = customer.parse().map_err(&bad)?;
            keys.push(k.clone());
            k
        }
    };
    let level = number(severity)?;
    let severity =
        u8::try_from(level).ok().and_then(Severity::from_level).ok_or_else(|| bad(format!("severity {level}")))?;
    let mut facts = Vec::new();
    facts.extend(optional(acked_at)?.map(|at| (at, Fact::Answered)));
    facts.extend(optional(closed_at)?.map(|at| (at, Fact::Closed)));
    let history = History {
        number: TicketNumber { customer: key, seq: number(seq)? },
        kind: TicketKind::parse(kind).ok_or_else(|| bad(format!("kind {kind}")))?,
        opened_at: instant(number(opened_at)?, "tickets")?,
        severity,
        due_at: instant(number(due_at)?, "tickets")?,
        facts,
        by_phone: phone == "1",
    };
    Ok(((history, number(id)?), unusual == "1"))
}

/// An unusual ticket's history from its events: its facts in order, and
/// its opening severity and deadline, which its first reclassification
/// says.
fn replay(h: &mut History, events: Vec<(i64, String)>) -> Result<(), StorageError> {
    h.facts.clear();
    let mut first_change = true;
    for (at, detail) in events {
        let at = instant(at, "ticket_events")?;
        let event = event_from_json(&detail)?;
        if let (EventKind::SeverityChanged { from, due_before, .. }, true) = (&event, first_change) {
            let bad = corrupt("ticket_events");
            h.severity = Severity::from_level(*from).ok_or_else(|| bad(format!("severity {from}")))?;
            h.due_at = *due_before;
            first_change = false;
        }
        h.facts.extend(event.fact().map(|f| (at, f)));
    }
    // In the order they happened (the log's order, unless rows were
    // written out of it).
    h.facts.sort_by_key(|(at, _)| *at);
    Ok(())
}

fn corrupt(table: &'static str) -> impl Fn(String) -> StorageError {
    move |problem| StorageError::Corrupt { table, problem }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A rating's detail reads as the event it was written from.
    #[test]
    fn a_ratings_detail_reads_as_its_event() {
        for comment in [None, Some("took two days, \"really\"\u{1e}".to_owned())] {
            let score = Score::new(2).unwrap();
            let detail = super::super::events::event_json(&EventKind::Rated { score, comment: comment.clone() });
            let read: RatedDetail = serde_json::from_str(&detail).unwrap();
            assert_eq!((read.score, read.comment), (score, comment));
            assert!(!detail.contains(RECORD), "the separator never stands in a detail: {detail}");
        }
    }
}
