//! Durable storage: contacts, tickets and their audit trail, on SQLite (the
//! embedded default) or PostgreSQL.
//!
//! One implementation serves both backends through sqlx's `Any` driver: the
//! SQL is portable (`$N` parameters, `ON CONFLICT`, `RETURNING`), each backend
//! has its own migrations folder, and the few differences are spelled out
//! where they occur. Instants are stored as UTC milliseconds, Discord ids as
//! the signed 64-bit integer with the same bits.
//!
//! Concurrency: every transaction that changes a customer's tickets or
//! contacts starts by writing that customer's `customer_seq` row. On
//! PostgreSQL this takes the row lock; on SQLite the first write takes the
//! database's write lock. Either way, a customer's numbering and contact
//! limit are decided one transaction at a time, so numbers have no gaps or
//! duplicates and a ninth contact cannot slip in beside an eighth.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::migrate::Migrator;
use sqlx::{AnyPool, Row};

use crate::domain::customer::{CustomerKey, Snowflake};
use crate::domain::signature::SignatureRequest;
use crate::domain::sla::Severity;
use crate::domain::ticket::{Event, EventKind, Ticket, TicketKind, TicketNumber, TicketState};

mod claims;
mod instances;
mod outbox;
mod signatures;
mod summaries;
pub use claims::Claim;
pub use outbox::{Claimed, Finish, Once, OutboxRow, OutboxState, Queued, Reschedule};

static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("migrations/sqlite");
static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("migrations/postgres");

/// At most this many active contacts per customer (SPEC.md).
pub const MAX_CONTACTS: i64 = 8;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error("unsupported storage URL \"{0}\": use sqlite://PATH or postgres://USER@HOST/DB")]
    UnsupportedUrl(String),
    #[error("cannot create the directory for the SQLite file {path}: {source}")]
    Directory { path: String, source: std::io::Error },
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("migration failed: {0}")]
    Migration(#[from] sqlx::migrate::MigrateError),
    #[error(
        "{path} is in use by another priority-line process (it holds {path}.lock): SQLite serves one process. \
         Stop the other one, or use PostgreSQL to run several instances."
    )]
    InUse { path: String },
    #[error("cannot lock {path}.lock: {source}")]
    Lock { path: String, source: std::io::Error },
    #[error("corrupt row in {table}: {problem}")]
    Corrupt { table: &'static str, problem: String },
    /// The event was claimed by another instance (or an earlier delivery):
    /// nothing was changed.
    #[error("the event was already claimed")]
    AlreadyClaimed,
    /// The customer has an open request about the same file already (two
    /// requests raced): nothing was stored.
    #[error("the customer has an open request about this file")]
    DuplicateRequest,
}

/// A registered technical contact of a customer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contact {
    pub customer: String,
    pub user: Snowflake,
    pub name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub added_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Default)]
pub struct NewContact {
    pub user: Option<Snowflake>,
    pub name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
}

/// Why a contact could not be added.
#[derive(Debug, thiserror::Error)]
pub enum AddContactError {
    #[error("the customer already has {active} active contacts")]
    LimitReached { active: i64 },
    #[error("already an active contact of {customer}")]
    AlreadyContact { customer: String },
    #[error(transparent)]
    Storage(#[from] StorageError),
}

/// A ticket about to be opened; the store assigns its id and number.
#[derive(Debug, Clone)]
pub struct NewTicket {
    pub customer: CustomerKey,
    pub opened_by: Snowflake,
    pub severity: Severity,
    pub kind: TicketKind,
    pub summary: String,
    pub details: Option<String>,
    pub product: Option<String>,
    pub opened_at: DateTime<Utc>,
    pub due_at: DateTime<Utc>,
    /// Its effects (thread, card, posts) and escalation steps, stored with it.
    pub outbox: Vec<Queued>,
    /// What a signature change request reports (kind `signature`).
    pub signature: Option<SignatureRequest>,
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

/// The handle to the database; cheap to clone.
#[derive(Debug, Clone)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
    /// SQLite has one writer at a time, and a writer that finds the database
    /// locked sleeps in millisecond steps in SQLite's busy handler. Queuing
    /// this process's write transactions here instead keeps them from
    /// colliding. (Another process on the same file stays correct, through
    /// SQLite's busy timeout, only slower.)
    writer: Arc<tokio::sync::Mutex<()>>,
    /// SQLite: the lock on `<file>.lock`, held while any clone of the store
    /// lives, so that a second process on the same file refuses to start
    /// (two would each believe they alone send the notifications).
    _owner: Option<Arc<std::fs::File>>,
}

impl Store {
    /// Connects, creating the SQLite file (and its directory) if needed, and
    /// applies pending migrations.
    pub async fn connect(url: &str) -> Result<Store, StorageError> {
        let store = Store::connect_without_migrating(url).await?;
        store.migrate().await?;
        Ok(store)
    }

