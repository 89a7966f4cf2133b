//! The application layer: one module per command (`commands/`), each taking
//! who is acting and what they asked and returning a reply and effects.
//! Authorization lives here, once, for every adapter (`access.rs`).
//!
//! What the application says is a [`Msg`]: text with typed pieces (people,
//! channels, instants), which each adapter renders in its medium. Refusals
//! are [`Refusal`] values, worded in the reader's language by
//! `i18n::refusal` when an adapter shows them.

mod access;
pub mod card;
pub mod chart;
pub mod clock;
pub mod commands;
pub mod i18n;
mod instance;
pub mod msg;
pub mod outbox;
mod refusal;
pub mod summary;
mod tickets;

use std::sync::Arc;

use chrono::{DateTime, Utc};

use crate::config::Config;
use crate::domain::calendar::Calendar;
use crate::domain::customer::{Customer, Language, Snowflake};
use crate::domain::escalation::{self, Trigger};
use crate::domain::sla::{Plan, ResponseTarget, Severity};
use crate::domain::ticket::{Ticket, TicketNumber};
use crate::metrics::Metrics;
use crate::storage::{Claim, Queued, StorageError, Store};
use access::Cx;
pub use card::{Card, CardStatus};
pub use clock::{Clock, ManualClock, SystemClock};
pub use commands::{Command, Spec, UsageError};
pub use msg::{Msg, Span, TimeStyle};
pub use outbox::{Action, Button, Delivery, DeliveryError, Job, Past, Permanent, PostKey, Receipt};
pub use refusal::Refusal;
pub use summary::{Chart, Report, SummaryPost};

/// Who is acting, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invocation {
    pub user: Snowflake,
    /// Support staff: the Discord adapter knows it from the staff role, the
    /// console from its configured users. TAMs of any customer count as staff.
    pub is_staff: bool,
    /// In the specialist group (`[signatures].specialist_role`).
    pub is_specialist: bool,
    /// Where the command was typed: a support channel or a ticket's thread.
    pub channel: Snowflake,
    /// The user's language, when the adapter knows it.
    pub language: Option<Language>,
    /// The Discord event this is (an interaction, a message): it takes
    /// effect once across instances. `None` where nothing can repeat it
    /// (the console, tests).
    pub event: Option<EventId>,
}

/// A Discord event, by its id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventId {
    Interaction(u64),
    Message(u64),
}

impl EventId {
    /// Its claim key.
    pub fn key(self) -> String {
        match self {
            EventId::Interaction(id) => format!("interaction:{id}"),
            EventId::Message(id) => format!("message:{id}"),
        }
    }
}

/// What the caller sees at once; every reply is ephemeral (only the caller
/// sees it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    /// The command ran: what to say, with a ticket's card or a weekly
    /// summary to show.
    Done { msg: Msg, card: Option<Box<Card>>, summary: Option<Box<SummaryPost>> },
    /// The command was refused; the reply says why and what to do instead.
    Refused(Refusal),
    /// It failed on our side (logged in full); the reply apologises.
    Failed { command: &'static Spec },
    /// Another instance took this event (or an earlier delivery of it):
    /// nothing to show, nothing changed.
    Skipped,
}

/// The result of a command: the reply. What it changes on Discord (threads,
/// cards, posts) was queued in the outbox with the change itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// The caller's language, in which the reply is worded.
    pub lang: Language,
    pub reply: Reply,
}

impl Outcome {
    pub fn done(lang: Language, msg: Msg) -> Outcome {
        Outcome { lang, reply: Reply::Done { msg, card: None, summary: None } }
    }

    /// The reply, worded in the caller's language.
    pub fn text(&self) -> Msg {
        match &self.reply {
            Reply::Done { msg, .. } => msg.clone(),
            Reply::Refused(r) => i18n::refusal(self.lang, r),
            Reply::Failed { command } => i18n::failed(self.lang, command),
            Reply::Skipped => Msg::default(),
        }
    }

    /// Another instance took the event: there is nothing to reply.
    pub fn skipped(&self) -> bool {
        self.reply == Reply::Skipped
    }

    pub fn refusal(&self) -> Option<&Refusal> {
        match &self.reply {
            Reply::Refused(r) => Some(r),
            _ => None,
        }
    }

    pub fn card(&self) -> Option<&Card> {
        match &self.reply {
            Reply::Done { card, .. } => card.as_deref(),
            _ => None,
        }
    }

    pub fn summary(&self) -> Option<&SummaryPost> {
        match &self.reply {
            Reply::Done { summary, .. } => summary.as_deref(),
            _ => None,
        }
    }
}

/// Why a command did not run: the user's side (a refusal, shown as such),
/// or ours (logged in full, apologised for in general terms).
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("refused: {0:?}")]
    Refused(Refusal),
    /// The event was claimed by another instance: this one does nothing.
    #[error("the event was taken by another instance")]
    Duplicate,
    #[error("storage failed")]
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

fn refuse<T>(refusal: Refusal) -> Result<T, AppError> {
    Err(AppError::Refused(refusal))
}

/// The application: configuration, storage and a clock.
#[derive(Clone)]
pub struct App {
    config: Arc<Config>,
    store: Store,
    clock: Arc<dyn Clock>,
    /// Woken when a ticket change may have moved the next due notification.
    wake: Arc<tokio::sync::Notify>,
    metrics: Arc<Metrics>,
    /// This instance's name (`App::named`).
    instance: Arc<str>,
}

impl App {
    pub fn new(config: Arc<Config>, store: Store, clock: Arc<dyn Clock>) -> App {
        let instance = format!("pid-{}", std::process::id()).into();
        App { config, store, clock, wake: Arc::default(), metrics: Arc::default(), instance }
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

    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// Completes when the application's clock reaches `t`.
    pub fn sleep_until(&self, t: DateTime<Utc>) -> clock::Sleep<'_> {
        self.clock.sleep_until(t)
    }

