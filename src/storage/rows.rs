//! Reading a ticket's row, with its signature change request if it has
//! one: the one query shape and mapping every read of tickets shares.

use chrono::{DateTime, Utc};
use sqlx::any::AnyRow;
use sqlx::Row;

use super::{id_from_db, instant, StorageError};
use crate::domain::signature::{FileHash, HashKind, Label, SignatureKind, SignatureRequest, Stage};
use crate::domain::sla::Severity;
use crate::domain::ticket::{Ticket, TicketKind, TicketNumber, TicketState};

/// Tickets with their signature request, if any. Conditions added after it
/// name the ticket's columns unqualified (the request's have other names).
macro_rules! ticket_select {
    () => {
        "SELECT t.id, t.customer, t.seq, t.opened_by, t.severity, t.kind, t.summary, t.details, t.product, t.state,
                t.opened_at, t.due_at, t.acked_at, t.acked_by, t.closed_at, t.thread_id, t.card_message_id, t.version,
                t.owner_id, t.update_due_at, t.waiting_since, t.logged_by,
                s.kind AS sig_kind, s.hash_kind, s.hash, s.product_version, s.database_release, s.detection, s.stage,
                s.fixed_in
         FROM tickets t LEFT JOIN signature_requests s ON s.ticket_id = t.id"
    };
}
pub(super) use ticket_select;

pub(super) fn ticket_from_row(r: &AnyRow) -> Result<Ticket, StorageError> {
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
        owner: r.try_get::<Option<i64>, _>("owner_id")?.map(id_from_db),
        update_due_at: opt_instant("update_due_at")?,
        waiting_since: opt_instant("waiting_since")?,
        logged_by: r.try_get::<Option<i64>, _>("logged_by")?.map(id_from_db),
        version: r.try_get("version")?,
        signature: request_from_row(r)?,
    })
}

/// The request joined to a ticket's row (`ticket_select!`), if it has one.
fn request_from_row(r: &AnyRow) -> Result<Option<SignatureRequest>, StorageError> {
    let corrupt = |problem: String| StorageError::Corrupt { table: "signature_requests", problem };
    let Some(kind) = r.try_get::<Option<String>, _>("sig_kind")? else { return Ok(None) };
    let text = |column: &str| -> Result<String, StorageError> {
        Ok(r.try_get::<Option<String>, _>(column)?.unwrap_or_default())
    };
    let label = |column: &str| -> Result<Label, StorageError> { text(column)?.parse().map_err(corrupt) };
    let optional = |column: &str| -> Result<Option<Label>, StorageError> {
        r.try_get::<Option<String>, _>(column)?.map(|v| v.parse().map_err(corrupt)).transpose()
    };
    let hash: FileHash = text("hash")?.parse().map_err(corrupt)?;
    let hash_kind = text("hash_kind")?;
    if HashKind::parse(&hash_kind) != Some(hash.kind()) {
        return Err(corrupt(format!("hash kind {hash_kind} for a hash of {} digits", hash.as_str().len())));
    }
    let stage = text("stage")?;
    Ok(Some(SignatureRequest {
        kind: SignatureKind::parse(&kind).ok_or_else(|| corrupt(format!("kind {kind}")))?,
        hash,
        product_version: label("product_version")?,
        database_release: label("database_release")?,
        detection: optional("detection")?,
        stage: Stage::parse(&stage).ok_or_else(|| corrupt(format!("stage {stage}")))?,
        fixed_in: optional("fixed_in")?,
    }))
}