    pub async fn connect_without_migrating(url: &str) -> Result<Store, StorageError> {
        sqlx::any::install_default_drivers();
        let mut owner = None;
        let (backend, url) = if let Some(path) = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:")) {
            let url = sqlite_url(path)?;
            owner = lock_sqlite_file(path)?;
            (Backend::Sqlite, url)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            (Backend::Postgres, url.to_owned())
        } else {
            return Err(StorageError::UnsupportedUrl(url.to_owned()));
        };
        let options = AnyPoolOptions::new().acquire_timeout(Duration::from_secs(30));
        let pool = match backend {
            Backend::Sqlite => {
                options
                    .max_connections(4)
                    .after_connect(|conn, _| {
                        Box::pin(async move {
                            // WAL lets readers work beside the one writer; NORMAL syncs at
                            // checkpoints, not every commit (durable across process crashes).
                            for pragma in [
                                "PRAGMA journal_mode = WAL",
                                "PRAGMA synchronous = NORMAL",
                                "PRAGMA foreign_keys = ON",
                                "PRAGMA busy_timeout = 30000",
                            ] {
                                sqlx::query(pragma).execute(&mut *conn).await?;
                            }
                            Ok(())
                        })
                    })
                    .connect(&url)
                    .await?
            }
            Backend::Postgres => options.max_connections(8).connect(&url).await?,
        };
        Ok(Store { pool, backend, writer: Arc::default(), _owner: owner })
    }

