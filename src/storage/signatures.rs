//! Signature change requests: their rows beside their tickets, the
//! antivirus database releases staff record, and the audit events that
//! belong to no ticket (a release recorded, a request refused).

use chrono::{DateTime, Utc};
use sqlx::Row;

use super::rows::{ticket_from_row, ticket_select};
use super::{id_to_db, instant, Backend, Claim, StorageError, Store};
use crate::domain::customer::{CustomerKey, Snowflake};
use crate::domain::signature::{FileHash, Label, Recorded, SignatureRequest, Stage};
use crate::domain::ticket::{Ticket, TicketNumber};

type Query<'q> = sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments>;

/// Inserts a request's row for the ticket `ticket` (an SQL expression); its
/// columns are parameters from `$first` on, bound by [`bind_request`];
/// `from` is what the insert selects from ("" for none).
pub(super) fn insert_sql(ticket: &str, first: usize, from: &str) -> String {
    let p: Vec<String> = (first..first + 9).map(|n| format!("${n}")).collect();
    format!(
        "INSERT INTO signature_requests (ticket_id, request_customer, kind, hash_kind, hash, product_version, database_release,
                                         detection, stage, fixed_in)
         SELECT {ticket}, {} {from}",
        p.join(", ")
    )
}

/// Binds a request's nine columns, in [`insert_sql`]'s order.
pub(super) fn bind_request<'q>(query: Query<'q>, customer: &CustomerKey, r: &SignatureRequest) -> Query<'q> {
    query
        .bind(customer.as_str().to_owned())
        .bind(r.kind.as_str())
        .bind(r.hash.kind().as_str())
        .bind(r.hash.as_str().to_owned())
        .bind(r.product_version.to_string())
        .bind(r.database_release.to_string())
        .bind(r.detection.as_ref().map(ToString::to_string))
        .bind(r.stage.as_str())
        .bind(r.fixed_in.as_ref().map(ToString::to_string))
}

