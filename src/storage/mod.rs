//! Durable storage on SQLite (the embedded default) or PostgreSQL: the
//! connection and its locks here; contacts, tickets and their audit trail,
//! the outbox, event claims, signature requests, instances, the
//! summary's reads and the record of tickets' threads in files of their own.
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

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use sqlx::any::AnyPoolOptions;
use sqlx::AnyPool;

use crate::domain::customer::Snowflake;

mod claims;
mod contacts;
mod escalations;
mod events;
mod instances;
mod migrations;
mod outbox;
mod record;
mod rows;
mod signatures;
mod summaries;
mod tickets;
pub use claims::Claim;
pub use contacts::{AddContactError, Contact, NewContact, MAX_CONTACTS};
pub use escalations::GroupMessage;
pub use outbox::{Claimed, Escalate, Finish, Line, Once, OutboxRow, OutboxState, Queued, Reschedule, Shown, StepClock};
pub use record::{Download, CHUNK};
pub use tickets::{OpenCount, Release, Released, TicketChange};

/// The PostgreSQL channel on which instances announce new outbox jobs.
const OUTBOX_CHANNEL: &str = "priority_line_outbox";

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
    /// PostgreSQL: the URL, for the connection that listens for other
    /// instances' changes to the outbox.
    url: Option<Arc<str>>,
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
        let listen = (backend == Backend::Postgres).then(|| url.as_str().into());
        Ok(Store { pool, backend, writer: Arc::default(), _owner: owner, url: listen })
    }

    /// Opens the database to read it beside a running bot, for the report
    /// and transcripts: on SQLite read-only, without the file's lock (the
    /// bot keeps it) and without migrating; on PostgreSQL a small pool.
    pub async fn connect_reader(url: &str) -> Result<Store, StorageError> {
        sqlx::any::install_default_drivers();
        let Some(path) = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:")) else {
            return Store::connect_without_migrating(url).await;
        };
        let file = path.split_once('?').map_or(path, |(f, _)| f);
        if !Path::new(file).exists() {
            // No database yet: an empty one, which no bot uses.
            return Store::connect(url).await;
        }
        let pool = AnyPoolOptions::new()
            .max_connections(2)
            .acquire_timeout(Duration::from_secs(30))
            .after_connect(|conn, _| {
                Box::pin(async move {
                    sqlx::query("PRAGMA busy_timeout = 30000").execute(&mut *conn).await?;
                    Ok(())
                })
            })
            .connect(&format!("sqlite://{file}?mode=ro"))
            .await?;
        Ok(Store { pool, backend: Backend::Sqlite, writer: Arc::default(), _owner: None, url: None })
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
            Backend::Sqlite => migrations::SQLITE_MIGRATOR.run(&self.pool).await?,
            Backend::Postgres => migrations::POSTGRES_MIGRATOR.run(&self.pool).await?,
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

    /// Tells the other instances that the outbox has new jobs (PostgreSQL:
    /// a `NOTIFY`, which the deliverer listens for). Nothing on SQLite,
    /// where one process is everything.
    pub async fn announce(&self) -> Result<(), StorageError> {
        if self.backend == Backend::Postgres {
            sqlx::query("SELECT pg_notify($1, '') IS NULL AS sent").bind(OUTBOX_CHANNEL).fetch_one(&self.pool).await?;
        }
        Ok(())
    }

    /// Wakes `wake` whenever another instance announces jobs (PostgreSQL),
    /// until the returned task is aborted; `None` on SQLite.
    pub fn listen(&self, wake: Arc<tokio::sync::Notify>) -> Option<tokio::task::JoinHandle<()>> {
        let url = self.url.clone()?;
        Some(tokio::spawn(async move {
            loop {
                let listening = async {
                    let mut listener = sqlx::postgres::PgListener::connect(&url).await?;
                    listener.listen(OUTBOX_CHANNEL).await?;
                    loop {
                        listener.recv().await?;
                        wake.notify_one();
                    }
                };
                let ended: Result<(), sqlx::Error> = listening.await;
                if let Err(e) = ended {
                    tracing::warn!(error = %e, "cannot listen for other instances' jobs; trying again in 5 s");
                }
                tokio::time::sleep(Duration::from_secs(5)).await;
            }
        }))
    }

    /// The raw pool, for benchmarks that compare against plain statements.
    pub fn pool(&self) -> &AnyPool {
        &self.pool
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

/// A write transaction, holding this process's SQLite writer turn until it ends.
struct WriteTx<'a> {
    tx: sqlx::Transaction<'static, sqlx::Any>,
    _turn: Option<tokio::sync::MutexGuard<'a, ()>>,
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
