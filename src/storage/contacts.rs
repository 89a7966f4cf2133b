//! The customers' technical contacts: at most [`MAX_CONTACTS`] active per
//! customer, decided under the customer's `customer_seq` row (see the
//! module comment of `storage`), and a person active for one customer at a
//! time.

use chrono::{DateTime, Utc};
use sqlx::any::AnyRow;
use sqlx::Row;

use super::{id_from_db, id_to_db, instant, lock_customer, Claim, Queued, StorageError, Store};
use crate::domain::customer::Snowflake;
use crate::domain::ticket::TicketState;

/// At most this many active contacts per customer (SPEC.md).
pub const MAX_CONTACTS: i64 = 8;

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

impl Store {
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
        leave: &Queued,
        claim: Option<&Claim>,
    ) -> Result<bool, StorageError> {
        let mut w = self.begin_claimed(claim).await?;
        lock_customer(&mut w.tx, customer).await?;
        // The registration stays (who, since when, removed by whom: the
        // audit trail names them); the e-mail and phone go with the seat.
        let done = sqlx::query(
            "UPDATE contacts SET removed_at = $1, removed_by = $2, email = NULL, phone = NULL
             WHERE customer = $3 AND user_id = $4 AND removed_at IS NULL",
        )
        .bind(at.timestamp_millis())
        .bind(id_to_db(by))
        .bind(customer.to_owned())
        .bind(id_to_db(user))
        .execute(&mut *w.tx)
        .await?;
        if done.rows_affected() == 0 {
            // The event is answered all the same (see `claims`).
            w.tx.commit().await?;
            return Ok(false);
        }
        let closed = TicketState::Closed.as_str();
        let leave_threads = format!(
            "INSERT INTO outbox (ticket_id, job, due_at, urgency)
             SELECT id, $1, $2, $4 FROM tickets WHERE customer = $3 AND state <> '{closed}' ORDER BY id"
        );
        sqlx::query(sqlx::AssertSqlSafe(leave_threads))
            .bind(leave.job.clone())
            .bind(leave.due_at.timestamp_millis())
            .bind(customer.to_owned())
            .bind(leave.urgency)
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

    /// Every active contact's id (a few hundred at most: eight a customer).
    pub async fn active_contact_ids(&self) -> Result<std::collections::HashSet<Snowflake>, StorageError> {
        let rows = sqlx::query("SELECT user_id FROM contacts WHERE removed_at IS NULL").fetch_all(&self.pool).await?;
        rows.iter().map(|r| Ok(id_from_db(r.try_get("user_id")?))).collect()
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