/// Stores a request's stage, with a changed ticket.
pub(super) async fn update_stage(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    ticket_id: i64,
    r: &SignatureRequest,
) -> Result<(), StorageError> {
    sqlx::query("UPDATE signature_requests SET stage = $1, fixed_in = $2 WHERE ticket_id = $3")
        .bind(r.stage.as_str())
        .bind(r.fixed_in.as_ref().map(ToString::to_string))
        .bind(ticket_id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// An open request's stages, as SQL: `('received', …)`.
fn open_stages() -> String {
    let open: Vec<String> = Stage::ALL.iter().filter(|s| s.is_open()).map(|s| format!("'{}'", s.as_str())).collect();
    format!("({})", open.join(", "))
}

impl Store {
    /// The customer's open request about this file, if any.
    pub async fn open_request_for(
        &self,
        customer: &CustomerKey,
        hash: &FileHash,
    ) -> Result<Option<TicketNumber>, StorageError> {
        let sql = format!(
            "SELECT t.seq FROM signature_requests s JOIN tickets t ON t.id = s.ticket_id
             WHERE s.hash = $1 AND s.stage IN {} AND s.request_customer = $2 ORDER BY t.seq LIMIT 1",
            open_stages()
        );
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(hash.as_str().to_owned())
            .bind(customer.as_str().to_owned())
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(|r| r.try_get("seq")).transpose()?.map(|seq| TicketNumber { customer: customer.clone(), seq }))
    }

    /// Every open request about this file, of any customer.
    pub async fn open_requests_for(&self, hash: &FileHash) -> Result<Vec<Ticket>, StorageError> {
        let sql = format!("{} WHERE s.hash = $1 AND s.stage IN {} ORDER BY t.id", ticket_select!(), open_stages());
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(hash.as_str().to_owned()).fetch_all(&self.pool).await?;
        rows.iter().map(ticket_from_row).collect()
    }

    /// Every open request, oldest first.
    pub async fn open_requests(&self) -> Result<Vec<Ticket>, StorageError> {
        let sql = format!("{} WHERE s.stage IN {} ORDER BY t.opened_at, t.id", ticket_select!(), open_stages());
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).fetch_all(&self.pool).await?;
        rows.iter().map(ticket_from_row).collect()
    }

    /// Records a database release as published at `at`, with its audit
    /// event, claiming the event that asked. False if it was recorded before.
    pub async fn record_release(
        &self,
        release: &Label,
        at: DateTime<Utc>,
        by: Snowflake,
        claim: Option<&Claim>,
    ) -> Result<bool, StorageError> {
        let mut w = self.begin_claimed(claim).await?;
        let inserted = sqlx::query(
            "INSERT INTO database_releases (release, recorded_at, recorded_by) VALUES ($1, $2, $3)
             ON CONFLICT (release) DO NOTHING",
        )
        .bind(release.to_string())
        .bind(at.timestamp_millis())
        .bind(id_to_db(by))
        .execute(&mut *w.tx)
        .await?;
        if inserted.rows_affected() == 0 {
            // The event is answered all the same (see `claims`).
            w.tx.commit().await?;
            return Ok(false);
        }
        let detail = serde_json::json!({"release": release.as_str()}).to_string();
        audit(&mut w.tx, at, by, "release_recorded", &detail).await?;
        w.tx.commit().await?;
        Ok(true)
    }

    /// The newest recorded releases, newest first (at most `n`).
    pub async fn newest_releases(&self, n: i64) -> Result<Vec<Recorded>, StorageError> {
        let rows = sqlx::query(
            "SELECT release, recorded_at FROM database_releases ORDER BY recorded_at DESC, release LIMIT $1",
        )
        .bind(n)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let release: String = r.try_get("release")?;
                Ok(Recorded {
                    release: release
                        .parse()
                        .map_err(|problem| StorageError::Corrupt { table: "database_releases", problem })?,
                    at: instant(r.try_get("recorded_at")?, "database_releases")?,
                })
            })
            .collect()
    }

    /// When a release was recorded, if it was.
    pub async fn release_recorded(&self, release: &Label) -> Result<Option<DateTime<Utc>>, StorageError> {
        let row = sqlx::query("SELECT recorded_at FROM database_releases WHERE release = $1")
            .bind(release.to_string())
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| instant(r.try_get("recorded_at")?, "database_releases")).transpose()
    }

    /// Records an event of no ticket (`detail` is JSON), claiming the event
    /// that caused it.
    pub async fn record_audit(
        &self,
        at: DateTime<Utc>,
        actor: Snowflake,
        kind: &str,
        detail: &str,
        claim: Option<&Claim>,
    ) -> Result<(), StorageError> {
        let mut w = self.begin_claimed(claim).await?;
        audit(&mut w.tx, at, actor, kind, detail).await?;
        w.tx.commit().await?;
        Ok(())
    }

    /// The audit events of a kind, oldest first: (when, who, detail).
    pub async fn audit_events(&self, kind: &str) -> Result<Vec<(DateTime<Utc>, Snowflake, String)>, StorageError> {
        let rows = sqlx::query("SELECT at, actor, detail FROM audit_events WHERE kind = $1 ORDER BY id")
            .bind(kind.to_owned())
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| {
                Ok((
                    instant(r.try_get("at")?, "audit_events")?,
                    super::id_from_db(r.try_get("actor")?),
                    r.try_get("detail")?,
                ))
            })
            .collect()
    }
}

async fn audit(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    at: DateTime<Utc>,
    actor: Snowflake,
    kind: &str,
    detail: &str,
) -> Result<(), StorageError> {
    sqlx::query("INSERT INTO audit_events (at, actor, kind, detail) VALUES ($1, $2, $3, $4)")
        .bind(at.timestamp_millis())
        .bind(id_to_db(actor))
        .bind(kind.to_owned())
        .bind(detail.to_owned())
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// On PostgreSQL, the file's lock until the transaction ends: a release of
/// a fix for the file and a new request about it take it, so the release
/// sees every request filed before it. (SQLite has one writer.)
pub(super) async fn lock_file(
    backend: Backend,
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    hash: &FileHash,
) -> Result<(), StorageError> {
    if backend == Backend::Postgres {
        // The two-key form: 7273 names this kind of lock.
        sqlx::query("SELECT pg_advisory_xact_lock(7273, hashtext($1)) IS NULL AS locked")
            .bind(hash.as_str().to_owned())
            .fetch_one(&mut **tx)
            .await?;
    }
    Ok(())
}

/// The open requests about a file, read inside a transaction (their rows
/// locked on PostgreSQL, so that no other change slips in before it ends).
pub(super) async fn open_requests_locked(
    backend: Backend,
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    hash: &FileHash,
) -> Result<Vec<Ticket>, StorageError> {
    let lock = match backend {
        Backend::Postgres => "FOR UPDATE OF t",
        Backend::Sqlite => "",
    };
    let sql = format!("{} WHERE s.hash = $1 AND s.stage IN {} ORDER BY t.id {lock}", ticket_select!(), open_stages());
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(hash.as_str().to_owned()).fetch_all(&mut **tx).await?;
    rows.iter().map(ticket_from_row).collect()
}
