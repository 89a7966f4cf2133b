//! Tickets and their append-only audit trail: opening with the customer's
//! next number, changes stored with their events and outbox rows, and the
//! reads the application needs.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sqlx::Row;

use super::events::{event_json, insert_event};
use super::outbox::{Queued, Reschedule};
use super::rows::{ticket_from_row, ticket_select};
use super::{id_to_db, lock_customer, signatures, Backend, Claim, StorageError, Store};
use crate::domain::customer::Snowflake;
use crate::domain::signature::FileHash;
use crate::domain::ticket::{EventKind, NewTicket, Ticket, TicketNumber, TicketState};

/// What releasing a fix does to another open request about the same file
/// (none: it stays as it is).
pub type Release<'a> = dyn Fn(&Ticket) -> Option<Released> + Send + Sync + 'a;

/// A request a fix released, found inside the transaction.
#[derive(Debug, Clone)]
pub struct Released {
    pub ticket: Ticket,
    pub events: Vec<EventKind>,
    pub reschedule: Reschedule,
    pub effects: Vec<Queued>,
}

/// How many tickets not closed a customer has of a severity in a state
/// (`open`, `acknowledged`, `waiting`, `reopened`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenCount {
    pub customer: String,
    pub severity: i64,
    pub state: String,
    pub n: i64,
}

/// A change to a ticket, as [`Store::update_tickets`] stores it.
#[derive(Debug, Clone, Copy)]
pub struct TicketChange<'a> {
    pub ticket: &'a Ticket,
    pub at: DateTime<Utc>,
    pub actor: Snowflake,
    /// What happened, in order (the audit trail).
    pub events: &'a [EventKind],
    pub reschedule: &'a Reschedule,
    /// Its effects on Discord (card, posts), queued in the outbox.
    pub effects: &'a [Queued],
}

impl Store {
    /// Opens a ticket with the customer's next number and records the event,
    /// atomically: the number, the ticket and its event exist together or not at all.
    /// With a claim, the event is claimed in the same statement or
    /// transaction ([`StorageError::AlreadyClaimed`] if it was taken).
    pub async fn open_ticket(
        &self,
        new: &NewTicket,
        outbox: &[Queued],
        claim: Option<&Claim>,
    ) -> Result<Ticket, StorageError> {
        let opened = match self.backend {
            Backend::Postgres => self.open_ticket_postgres(new, outbox, claim).await,
            Backend::Sqlite => self.open_ticket_sqlite(new, outbox, claim).await,
        };
        let (id, seq) = opened.map_err(|e| match e {
            // The only unique rule a new ticket can break is signature_requests_one_open.
            StorageError::Database(sqlx::Error::Database(db))
                if db.is_unique_violation() && new.signature.is_some() =>
            {
                StorageError::DuplicateRequest
            }
            e => e,
        })?;
        Ok(new.numbered(id, seq))
    }

