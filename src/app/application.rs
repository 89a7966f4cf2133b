//! The application: its configuration, storage, clock and metrics, and what
//! every part above shares (a customer's plan and calendar, a ticket's card
//! and escalation steps). Commands (`commands/`) and the outbox's lifecycle
//! (`delivery.rs`) are built on it.

use std::collections::HashSet;
use std::sync::Arc;

use chrono::{DateTime, SubsecRound, Utc};

use super::card::Card;
use super::clock::{self, Clock};
use super::jobs::{Job, Past};
use super::refusal::Refusal;
use crate::config::Config;
use crate::domain::calendar::Calendar;
use crate::domain::customer::{Customer, Snowflake};
use crate::domain::escalation::{self, Trigger};
use crate::domain::sla::{Plan, ResponseTarget, Severity};
use crate::domain::ticket::{Ticket, TicketNumber};
use crate::metrics::Metrics;
use crate::storage::{Queued, StorageError, Store};

/// How long a Discord event's claim (and the reply kept with it) is kept:
/// Discord does not deliver an event later, and the HTTP endpoint refuses a
/// request signed more than five minutes from now, so none can be replayed
/// once forgotten.
pub const CLAIMS_KEPT: std::time::Duration = std::time::Duration::from_secs(24 * 3600);

/// Claims forgotten per statement.
const PRUNE_BATCH: i64 = 500;

/// Why a command did not run: the user's side (a refusal, shown as such),
/// or ours (logged in full, apologised for in general terms).
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// Its text names the kind of refusal only: the refusal may hold what
    /// someone typed.
    #[error("refused ({})", .0.kind())]
    Refused(Refusal),
    /// The event was claimed by another instance: this one does nothing.
    #[error("the event was taken by another instance")]
    Duplicate,
    #[error("storage failed: {0}")]
    Storage(StorageError),
    #[error("SLA computation failed: {0}")]
    Sla(#[from] crate::domain::calendar::CalendarError),
    #[error("configuration: {0}")]
    Config(String),
}

impl From<StorageError> for AppError {
    fn from(e: StorageError) -> AppError {
        match e {
            StorageError::AlreadyClaimed => AppError::Duplicate,
            e => AppError::Storage(e),
        }
    }
}

pub fn refuse<T>(refusal: Refusal) -> Result<T, AppError> {
    Err(AppError::Refused(refusal))
}

/// The application: configuration, storage and a clock.
#[derive(Clone)]
pub struct App {
    pub(super) config: Arc<Config>,
    pub(super) store: Store,
    clock: Arc<dyn Clock>,
    /// Woken when a ticket change may have moved the next due notification.
    pub(super) wake: Arc<tokio::sync::Notify>,
    /// Woken when a message brought files to download.
    pub(super) files: Arc<tokio::sync::Notify>,
    pub(super) metrics: Arc<Metrics>,
    /// This instance's name (`App::named`).
    pub(super) instance: Arc<str>,
    /// Jobs of kinds this version does not know, already logged.
    pub(super) seen_unknown: Arc<std::sync::Mutex<std::collections::HashSet<i64>>>,
    /// Every active contact's id, as read at an instant (`App::may_be_contact`).
    contacts: Arc<std::sync::Mutex<Option<ContactIds>>>,
}

/// The active contacts' ids, and when they were read.
type ContactIds = (DateTime<Utc>, HashSet<Snowflake>);

/// How long the cached contacts' ids are trusted: a contact added on
/// another instance counts as one here at most this long after.
pub const CONTACTS_FRESH: std::time::Duration = std::time::Duration::from_secs(60);

impl App {
    pub fn new(config: Arc<Config>, store: Store, clock: Arc<dyn Clock>) -> App {
        let instance = format!("pid-{}", std::process::id()).into();
        App {
            config,
            store,
            clock,
            wake: Arc::default(),
            files: Arc::default(),
            metrics: Arc::default(),
            instance,
            seen_unknown: Arc::default(),
            contacts: Arc::default(),
        }
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    pub fn metrics(&self) -> &Arc<Metrics> {
        &self.metrics
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Now, to the millisecond: storage keeps instants in milliseconds, so
    /// an instant the application computes compares equal to the same
    /// instant read back (a reminder's deadline to its ticket's).
    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now().trunc_subsecs(3)
    }

    /// Completes when the application's clock reaches `t`.
    pub fn sleep_until(&self, t: DateTime<Utc>) -> clock::Sleep<'_> {
        self.clock.sleep_until(t)
    }