    /// Begins a write transaction; on SQLite, after this process's earlier writers.
    async fn begin_write(&self) -> Result<WriteTx<'_>, StorageError> {
        let turn = self.writer_turn().await;
        Ok(WriteTx { tx: self.pool.begin().await?, _turn: turn })
    }

    /// Runs one autocommitted write statement; on SQLite, in the writer queue.
    async fn execute_write(
        &self,
        query: sqlx::query::Query<'_, sqlx::Any, sqlx::any::AnyArguments>,
    ) -> Result<sqlx::any::AnyQueryResult, StorageError> {
        let _turn = self.writer_turn().await;
        Ok(query.execute(&self.pool).await?)
    }

    async fn writer_turn(&self) -> Option<tokio::sync::MutexGuard<'_, ()>> {
        match self.backend {
            Backend::Sqlite => Some(self.writer.lock().await),
            Backend::Postgres => None,
        }
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    pub async fn migrate(&self) -> Result<(), StorageError> {
        match self.backend {
            Backend::Sqlite => SQLITE_MIGRATIONS.run(&self.pool).await?,
            Backend::Postgres => POSTGRES_MIGRATIONS.run(&self.pool).await?,
        }
        Ok(())
    }

    /// Whether the database answers (for health checks).
    pub async fn ping(&self) -> Result<(), StorageError> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// The raw pool, for benchmarks that compare against plain statements.
    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    // ---------------------------------------------------------------- contacts

    /// Adds an active contact unless the customer has [`MAX_CONTACTS`] already
    /// or the person is an active contact (of any customer).
    pub async fn add_contact(
        &self,
        customer: &str,
        contact: &NewContact,
        (user, at, by): (Snowflake, DateTime<Utc>, Snowflake),
        claim: Option<&Claim>,
    ) -> Result<Contact, AddContactError> {
        let mut w = self.begin_claimed(claim).await?;
        let tx = &mut w.tx;
        lock_customer(tx, customer).await?;
        let existing = sqlx::query("SELECT customer FROM contacts WHERE user_id = $1 AND removed_at IS NULL")
            .bind(id_to_db(user))
            .fetch_optional(&mut **tx)
            .await
            .map_err(StorageError::from)?;
        if let Some(row) = existing {
            let customer: String = row.try_get("customer").map_err(StorageError::from)?;
            return Err(AddContactError::AlreadyContact { customer });
        }
        let active: i64 = sqlx::query("SELECT COUNT(*) AS n FROM contacts WHERE customer = $1 AND removed_at IS NULL")
            .bind(customer)
            .fetch_one(&mut **tx)
            .await
            .and_then(|r| r.try_get("n"))
            .map_err(StorageError::from)?;
        if active >= MAX_CONTACTS {
            return Err(AddContactError::LimitReached { active });
        }
        sqlx::query(
            "INSERT INTO contacts (customer, user_id, name, email, phone, added_at, added_by)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(customer)
        .bind(id_to_db(user))
        .bind(contact.name.clone())
        .bind(contact.email.clone())
        .bind(contact.phone.clone())
        .bind(at.timestamp_millis())
        .bind(id_to_db(by))
        .execute(&mut **tx)
        .await
        .map_err(StorageError::from)?;
        w.tx.commit().await.map_err(StorageError::from)?;
        Ok(Contact {
            customer: customer.to_owned(),
            user,
            name: contact.name.clone(),
            email: contact.email.clone(),
            phone: contact.phone.clone(),
            added_at: at,
        })
    }

    /// Marks a contact removed; their tickets and audit trail stay. In the
    /// same transaction, queues `leave` (the job that takes them out of a
    /// ticket's thread) for each of the customer's tickets not closed.
    /// Returns whether an active contact was removed.
    pub async fn remove_contact(
        &self,
        customer: &str,
        (user, at, by): (Snowflake, DateTime<Utc>, Snowflake),
        leave: &str,
        claim: Option<&Claim>,
    ) -> Result<bool, StorageError> {
        let mut w = self.begin_claimed(claim).await?;
        let done = sqlx::query(
            "UPDATE contacts SET removed_at = $1, removed_by = $2
             WHERE customer = $3 AND user_id = $4 AND removed_at IS NULL",
        )
        .bind(at.timestamp_millis())
        .bind(id_to_db(by))
        .bind(customer.to_owned())
        .bind(id_to_db(user))
        .execute(&mut *w.tx)
        .await?;
        if done.rows_affected() == 0 {
            return Ok(false);
        }
        let closed = TicketState::Closed.as_str();
        let leave_threads = format!(
            "INSERT INTO outbox (ticket_id, job, due_at)
             SELECT id, $1, $2 FROM tickets WHERE customer = $3 AND state <> '{closed}' ORDER BY id"
        );
        sqlx::query(sqlx::AssertSqlSafe(leave_threads))
            .bind(leave.to_owned())
            .bind(at.timestamp_millis())
            .bind(customer.to_owned())
            .execute(&mut *w.tx)
            .await?;
        w.tx.commit().await?;
        Ok(true)
    }

    pub async fn contacts(&self, customer: &str) -> Result<Vec<Contact>, StorageError> {
        let rows = sqlx::query(
            "SELECT customer, user_id, name, email, phone, added_at FROM contacts
             WHERE customer = $1 AND removed_at IS NULL ORDER BY added_at, id",
        )
        .bind(customer)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(contact_from_row).collect()
    }

    /// The active contact registration of a person, if any.
    pub async fn active_contact(&self, user: Snowflake) -> Result<Option<Contact>, StorageError> {
        let row = sqlx::query(
            "SELECT customer, user_id, name, email, phone, added_at FROM contacts
             WHERE user_id = $1 AND removed_at IS NULL",
        )
        .bind(id_to_db(user))
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(contact_from_row).transpose()
    }

    // ----------------------------------------------------------------- tickets

    /// Opens a ticket with the customer's next number and records the event,
    /// atomically: the number, the ticket and its event exist together or not at all.
    /// With a claim, the event is claimed in the same statement or
    /// transaction ([`StorageError::AlreadyClaimed`] if it was taken).
    pub async fn open_ticket(
        &self,
        new: &NewTicket,
        event: &EventKind,
        claim: Option<&Claim>,
    ) -> Result<Ticket, StorageError> {
        let opened = match self.backend {
            Backend::Postgres => self.open_ticket_postgres(new, event, claim).await,
            Backend::Sqlite => self.open_ticket_sqlite(new, event, claim).await,
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
        Ok(Ticket {
            id,
            number: TicketNumber { customer: new.customer.clone(), seq },
            opened_by: new.opened_by,
            severity: new.severity,
            kind: new.kind,
            summary: new.summary.clone(),
            details: new.details.clone(),
            product: new.product.clone(),
            state: TicketState::Open,
            opened_at: new.opened_at,
            due_at: new.due_at,
            acked_at: None,
            acked_by: None,
            closed_at: None,
            thread_id: None,
            card_message_id: None,
            version: 1,
            signature: new.signature.clone(),
        })
    }

    /// PostgreSQL: one statement (data-modifying CTEs), so the customer's
    /// counter row is locked for a single round trip and its commit. The
    /// claim, when there is one, comes first and gates the rest: taken by
    /// another instance, it inserts nothing, and so does everything after it.
    async fn open_ticket_postgres(
        &self,
        new: &NewTicket,
        event: &EventKind,
        claim: Option<&Claim>,
    ) -> Result<(i64, i64), StorageError> {
        let outbox = outbox::insert_sql(Backend::Postgres, "ticket.id", "$13", "ticket,");
        // The request's columns follow the claim's parameters.
        let first = if claim.is_some() { 16 } else { 14 };
        let signature = match new.signature {
            Some(_) => format!(", signature AS ({})", signatures::insert_sql("ticket.id", first, "FROM ticket")),
            None => String::new(),
        };
        let (claim_cte, gate) = match claim {
            Some(_) => (
                "claim AS (
                     INSERT INTO event_claims (event, claimed_at, instance) VALUES ($14, $9, $15)
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
                 INSERT INTO tickets (customer, seq, opened_by, severity, kind, summary, details, product, state, opened_at, due_at)
                 SELECT $1, last_ticket, $2, $3, $4, $5, $6, $7, $8, $9, $10 FROM seq
                 RETURNING id, seq
             )
             , outbox AS ({outbox}) {signature}
             INSERT INTO ticket_events (ticket_id, at, actor, kind, detail)
             SELECT id, $9, $2, $11, $12 FROM ticket
             RETURNING ticket_id, (SELECT seq FROM ticket) AS seq"
        );
        let mut query = bind_new_ticket(sqlx::query(sqlx::AssertSqlSafe(open)), new)
            .bind(event.name())
            .bind(event_json(event))
            .bind(outbox::queued_json(&new.outbox));
        if let Some(claim) = claim {
            query = query.bind(claim.event.clone()).bind(claim.instance.clone());
        }
        if let Some(request) = &new.signature {
            query = signatures::bind_request(query, &new.customer, request);
        }
        let row = query.fetch_optional(&self.pool).await?.ok_or(StorageError::AlreadyClaimed)?;
        Ok((row.try_get("ticket_id")?, row.try_get("seq")?))
    }

    /// SQLite: a transaction whose first statement (the claim, or the
    /// counter) takes the write lock.
    async fn open_ticket_sqlite(
        &self,
        new: &NewTicket,
        event: &EventKind,
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
                "INSERT INTO tickets (customer, seq, opened_by, severity, kind, summary, details, product, state, opened_at, due_at)
                 SELECT $1, last_ticket, $2, $3, $4, $5, $6, $7, $8, $9, $10 FROM customer_seq WHERE customer = $1
                 RETURNING id, seq",
            ),
            new,
        )
        .fetch_one(&mut **tx)
        .await?;
        let (id, seq): (i64, i64) = (row.try_get("id")?, row.try_get("seq")?);
        insert_event(tx, id, new.opened_at, new.opened_by, event).await?;
        self.queue(tx, id, &new.outbox).await?;
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
        let mut w = self.begin_claimed(claim).await?;
        let tx = &mut w.tx;
        for change in changes {
            let TicketChange { ticket: changed, at, actor, events, reschedule, effects } = *change;
            let done = sqlx::query(
                "UPDATE tickets SET severity = $1, state = $2, due_at = $3, acked_at = $4, acked_by = $5,
                        closed_at = $6, version = version + 1
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
            .execute(&mut **tx)
            .await?;
            if done.rows_affected() == 0 {
                return Ok(false);
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
        Ok(true)
    }

    pub async fn ticket(&self, number: &TicketNumber) -> Result<Option<Ticket>, StorageError> {
        let row = sqlx::query(concat!(ticket_select!(), " WHERE customer = $1 AND seq = $2"))
            .bind(number.customer.as_str())
            .bind(number.seq)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(ticket_from_row).transpose()
    }

    /// Tickets not closed, counted by customer and severity level.
    pub async fn open_ticket_counts(&self) -> Result<Vec<(String, i64, i64)>, StorageError> {
        let closed = TicketState::Closed.as_str();
        let sql = format!(
            "SELECT customer, CAST(severity AS BIGINT) AS severity, COUNT(*) AS n FROM tickets
             WHERE state <> '{closed}' GROUP BY customer, severity ORDER BY customer, severity"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).fetch_all(&self.pool).await?;
        rows.iter().map(|r| Ok((r.try_get("customer")?, r.try_get("severity")?, r.try_get("n")?))).collect()
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

    pub async fn ticket_by_id(&self, id: i64) -> Result<Option<Ticket>, StorageError> {
        let row = sqlx::query(concat!(ticket_select!(), " WHERE id = $1")).bind(id).fetch_optional(&self.pool).await?;
        row.as_ref().map(ticket_from_row).transpose()
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

    /// Every ticket still waiting for a first response, soonest deadline first.
    pub async fn unanswered_tickets(&self) -> Result<Vec<Ticket>, StorageError> {
        let closed = TicketState::Closed.as_str();
        let sql = format!("{} WHERE acked_at IS NULL AND state <> '{closed}' ORDER BY due_at, id", ticket_select!());
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).fetch_all(&self.pool).await?;
        rows.iter().map(ticket_from_row).collect()
    }

    pub async fn events(&self, ticket_id: i64) -> Result<Vec<Event>, StorageError> {
        let rows =
            sqlx::query("SELECT ticket_id, at, actor, detail FROM ticket_events WHERE ticket_id = $1 ORDER BY id")
                .bind(ticket_id)
                .fetch_all(&self.pool)
                .await?;
        rows.iter()
            .map(|r| {
                let detail: String = r.try_get("detail")?;
                let kind = serde_json::from_str(&detail)
                    .map_err(|e| StorageError::Corrupt { table: "ticket_events", problem: e.to_string() })?;
                Ok(Event {
                    ticket_id: r.try_get("ticket_id")?,
                    at: instant(r.try_get("at")?, "ticket_events")?,
                    actor: id_from_db(r.try_get("actor")?),
                    kind,
                })
            })
            .collect()
    }
}

/// Writes the customer's `customer_seq` row first thing in a transaction,
/// which serialises that customer's writers (see the module comment).
async fn lock_customer(tx: &mut sqlx::Transaction<'_, sqlx::Any>, customer: &str) -> Result<(), StorageError> {
    sqlx::query(
        "INSERT INTO customer_seq (customer, last_ticket) VALUES ($1, 0)
         ON CONFLICT (customer) DO UPDATE SET last_ticket = customer_seq.last_ticket",
    )
    .bind(customer)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

async fn insert_event(
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

/// Binds a new ticket's columns as `$1` to `$10`, in the order of the
/// `INSERT INTO tickets` statements above (the number comes from the counter).
fn bind_new_ticket<'q>(
    query: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments>,
    new: &NewTicket,
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments> {
    query
        .bind(new.customer.as_str().to_owned())
        .bind(id_to_db(new.opened_by))
        .bind(i64::from(new.severity.level()))
        .bind(new.kind.as_str())
        .bind(new.summary.clone())
        .bind(new.details.clone())
        .bind(new.product.clone())
        .bind(TicketState::Open.as_str())
        .bind(new.opened_at.timestamp_millis())
        .bind(new.due_at.timestamp_millis())
}

fn event_json(event: &EventKind) -> String {
    // Serialising our own enum of plain fields cannot fail.
    serde_json::to_string(event).expect("events serialise")
}

/// A write transaction, holding this process's SQLite writer turn until it ends.
struct WriteTx<'a> {
    tx: sqlx::Transaction<'static, sqlx::Any>,
    _turn: Option<tokio::sync::MutexGuard<'a, ()>>,
}

/// Tickets with their signature request, if any. Conditions added after it
/// name the ticket's columns unqualified (the request's have other names).
macro_rules! ticket_select {
    () => {
        "SELECT t.id, t.customer, t.seq, t.opened_by, t.severity, t.kind, t.summary, t.details, t.product, t.state,
                t.opened_at, t.due_at, t.acked_at, t.acked_by, t.closed_at, t.thread_id, t.card_message_id, t.version,
                s.kind AS sig_kind, s.hash_kind, s.hash, s.product_version, s.database_release, s.detection, s.stage,
                s.fixed_in
         FROM tickets t LEFT JOIN signature_requests s ON s.ticket_id = t.id"
    };
}
use ticket_select;

fn ticket_from_row(r: &AnyRow) -> Result<Ticket, StorageError> {
    let corrupt = |problem: String| StorageError::Corrupt { table: "tickets", problem };
    let customer: String = r.try_get("customer")?;
    let severity: i64 = r.try_get("severity")?;
    let kind: String = r.try_get("kind")?;
    let state: String = r.try_get("state")?;
    let opt_instant = |col: &str| -> Result<Option<DateTime<Utc>>, StorageError> {
        r.try_get::<Option<i64>, _>(col)?.map(|ms| instant(ms, "tickets")).transpose()
    };
    Ok(Ticket {
        id: r.try_get("id")?,
        number: TicketNumber { customer: customer.parse().map_err(corrupt)?, seq: r.try_get("seq")? },
        opened_by: id_from_db(r.try_get("opened_by")?),
        severity: u8::try_from(severity)
            .ok()
            .and_then(Severity::from_level)
            .ok_or_else(|| corrupt(format!("severity {severity}")))?,
        kind: TicketKind::parse(&kind).ok_or_else(|| corrupt(format!("kind {kind}")))?,
        summary: r.try_get("summary")?,
        details: r.try_get("details")?,
        product: r.try_get("product")?,
        state: TicketState::parse(&state).ok_or_else(|| corrupt(format!("state {state}")))?,
        opened_at: instant(r.try_get("opened_at")?, "tickets")?,
        due_at: instant(r.try_get("due_at")?, "tickets")?,
        acked_at: opt_instant("acked_at")?,
        acked_by: r.try_get::<Option<i64>, _>("acked_by")?.map(id_from_db),
        closed_at: opt_instant("closed_at")?,
        thread_id: r.try_get::<Option<i64>, _>("thread_id")?.map(id_from_db),
        card_message_id: r.try_get::<Option<i64>, _>("card_message_id")?.map(id_from_db),
        version: r.try_get("version")?,
        signature: signatures::request_from_row(r)?,
    })
}

fn contact_from_row(r: &AnyRow) -> Result<Contact, StorageError> {
    Ok(Contact {
        customer: r.try_get("customer")?,
        user: id_from_db(r.try_get("user_id")?),
        name: r.try_get("name")?,
        email: r.try_get("email")?,
        phone: r.try_get("phone")?,
        added_at: instant(r.try_get("added_at")?, "contacts")?,
    })
}

fn instant(ms: i64, table: &'static str) -> Result<DateTime<Utc>, StorageError> {
    DateTime::from_timestamp_millis(ms).ok_or(StorageError::Corrupt { table, problem: format!("instant {ms}") })
}

/// Discord ids are below 2^63 in practice; the cast keeps the bits either way.
fn id_to_db(id: Snowflake) -> i64 {
    id.0 as i64
}

fn id_from_db(v: i64) -> Snowflake {
    Snowflake(v as u64)
}

/// `mode=rwc` creates the file; its directory is created here.
/// Takes `<file>.lock` for this process (not for in-memory databases).
fn lock_sqlite_file(path: &str) -> Result<Option<Arc<std::fs::File>>, StorageError> {
    let file = path.split_once('?').map_or(path, |(f, _)| f);
    if file.is_empty() || file == ":memory:" {
        return Ok(None);
    }
    let lock_path = format!("{file}.lock");
    let lock = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock_path)
        .map_err(|source| StorageError::Lock { path: file.to_owned(), source })?;
    match lock.try_lock() {
        Ok(()) => Ok(Some(Arc::new(lock))),
        Err(std::fs::TryLockError::WouldBlock) => Err(StorageError::InUse { path: file.to_owned() }),
        Err(std::fs::TryLockError::Error(source)) => Err(StorageError::Lock { path: file.to_owned(), source }),
    }
}

fn sqlite_url(path: &str) -> Result<String, StorageError> {
    let (file, query) = path.split_once('?').unwrap_or((path, ""));
    if file != ":memory:" && !file.is_empty() {
        if let Some(dir) = Path::new(file).parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .map_err(|source| StorageError::Directory { path: dir.display().to_string(), source })?;
        }
    }
    let query = if query.is_empty() { "mode=rwc".to_owned() } else { query.to_owned() };
    Ok(format!("sqlite://{file}?{query}"))
}
