//! The application layer: one function per command, taking who is acting and
//! what they asked, returning a reply and effects. Authorization lives here,
//! once, for every adapter (`access.rs`).
//!
//! Replies and posts are written in Discord's markdown: `<@id>` mentions,
//! `<#id>` channels, `<t:UNIX:F>` / `<t:UNIX:R>` timestamps. The Discord adapter
//! sends them as they are; the console renders them as plain text.

mod access;
pub mod card;
pub mod clock;
pub mod command;
mod contacts;
pub mod i18n;
mod queue;
mod tickets;
pub mod watch;

use std::sync::Arc;

use chrono::{DateTime, Utc};

use crate::config::Config;
use crate::domain::calendar::Calendar;
use crate::domain::customer::{Customer, Language, Snowflake};
use crate::domain::escalation;
use crate::domain::sla::{Plan, ResponseTarget, Severity};
use crate::domain::ticket::{Ticket, TicketNumber};
use crate::metrics::Metrics;
use crate::storage::{Scheduled, StorageError, Store};
pub use card::{Card, CardStatus};
pub use clock::{Clock, ManualClock, SystemClock};
pub use command::Command;

/// Who is acting, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invocation {
    pub user: Snowflake,
    /// Support staff: the Discord adapter knows it from the staff role, the
    /// console from its configured users. TAMs of any customer count as staff.
    pub is_staff: bool,
    /// Where the command was typed: a support channel or a ticket's thread.
    pub channel: Snowflake,
    /// The user's language, when the adapter knows it.
    pub language: Option<Language>,
}

/// What the caller sees at once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    pub text: String,
    /// Only the caller sees it. Every refusal is ephemeral.
    pub ephemeral: bool,
    pub card: Option<Card>,
}

impl Reply {
    pub fn private(text: impl Into<String>) -> Reply {
        Reply { text: text.into(), ephemeral: true, card: None }
    }
}

/// Where a post goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Place {
    /// The ticket's thread.
    Ticket(TicketNumber),
    Channel(Snowflake),
}

/// What the adapter must do besides replying, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    /// Create the ticket's private thread in `channel`, add `members`, post the
    /// card, then report the ids back with [`App::attach_thread`].
    OpenThread { card: Card, channel: Snowflake, members: Vec<Snowflake> },
    /// The card's status changed: edit it.
    UpdateCard { card: Card },
    /// A message; `ping` and `ping_roles` list the only users and roles it
    /// may mention. `key` makes it idempotent: a post with the same key is
    /// posted once however often it is retried (Discord's enforced nonce).
    Post { place: Place, text: String, ping: Vec<Snowflake>, ping_roles: Vec<Snowflake>, key: Option<String> },
}

impl Effect {
    /// A post that may ping `ping`.
    pub fn post(place: Place, text: String, ping: Vec<Snowflake>) -> Effect {
        Effect::Post { place, text, ping, ping_roles: Vec::new(), key: None }
    }
}

/// The result of a command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub reply: Reply,
    pub effects: Vec<Effect>,
}

impl Outcome {
    fn reply(reply: Reply) -> Outcome {
        Outcome { reply, effects: Vec::new() }
    }
}