    /// Woken whenever a change queued jobs or moved the next due instant
    /// (here, or at another instance: see [`App::watch_outbox`]).
    pub fn wake_handle(&self) -> Arc<tokio::sync::Notify> {
        self.wake.clone()
    }

    /// A change queued jobs: the scheduler here wakes, and so does the
    /// deliverer wherever it runs (PostgreSQL's `NOTIFY`, sent aside so
    /// that no reply waits for it).
    pub(super) fn queued_jobs(&self) {
        self.wake.notify_one();
        let store = self.store.clone();
        if store.backend() == crate::storage::Backend::Postgres {
            tokio::spawn(async move {
                if let Err(e) = store.announce().await {
                    tracing::warn!(error = %e, "cannot tell the other instances of new jobs");
                }
            });
        }
    }

    /// Wakes this instance's scheduler when another instance queues jobs
    /// (PostgreSQL), until the returned task is aborted.
    pub fn watch_outbox(&self) -> Option<tokio::task::JoinHandle<()>> {
        self.store.listen(self.wake.clone())
    }

    /// Whether `user` may be a registered contact: from the contacts' ids,
    /// read at most once every [`CONTACTS_FRESH`] (and again after this
    /// instance changed the contacts), so that the many messages of people
    /// who are neither staff nor contacts cost no query. If the ids cannot
    /// be read, anyone may be.
    pub(super) async fn may_be_contact(&self, user: Snowflake) -> bool {
        let now = self.now();
        let fresh = chrono::Duration::from_std(CONTACTS_FRESH).unwrap_or_default();
        if let Some((read, ids)) = &*self.contacts.lock().unwrap_or_else(|p| p.into_inner()) {
            if now - *read < fresh {
                return ids.contains(&user);
            }
        }
        match self.store.active_contact_ids().await {
            Ok(ids) => {
                let known = ids.contains(&user);
                *self.contacts.lock().unwrap_or_else(|p| p.into_inner()) = Some((now, ids));
                known
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot read the contacts' ids");
                true
            }
        }
    }

    /// The contacts changed: their ids are read again when next needed.
    pub(super) fn contacts_changed(&self) {
        *self.contacts.lock().unwrap_or_else(|p| p.into_inner()) = None;
    }

    /// The customer whose active technical contact `user` is.
    pub async fn customer_of_contact(&self, user: Snowflake) -> Result<Option<&Customer>, AppError> {
        let contact = self.store.active_contact(user).await?;
        Ok(contact.and_then(|c| self.config.customer(&c.customer)))
    }

    /// A ticket's thread: `None` if there is no such ticket, `Some(None)` if
    /// it has no thread yet.
    pub async fn ticket_thread(&self, number: &TicketNumber) -> Result<Option<Option<Snowflake>>, AppError> {
        Ok(self.store.ticket(number).await?.map(|t| t.thread_id))
    }

    /// The time zone of the customer whose channel or ticket thread this is.
    pub async fn zone_of_channel(&self, channel: Snowflake) -> Option<chrono_tz::Tz> {
        let customer = match self.config.customer_by_channel(channel) {
            Some(c) => Some(c),
            None => {
                let ticket = self.store.ticket_by_thread(channel).await.ok().flatten();
                ticket.and_then(|t| self.config.customer(t.number.customer.as_str()))
            }
        };
        customer.and_then(|c| self.config.calendar(&c.calendar).ok()).map(|c| c.zone())
    }

    /// Keeps the reply given to a claimed event, for a retried delivery of it.
    pub async fn remember_reply(&self, event: &str, reply: &str) -> Result<(), StorageError> {
        self.store.remember_reply(event, reply).await
    }

    /// The reply kept for a claimed event: `None` if unclaimed, `Some(None)`
    /// while the instance that claimed it has not answered yet.
    pub async fn claimed_reply(&self, event: &str) -> Result<Option<Option<String>>, StorageError> {
        self.store.claimed_reply(event).await
    }

    /// Forgets the Discord event claims older than [`CLAIMS_KEPT`], a small
    /// batch at a time (each holds SQLite's writer only briefly). Returns
    /// how many.
    pub async fn prune_claims(&self) -> Result<u64, AppError> {
        let before = self.now() - chrono::Duration::from_std(CLAIMS_KEPT).unwrap_or_default();
        let mut forgotten = 0;
        loop {
            let n = self.store.forget_claims(before, PRUNE_BATCH).await?;
            forgotten += n;
            if n < PRUNE_BATCH as u64 {
                return Ok(forgotten);
            }
            tokio::task::yield_now().await;
        }
    }