    /// Runs a command typed as `path` and named options (English or
    /// Spanish): parsed from the declarations, then [`App::handle`]d.
    pub async fn handle_input(&self, inv: &Invocation, path: &str, options: &[(String, String)]) -> Outcome {
        match Command::parse(path, options) {
            Ok(command) => self.handle(inv, command).await,
            Err(usage) => {
                let lang = match self.actor(inv).await {
                    Ok(actor) => Self::lang(inv, actor.customer()),
                    Err(_) => inv.language.unwrap_or_default(),
                };
                tracing::info!(user = %inv.user, refusal = ?usage, "input refused");
                self.answer_once(inv, Outcome { lang, reply: Reply::Refused(Refusal::Usage(usage)) }).await
            }
        }
    }

    /// The claim of `inv`'s event by this instance, if it is one.
    fn claim_of(&self, inv: &Invocation) -> Option<Claim> {
        inv.event.map(|e| Claim { event: e.key(), instance: self.instance.to_string(), at: self.now() })
    }

    async fn claimed_already(&self, inv: &Invocation) -> bool {
        let Some(event) = inv.event else { return false };
        self.store.event_claimed(&event.key()).await.unwrap_or(false)
    }

    /// An outcome that changed nothing, given once: the event is claimed
    /// alone; if another instance has it, the outcome is skipped.
    pub(super) async fn answer_once(&self, inv: &Invocation, outcome: Outcome) -> Outcome {
        let Some(claim) = self.claim_of(inv) else { return outcome };
        match self.store.claim_event(&claim).await {
            Ok(true) => outcome,
            Ok(false) => self.skipped(inv),
            Err(e) => {
                // Answering twice is better than not at all; Discord refuses the second.
                tracing::warn!(error = %e, event = %claim.event, "cannot claim the event; answering anyway");
                outcome
            }
        }
    }

    /// A refusal that needs no command (a button no longer in use), given once.
    pub async fn refuse_once(&self, inv: &Invocation, refusal: Refusal) -> Outcome {
        let lang = inv.language.unwrap_or_default();
        self.answer_once(inv, Outcome { lang, reply: Reply::Refused(refusal) }).await
    }

    fn skipped(&self, inv: &Invocation) -> Outcome {
        tracing::debug!(event = ?inv.event, "another instance took this event");
        self.metrics.events_skipped.inc();
        Outcome { lang: inv.language.unwrap_or_default(), reply: Reply::Skipped }
    }

    /// Runs a command. Never fails: refusals become replies that say what to
    /// do; internal failures are logged and apologised for.
    pub async fn handle(&self, inv: &Invocation, command: Command) -> Outcome {
        let spec = command.spec();
        let name = spec.path(Language::En);
        // Another instance may have applied this event already: a look, at
        // the same time as the actor's, spares doing its work again.
        let (actor, taken) = tokio::join!(self.actor(inv), self.claimed_already(inv));
        if taken {
            return self.skipped(inv);
        }
        let actor = match actor {
            Ok(actor) => actor,
            Err(e) => {
                tracing::error!(command = %name, user = %inv.user, error = ?e, "command failed");
                let lang = inv.language.unwrap_or_default();
                return Outcome { lang, reply: Reply::Failed { command: spec } };
            }
        };
        let lang = Self::lang(inv, actor.customer());
        let cx = Cx { inv, actor, lang, claim: self.claim_of(inv), claimed: Default::default() };
        let result = match Self::admit(spec, &cx.actor) {
            Ok(()) => command.apply(self, &cx).await,
            Err(refusal) => Err(AppError::Refused(refusal)),
        };
        let outcome = match result {
            Ok(outcome) => {
                tracing::info!(command = %name, user = %inv.user, "command done");
                outcome
            }
            Err(AppError::Duplicate) => return self.skipped(inv),
            Err(AppError::Refused(refusal)) => {
                tracing::info!(command = %name, user = %inv.user, ?refusal, "command refused");
                Outcome { lang, reply: Reply::Refused(refusal) }
            }
            Err(e) => {
                tracing::error!(command = %name, user = %inv.user, error = ?e, "command failed");
                Outcome { lang, reply: Reply::Failed { command: spec } }
            }
        };
        // A command that changed something claimed its event with the change.
        match cx.claimed.load(std::sync::atomic::Ordering::Relaxed) {
            true => outcome,
            false => self.answer_once(inv, outcome).await,
        }
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

    /// Whether the database answers (for health checks).
    pub async fn storage_health(&self) -> Result<(), StorageError> {
        self.store.ping().await
    }

    /// Plan and calendar of a customer. The configuration was validated at
    /// load, so a customer's plan and calendar exist.
    fn sla(&self, customer: &Customer) -> Result<(&Plan, &Calendar), AppError> {
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
    fn schedule(
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
                Trigger::Breach if at <= now => Some(Job::Step { trigger, past: cause }.queued(at)),
                _ => Some(Job::Step { trigger, past: None }.queued(at)),
            })
            .collect())
    }

    fn card(&self, customer: &Customer, ticket: &Ticket) -> Result<Card, AppError> {
        let (target, calendar) = self.target(customer, ticket)?;
        Ok(Card::new(ticket, &customer.name, customer.language, &target, calendar, self.now()))
    }
}

/// An instant as the customer's readers see it: date, time and countdown.
pub fn when(t: DateTime<Utc>, calendar: &Calendar) -> Span {
    Span::time(t, Some(calendar.zone()), TimeStyle::FullRelative)
}