/// Why a command failed: the user's mistake, said to them as is, or ours,
/// logged in full and apologised for in general terms.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("{0}")]
    Refused(String),
    #[error("storage failed")]
    Storage(#[from] StorageError),
    #[error("SLA computation failed: {0}")]
    Sla(#[from] crate::domain::calendar::CalendarError),
}

fn refuse<T>(text: impl Into<String>) -> Result<T, AppError> {
    Err(AppError::Refused(text.into()))
}

/// User text that `domain::text` refused, as a refusal worded in `lang`.
fn bad_text(lang: Language) -> impl Fn(crate::domain::text::TextError) -> AppError {
    move |e| AppError::Refused(i18n::text_error(lang, &e))
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
}

impl App {
    pub fn new(config: Arc<Config>, store: Store, clock: Arc<dyn Clock>) -> App {
        App { config, store, clock, wake: Arc::default(), metrics: Arc::default() }
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

    /// Runs a command. Never fails: refusals become ephemeral replies that say
    /// what to do; internal failures are logged and apologised for.
    pub async fn handle(&self, inv: &Invocation, command: Command) -> Outcome {
        let name = command.name();
        let result = match command {
            Command::TicketOpen { summary, severity, product, details } => {
                self.open_ticket(inv, &summary, severity, product.as_deref(), details.as_deref()).await
            }
            Command::TicketStatus { number } => self.ticket_status(inv, number).await,
            Command::TicketList { all } => self.ticket_list(inv, all).await,
            Command::TicketSeverity { number, level, reason } => self.reclassify(inv, &number, level, &reason).await,
            Command::TicketClose { number, resolution } => self.close(inv, &number, resolution.as_deref()).await,
            Command::TicketReopen { number } => self.reopen(inv, &number).await,
            Command::Ack { note } => self.acknowledge(inv, note.as_deref()).await,
            Command::ContactsAdd { user, name, email, phone } => {
                self.add_contact(inv, user, name.as_deref(), email.as_deref(), phone.as_deref()).await
            }
            Command::ContactsRemove { user } => self.remove_contact(inv, user).await,
            Command::ContactsList => self.list_contacts(inv).await,
            Command::Queue => self.queue(inv).await,
        };
        match result {
            Ok(outcome) => {
                tracing::info!(command = name, user = %inv.user, "command done");
                outcome
            }
            Err(AppError::Refused(text)) => {
                tracing::info!(command = name, user = %inv.user, reason = %text, "command refused");
                Outcome::reply(Reply::private(text))
            }
            Err(e) => {
                tracing::error!(command = name, user = %inv.user, error = ?e, "command failed");
                Outcome::reply(Reply::private(i18n::say!(
                    inv.language.unwrap_or_default(),
                    "Sorry, {name} failed on our side and the error has been logged. Please try again in a moment; \
                     if it is urgent, phone the priority line.",
                    "Lo sentimos: {name} ha fallado por nuestra parte y el error ha quedado registrado. Inténtalo de \
                     nuevo en un momento; si es urgente, llama a la línea prioritaria."
                )))
            }
        }
    }

    /// Records where the adapter put a ticket's thread and card.
    pub async fn attach_thread(
        &self,
        number: &TicketNumber,
        thread: Snowflake,
        card_message: Snowflake,
    ) -> Result<(), StorageError> {
        self.store.attach_thread(number, thread, card_message).await
    }

    /// Plan, calendar and target of a customer's ticket. The configuration was
    /// validated at load, so a customer's plan and calendar exist.
    fn sla(&self, customer: &Customer) -> Result<(&Plan, &Calendar), AppError> {
        let plan = self.config.plan(&customer.plan).map_err(|e| AppError::Refused(e.to_string()))?;
        let calendar = self.config.calendar(&customer.calendar).map_err(|e| AppError::Refused(e.to_string()))?;
        Ok((plan, calendar))
    }

    fn target(&self, customer: &Customer, ticket: &Ticket) -> Result<(ResponseTarget, &Calendar), AppError> {
        let (plan, calendar) = self.sla(customer)?;
        Ok((*plan.targets.get(ticket.severity), calendar))
    }

    /// When a ticket's escalation steps fall due, from its opening instant.
    fn schedule(
        &self,
        customer: &Customer,
        severity: Severity,
        opened_at: DateTime<Utc>,
        due_at: DateTime<Utc>,
    ) -> Result<Vec<Scheduled>, AppError> {
        let (plan, calendar) = self.sla(customer)?;
        let policy = self.config.escalation(&plan.name).map_err(AppError::Refused)?;
        let target = plan.targets.get(severity);
        let steps = escalation::schedule(policy.steps(severity), target, calendar, opened_at, due_at)?;
        Ok(steps.into_iter().map(|(trigger, due_at)| Scheduled { step: trigger.name(), due_at }).collect())
    }

    fn card(&self, customer: &Customer, ticket: &Ticket) -> Result<Card, AppError> {
        let (target, calendar) = self.target(customer, ticket)?;
        Ok(Card::new(ticket, &customer.name, customer.language, &target, calendar, self.now()))
    }
}

/// `<t:UNIX:F> (<t:UNIX:R>)`: an absolute and a live relative timestamp.
pub fn when(t: DateTime<Utc>) -> String {
    format!("<t:{0}:F> (<t:{0}:R>)", t.timestamp())
}