    /// PostgreSQL: one statement (data-modifying CTEs), so the customer's
    /// counter row is locked for a single round trip and its commit. The
    /// claim, when there is one, comes first and gates the rest: taken by
    /// another instance, it inserts nothing, and so does everything after it.
    async fn open_ticket_postgres(
        &self,
        new: &NewTicket,
        outbox: &[Queued],
        claim: Option<&Claim>,
    ) -> Result<(i64, i64), StorageError> {
        let event = new.event();
        let insert_outbox = super::outbox::insert_sql(Backend::Postgres, "ticket.id", "$14", "ticket,");
        // The request's columns follow the claim's parameters.
        let first = if claim.is_some() { 17 } else { 15 };
        let signature = match new.signature {
            Some(_) => format!(", signature AS ({})", signatures::insert_sql("ticket.id", first, "FROM ticket")),
            None => String::new(),
        };
        let (claim_cte, gate) = match claim {
            Some(_) => (
                "claim AS (
                     INSERT INTO event_claims (event, claimed_at, instance) VALUES ($15, $9, $16)
                     ON CONFLICT (event) DO NOTHING RETURNING 1
                 ),",
                "FROM claim",
            ),
            None => ("", ""),
        };
        let open = format!(
            "WITH {claim_cte} seq AS (
                 INSERT INTO customer_seq (customer, last_ticket) SELECT $1, 1 {gate}
                 ON CONFLICT (customer) DO UPDATE SET last_ticket = customer_seq.last_ticket + 1
                 RETURNING last_ticket
             ), ticket AS (
                 INSERT INTO tickets (customer, seq, opened_by, severity, kind, summary, details, product, state, opened_at,
                                      due_at, logged_by)
                 SELECT $1, last_ticket, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11 FROM seq
                 RETURNING id, seq
             )
             , outbox AS ({insert_outbox}) {signature}
             INSERT INTO ticket_events (ticket_id, at, actor, kind, detail)
             SELECT id, $9, $2, $12, $13 FROM ticket
             RETURNING ticket_id, (SELECT seq FROM ticket) AS seq"
        );
        let mut query = bind_new_ticket(sqlx::query(sqlx::AssertSqlSafe(open)), new)
            .bind(event.name())
            .bind(event_json(&event))
            .bind(super::outbox::queued_json(outbox));
        if let Some(claim) = claim {
            query = query.bind(claim.event.clone()).bind(claim.instance.clone());
        }
        let row = match &new.signature {
            None => query.fetch_optional(&self.pool).await?,
            Some(request) => {
                // After any release of the same file that is under way (it
                // reads the open requests about the file under this lock).
                let query = signatures::bind_request(query, &new.customer, request);
                let mut tx = self.pool.begin().await?;
                signatures::lock_file(Backend::Postgres, &mut tx, &request.hash).await?;
                let row = query.fetch_optional(&mut *tx).await?;
                tx.commit().await?;
                row
            }
        };
        let row = row.ok_or(StorageError::AlreadyClaimed)?;
        Ok((row.try_get("ticket_id")?, row.try_get("seq")?))
    }

    /// SQLite: a transaction whose first statement (the claim, or the
    /// counter) takes the write lock.
    async fn open_ticket_sqlite(
        &self,
        new: &NewTicket,
        outbox: &[Queued],
        claim: Option<&Claim>,
    ) -> Result<(i64, i64), StorageError> {
        let mut w = self.begin_claimed(claim).await?;
        let tx = &mut w.tx;
        sqlx::query(
            "INSERT INTO customer_seq (customer, last_ticket) VALUES ($1, 1)
             ON CONFLICT (customer) DO UPDATE SET last_ticket = customer_seq.last_ticket + 1",
        )
        .bind(new.customer.as_str())
        .execute(&mut **tx)
        .await?;
        let row = bind_new_ticket(
            sqlx::query(
                "INSERT INTO tickets (customer, seq, opened_by, severity, kind, summary, details, product, state, opened_at,
                                      due_at, logged_by)
                 SELECT $1, last_ticket, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11 FROM customer_seq WHERE customer = $1
                 RETURNING id, seq",
            ),
            new,
        )
        .fetch_one(&mut **tx)
        .await?;
        let (id, seq): (i64, i64) = (row.try_get("id")?, row.try_get("seq")?);
        insert_event(tx, id, new.opened_at, new.opened_by, &new.event()).await?;
        self.queue(tx, id, outbox).await?;
        if let Some(request) = &new.signature {
            let insert = signatures::insert_sql("$1", 2, "");
            signatures::bind_request(sqlx::query(sqlx::AssertSqlSafe(insert)).bind(id), &new.customer, request)
                .execute(&mut **tx)
                .await?;
        }
        w.tx.commit().await?;
        Ok((id, seq))
    }

    /// Stores changed tickets, each with its events, the effects it causes
    /// and its effect on the escalation steps, all in one transaction (with
    /// the event's claim, if any), if nobody changed any of them since its
    /// `version` was read. Returns false (storing nothing) when someone did.
    /// (A ticket's thread and card are not a change's to write: the outbox
    /// records them.)
    pub async fn update_tickets(
        &self,
        changes: &[TicketChange<'_>],
        claim: Option<&Claim>,
    ) -> Result<bool, StorageError> {
        Ok(self.update_tickets_releasing(changes, claim, None).await?.is_some())
    }

    /// [`Store::update_tickets`], and with `release` (a file's hash and
    /// what releasing a fix does to a request), the same for every other
    /// open request about that file, read inside the transaction: a request
    /// filed meanwhile is released too (on PostgreSQL the file's lock,
    /// which a new request takes as well, orders the two). The other
    /// changes are made at the first change's instant, by its actor.
    /// Returns the numbers of the others released, or `None` (storing
    /// nothing) when any ticket changed meanwhile.
    pub async fn update_tickets_releasing(
        &self,
        changes: &[TicketChange<'_>],
        claim: Option<&Claim>,
        release: Option<(&FileHash, &Release<'_>)>,
    ) -> Result<Option<Vec<TicketNumber>>, StorageError> {
        let mut w = self.begin_claimed(claim).await?;
        let tx = &mut w.tx;
        let mut found = Vec::new();
        if let Some((hash, release)) = release {
            signatures::lock_file(self.backend, tx, hash).await?;
            for other in signatures::open_requests_locked(self.backend, tx, hash).await? {
                if !changes.iter().any(|c| c.ticket.id == other.id) {
                    found.extend(release(&other));
                }
            }
        }
        let (at, actor) = changes.first().map_or((DateTime::<Utc>::UNIX_EPOCH, Snowflake(0)), |c| (c.at, c.actor));
        let others = found.iter().map(|f| TicketChange {
            ticket: &f.ticket,
            at,
            actor,
            events: &f.events,
            reschedule: &f.reschedule,
            effects: &f.effects,
        });
        let all: Vec<TicketChange> = changes.iter().copied().chain(others).collect();
        // Each customer's writers one at a time (see the module comment),
        // taken in key order so that two transactions never wait in a circle.
        let customers: std::collections::BTreeSet<&str> =
            all.iter().map(|c| c.ticket.number.customer.as_str()).collect();
        for customer in customers {
            lock_customer(tx, customer).await?;
        }
        for change in &all {
            let TicketChange { ticket: changed, at, actor, events, reschedule, effects } = *change;
            let done = sqlx::query(
                "UPDATE tickets SET severity = $1, state = $2, due_at = $3, acked_at = $4, acked_by = $5,
                        closed_at = $6, owner_id = $9, update_due_at = $10, waiting_since = $11, version = version + 1
                 WHERE id = $7 AND version = $8",
            )
            .bind(i64::from(changed.severity.level()))
            .bind(changed.state.as_str())
            .bind(changed.due_at.timestamp_millis())
            .bind(changed.acked_at.map(|t| t.timestamp_millis()))
            .bind(changed.acked_by.map(id_to_db))
            .bind(changed.closed_at.map(|t| t.timestamp_millis()))
            .bind(changed.id)
            .bind(changed.version)
            .bind(changed.owner.map(id_to_db))
            .bind(changed.update_due_at.map(|t| t.timestamp_millis()))
            .bind(changed.waiting_since.map(|t| t.timestamp_millis()))
            .execute(&mut **tx)
            .await?;
            if done.rows_affected() == 0 {
                return Ok(None);
            }
            if let Some(request) = &changed.signature {
                signatures::update_stage(tx, changed.id, request).await?;
            }
            for event in events {
                insert_event(tx, changed.id, at, actor, event).await?;
            }
            self.queue(tx, changed.id, effects).await?;
            self.reschedule(tx, changed.id, reschedule).await?;
        }
        w.tx.commit().await?;
        Ok(Some(found.into_iter().map(|f| f.ticket.number).collect()))
    }

    pub async fn ticket(&self, number: &TicketNumber) -> Result<Option<Ticket>, StorageError> {
        let row = sqlx::query(concat!(ticket_select!(), " WHERE customer = $1 AND seq = $2"))
            .bind(number.customer.as_str())
            .bind(number.seq)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(ticket_from_row).transpose()
    }

    /// Tickets not closed, counted by customer, severity level and state
    /// (`waiting` for one waiting on the customer).
    pub async fn open_ticket_counts(&self) -> Result<Vec<OpenCount>, StorageError> {
        let closed = TicketState::Closed.as_str();
        let sql = format!(
            "SELECT customer, CAST(severity AS BIGINT) AS severity,
                    CASE WHEN waiting_since IS NOT NULL THEN 'waiting' ELSE state END AS state, COUNT(*) AS n
             FROM tickets WHERE state <> '{closed}' GROUP BY 1, 2, 3 ORDER BY 1, 2, 3"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).fetch_all(&self.pool).await?;
        rows.iter()
            .map(|r| {
                Ok(OpenCount {
                    customer: r.try_get("customer")?,
                    severity: r.try_get("severity")?,
                    state: r.try_get("state")?,
                    n: r.try_get("n")?,
                })
            })
            .collect()
    }

    /// The tickets of these ids that exist, by id (one query).
    pub async fn tickets_by_ids(&self, ids: &[i64]) -> Result<HashMap<i64, Ticket>, StorageError> {
        if ids.is_empty() {
            return Ok(HashMap::new());
        }
        let list = match self.backend {
            Backend::Postgres => "SELECT value::BIGINT FROM json_array_elements_text($1::json)",
            Backend::Sqlite => "SELECT value FROM json_each($1)",
        };
        let sql = format!("{} WHERE id IN ({list})", ticket_select!());
        // A list of integers: serialising it cannot fail.
        let ids = serde_json::to_string(ids).expect("ids serialise");
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(ids).fetch_all(&self.pool).await?;
        rows.iter().map(ticket_from_row).map(|t| t.map(|t| (t.id, t))).collect()
    }

    pub async fn ticket_by_thread(&self, thread: Snowflake) -> Result<Option<Ticket>, StorageError> {
        let row = sqlx::query(concat!(ticket_select!(), " WHERE thread_id = $1"))
            .bind(id_to_db(thread))
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(ticket_from_row).transpose()
    }

    /// A customer's tickets, newest first; closed ones only when asked.
    pub async fn tickets(&self, customer: &str, include_closed: bool) -> Result<Vec<Ticket>, StorageError> {
        let closed = TicketState::Closed.as_str();
        let sql = format!("{} WHERE customer = $1 AND ($2 OR state <> '{closed}') ORDER BY seq DESC", ticket_select!());
        let rows =
            sqlx::query(sqlx::AssertSqlSafe(sql)).bind(customer).bind(include_closed).fetch_all(&self.pool).await?;
        rows.iter().map(ticket_from_row).collect()
    }

    /// The tickets not closed that `owner` owns, of every customer, soonest
    /// deadline first.
    pub async fn tickets_owned_by(&self, owner: Snowflake) -> Result<Vec<Ticket>, StorageError> {
        let closed = TicketState::Closed.as_str();
        let sql = format!("{} WHERE owner_id = $1 AND state <> '{closed}' ORDER BY due_at, id", ticket_select!());
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(id_to_db(owner)).fetch_all(&self.pool).await?;
        rows.iter().map(ticket_from_row).collect()
    }

    /// Every ticket still waiting for a first response, soonest deadline first.
    pub async fn unanswered_tickets(&self) -> Result<Vec<Ticket>, StorageError> {
        let closed = TicketState::Closed.as_str();
        let sql = format!("{} WHERE acked_at IS NULL AND state <> '{closed}' ORDER BY due_at, id", ticket_select!());
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).fetch_all(&self.pool).await?;
        rows.iter().map(ticket_from_row).collect()
    }
}

/// Binds a new ticket's columns as `$1` to `$11`, in the order of the
/// `INSERT INTO tickets` statements above (the number comes from the counter).
fn bind_new_ticket<'q>(
    query: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments>,
    new: &NewTicket,
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments> {
    query
        .bind(new.customer.as_str().to_owned())
        .bind(id_to_db(new.opened_by))
        .bind(i64::from(new.severity.level()))
        .bind(new.kind().as_str())
        .bind(new.summary.clone())
        .bind(new.details.clone())
        .bind(new.product.clone())
        .bind(TicketState::Open.as_str())
        .bind(new.opened_at.timestamp_millis())
        .bind(new.due_at.timestamp_millis())
        .bind(new.logged_by.map(id_to_db))
}