    /// Whether the database answers (for health checks).
    pub async fn storage_health(&self) -> Result<(), StorageError> {
        self.store.ping().await
    }

    /// Plan and calendar of a customer. The configuration was validated at
    /// load, so a customer's plan and calendar exist.
    pub(super) fn sla(&self, customer: &Customer) -> Result<(&Plan, &Calendar), AppError> {
        let plan = self.config.plan(&customer.plan).map_err(AppError::Config)?;
        let calendar = self.config.calendar(&customer.calendar).map_err(AppError::Config)?;
        Ok((plan, calendar))
    }

    fn target(&self, customer: &Customer, ticket: &Ticket) -> Result<(ResponseTarget, &Calendar), AppError> {
        let (plan, calendar) = self.sla(customer)?;
        Ok((*plan.targets.get(ticket.severity), calendar))
    }

    /// A ticket's escalation steps as outbox rows, from its opening instant,
    /// as of `now`: a reminder whose instant has passed is no reminder and is
    /// left out; a breach already past (the deadline moved behind `now` by
    /// `cause`) is announced at once, as what it is.
    pub(super) fn schedule(
        &self,
        customer: &Customer,
        severity: Severity,
        (opened_at, due_at): (DateTime<Utc>, DateTime<Utc>),
        now: DateTime<Utc>,
        cause: Option<Past>,
    ) -> Result<Vec<Queued>, AppError> {
        let (plan, calendar) = self.sla(customer)?;
        let policy = self.config.escalation(&plan.name).map_err(AppError::Config)?;
        let target = plan.targets.get(severity);
        let steps = escalation::schedule(policy.steps(severity), target, calendar, opened_at, due_at)?;
        Ok(steps
            .into_iter()
            .filter_map(|(trigger, at)| match trigger {
                Trigger::Percent(_) if at < now => None,
                Trigger::Breach if at <= now => Some(Job::Step { trigger, past: cause }.queued(at, Some(severity))),
                _ => Some(Job::Step { trigger, past: None }.queued(at, Some(severity))),
            })
            .collect())
    }

    /// When the next update is due after one at `from`, on the update clock
    /// of `severity` in the customer's plan; `None` without one.
    pub(super) fn next_update(
        &self,
        customer: &Customer,
        severity: Severity,
        from: DateTime<Utc>,
    ) -> Result<Option<DateTime<Utc>>, AppError> {
        let (plan, calendar) = self.sla(customer)?;
        Ok(plan.targets.get(severity).next_update(calendar, from)?)
    }

    /// The steps of an update cycle that began at `from` and is due at
    /// `due`: the reminder at 80 % of the interval and the deadline itself.
    pub(super) fn update_steps(
        &self,
        customer: &Customer,
        severity: Severity,
        from: DateTime<Utc>,
        due: Option<DateTime<Utc>>,
    ) -> Result<Vec<Queued>, AppError> {
        let Some(due) = due else { return Ok(Vec::new()) };
        let (plan, calendar) = self.sla(customer)?;
        let remind = plan.targets.get(severity).update_at_percent(calendar, from, 80)?;
        let of = Some(severity);
        let mut steps: Vec<Queued> = remind.map(|at| Job::UpdateReminder { due }.queued(at, of)).into_iter().collect();
        steps.push(Job::UpdateOverdue { due }.queued(due, of));
        Ok(steps)
    }

    /// The steps of a wait on the customer that began at `since`, as
    /// `[followup]` says: the opener's reminder and the closing.
    pub(super) fn wait_steps(&self, since: DateTime<Utc>, reason: &str, severity: Severity) -> Vec<Queued> {
        let of = Some(severity);
        // A configured span beyond the calendar's years never falls due.
        let after = |d: std::time::Duration| {
            chrono::Duration::from_std(d)
                .ok()
                .and_then(|d| since.checked_add_signed(d))
                .unwrap_or(DateTime::<Utc>::MAX_UTC)
        };
        let followup = &self.config.followup;
        let remind =
            followup.remind_after.map(|d| Job::WaitReminder { since, reason: reason.to_owned() }.queued(after(d), of));
        let close = followup.close_after.map(|d| Job::WaitClose { since }.queued(after(d), of));
        remind.into_iter().chain(close).collect()
    }

    pub(super) fn card(&self, customer: &Customer, ticket: &Ticket) -> Result<Card, AppError> {
        let (target, calendar) = self.target(customer, ticket)?;
        Ok(Card::new(ticket, &customer.name, customer.language, &target, calendar, self.now()))
    }
}
