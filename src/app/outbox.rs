//! The application's half of the outbox. A change queues [`Job`]s (what is
//! to happen, as facts) in its own transaction; when a job falls due the
//! scheduler claims it and the application says what to do on Discord:
//! [`Action`]s on concrete channels, worded in the customer's language at
//! that moment. The adapter carries them out and reports back; the
//! application records the job sent (with the thread it created, or the
//! breach it announced), retries it later, or ends it as failed and says so
//! where it can be read.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::msg::{say, Msg, Span, TimeStyle};
use super::summary::{late_note, summary_job, SummaryPost};
use super::{i18n, when, App, AppError, Card};
use crate::domain::calendar::Calendar;
use crate::domain::customer::{Customer, Language, Snowflake};
use crate::domain::escalation::{Destination, Recipient, Step, Trigger};
use crate::domain::signature::{SignatureRequest, Stage};
use crate::domain::sla::Severity;
use crate::domain::summary::Week;
use crate::domain::ticket::{EventKind, Ticket, TicketNumber};
use crate::storage::{Claimed, Finish, Once, Queued};

/// How long a claim holds before another instance may take the job; an
/// instance that dies holds its jobs at most this long (on SQLite, its
/// successor takes them back at start).
pub const LEASE: Duration = Duration::from_secs(120);

/// The longest a delivery may take: the scheduler abandons one that runs
/// longer (a try whose outcome is then unknown, retried later), so that no
/// delivery is still running when its lease ends and another instance may
/// take the job.
pub const DELIVERY_BUDGET: Duration = Duration::from_secs(90);

/// After a failed try, the pause before the next: doubling from this.
pub const RETRY_FIRST: Duration = Duration::from_secs(5);
/// … up to this.
pub const RETRY_MAX: Duration = Duration::from_secs(300);

/// What a change asks to happen on Discord, stored in the outbox as JSON.
/// Posts are worded when delivered, from these facts and the ticket then.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Job {
    /// Create the ticket's private thread with these members and post its card.
    Thread {
        members: Vec<Snowflake>,
    },
    /// Bring the ticket's card up to date.
    Card,
    /// An L1 ticket opened: ping the TAMs.
    CriticalOpened {
        by: Snowflake,
    },
    /// Opened outside working hours: phone the priority line too.
    PhoneReminder,
    Reclassified {
        from: Severity,
        to: Severity,
        by: Snowflake,
        reason: String,
    },
    Acknowledged {
        by: Snowflake,
        note: Option<String>,
    },
    Closed {
        by: Snowflake,
        resolution: Option<String>,
    },
    Reopened {
        by: Snowflake,
    },
    /// An escalation step, worded when it falls due; `past` when a change
    /// made its instant one already gone (a breach announced at once).
    Step {
        trigger: Trigger,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        past: Option<Past>,
    },
    /// Take a person out of the ticket's thread.
    Leave {
        user: Snowflake,
    },
    /// A signature change request was filed: tell the specialist group.
    SignatureOpened {
        by: Snowflake,
    },
    /// A request moved to `to`: tell the requester.
    StageChanged {
        to: Stage,
        release: Option<String>,
        note: Option<String>,
    },
    /// The summary of `week` (`2026-W48`) for the `[[summaries]]` entry of
    /// `channel` and `customer` (none: every customer).
    Summary {
        channel: Snowflake,
        customer: Option<String>,
        week: String,
    },
    /// A job that could not be delivered where it should have been: said in
    /// `to` instead, naming where it failed.
    Undeliverable {
        to: Snowflake,
        failed_in: Snowflake,
        lost: Lost,
    },
}

impl Job {
    /// The job as an outbox row due at `at`.
    pub(super) fn queued(&self, at: DateTime<Utc>) -> Queued {
        let step = match self {
            Job::Step { trigger, .. } => Some(*trigger),
            _ => None,
        };
        // A plain enum of plain fields: serialising it cannot fail.
        Queued { step, job: serde_json::to_string(self).expect("jobs serialise"), due_at: at }
    }

    fn name(&self) -> &'static str {
        match self {
            Job::Thread { .. } => "thread",
            Job::Card => "card",
            Job::CriticalOpened { .. } => "critical ping",
            Job::PhoneReminder => "phone reminder",
            Job::Reclassified { .. } => "reclassified",
            Job::Acknowledged { .. } => "acknowledged",
            Job::Closed { .. } => "closed",
            Job::Reopened { .. } => "reopened",
            Job::Step { .. } => "step",
            Job::Leave { .. } => "leave",
            Job::SignatureOpened { .. } => "signature opened",
            Job::StageChanged { .. } => "stage changed",
            Job::Summary { .. } => "summary",
            Job::Undeliverable { .. } => "undeliverable",
        }
    }
}

/// What a job that could not be delivered was about to do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Lost {
    /// Create the ticket's thread.
    Thread,
    /// Update the ticket's card.
    Card,
    /// Post this.
    Post { msg: Msg },
}

/// The change that moved a ticket's deadline into the past.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Past {
    Reclassified,
    Reopened,
}

/// What identifies a post across retries and restarts, so that it is posted
/// once: the Discord adapter makes Discord's enforced nonce of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PostKey {
    /// The outbox row.
    pub job: i64,
    /// Which of the row's posts.
    pub index: u8,
}

/// One thing to do on Discord, on concrete channels.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Create a private thread named `name` in `parent` (or adopt the one a
    /// try whose outcome is unknown created), add `members`, post `card`.
    /// The adapter reports the thread and card ids in its [`Receipt`].
    OpenThread {
        parent: Snowflake,
        name: String,
        members: Vec<Snowflake>,
        card: Box<Card>,
        key: PostKey,
    },
    EditCard {
        channel: Snowflake,
        message: Snowflake,
        card: Box<Card>,
    },
    /// A message that may mention exactly `ping` and `roles`; `thread` when
    /// `channel` is a ticket's thread (unarchived if it has been archived);
    /// with a button to press, maybe.
    Post {
        channel: Snowflake,
        msg: Msg,
        ping: Vec<Snowflake>,
        roles: Vec<Snowflake>,
        key: PostKey,
        thread: bool,
        button: Option<Button>,
    },
    RemoveMember {
        thread: Snowflake,
        user: Snowflake,
    },
    /// A weekly summary: its text and chart, posted once (`key`).
    Summary {
        channel: Snowflake,
        post: Box<SummaryPost>,
        key: PostKey,
    },
}

/// A button under a post.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Button {
    /// The requester confirms that a released fix works.
    Confirm { ticket: TicketNumber, lang: Language },
}

impl Button {
    /// What the button says, in the post's language.
    pub fn label(&self) -> &'static str {
        match self {
            Button::Confirm { lang, .. } => {
                crate::app::commands::Local::new("Confirm the fix", "Confirmar la corrección").get(*lang)
            }
        }
    }

    /// The command that does what the button does, as typed in `lang`
    /// (for surfaces without buttons, such as the console).
    pub fn command(&self, lang: Language) -> String {
        match self {
            Button::Confirm { ticket, .. } => {
                let confirm = crate::app::commands::ConfirmSignature { number: ticket.clone() };
                let spec = crate::app::commands::Command::from(confirm).spec();
                let number = spec.options.first().map_or("number", |o| o.name.get(lang));
                format!("/{} {number}:{ticket}", spec.path(lang))
            }
        }
    }
}

/// A claimed job and what to do for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    pub id: i64,
    pub ticket: Option<TicketNumber>,
    /// The job's kind, for logs.
    pub what: &'static str,
    pub due_at: DateTime<Utc>,
    /// It fell due while no instance was running, and is sent well after.
    pub late: bool,
    pub actions: Vec<Action>,
    /// Tries so far, this one included: above 1, an earlier try may have
    /// taken effect without being recorded.
    pub attempts: i64,
    ticket_id: Option<i64>,
    /// A breach to record, at its deadline, once announced.
    breach: Option<DateTime<Utc>>,
    failing_since: Option<DateTime<Utc>>,
    /// The job, to say something in its place if it cannot be delivered.
    job: Job,
}

/// What the adapter reports of a delivery.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Receipt {
    /// The ticket's thread and card message, when an [`Action::OpenThread`] ran.
    pub thread: Option<(Snowflake, Snowflake)>,
}

/// Why a delivery did not happen.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DeliveryError {
    /// Rate limited, a server error, no answer: tried again later.
    #[error("{0}")]
    Transient(String),
    /// Retrying cannot help; `action` is the index of the action that failed.
    #[error("{problem:?}: {detail}")]
    Permanent { action: usize, problem: Permanent, detail: String },
}

/// Failures that end a job.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permanent {
    /// 403: the bot may not see or post in the channel.
    MissingAccess,
    /// 404: the channel, thread or message is gone.
    NotFound,
    /// The thread is archived and locked: only moderators can reopen it.
    Locked,
    /// Discord refused the request for another reason (a 4xx).
    Rejected,
    /// It kept failing for longer than `[discord].give_up_after`.
    GaveUp,
}

impl App {
    /// Claims the jobs due now (at most `limit`, earliest first, one per
    /// ticket at a time) and says what each does. Jobs made moot meanwhile
    /// are dropped here.
    pub async fn claim_due(&self, limit: i64) -> Result<Vec<Delivery>, AppError> {
        let now = self.now();
        let lease = chrono::Duration::from_std(LEASE).unwrap_or_default();
        let mut out = Vec::new();
        let claimed = self.store.claim_due(now, now + lease, limit).await?;
        let ids: Vec<i64> = claimed.iter().filter_map(|c| c.ticket_id).collect();
        let mut tickets = self.store.tickets_by_ids(&ids).await?;
        for claimed in claimed {
            let ticket = claimed.ticket_id.and_then(|id| tickets.remove(&id));
            match self.resolve(&claimed, ticket, now).await? {
                Some(delivery) => out.push(delivery),
                None => {
                    self.store.finish(claimed.id, now, &Finish::Dropped).await?;
                }
            }
        }
        Ok(out)
    }

    /// The delivery of a claimed job (of `ticket`), or `None` if it has
    /// nothing left to do.
    async fn resolve(
        &self,
        c: &Claimed,
        ticket: Option<Ticket>,
        now: DateTime<Utc>,
    ) -> Result<Option<Delivery>, AppError> {
        let job: Job = match serde_json::from_str(&c.job) {
            Ok(job) => job,
            Err(e) => {
                tracing::warn!(job = c.id, error = %e, "an outbox job no version of this bot knows; dropped");
                return Ok(None);
            }
        };
        let customer = ticket.as_ref().and_then(|t| self.config.customer(t.number.customer.as_str()));
        // Late: sent well after it fell due, and it fell due while no
        // instance was running (not merely while this one was busy).
        let overdue = (now - c.due_at).to_std().is_ok_and(|d| d > self.config.late_after);
        let late = overdue && !self.instance_running_at(c.due_at).await?;
        let mut delivery = Delivery {
            id: c.id,
            ticket: ticket.as_ref().map(|t| t.number.clone()),
            what: job.name(),
            due_at: c.due_at,
            late,
            actions: Vec::new(),
            ticket_id: c.ticket_id,
            breach: None,
            attempts: c.attempts,
            failing_since: c.failing_since,
            job: job.clone(),
        };
        let key = |index| PostKey { job: c.id, index };
        if let Job::Undeliverable { to, failed_in, lost } = &job {
            delivery.actions.push(self.undeliverable(*to, *failed_in, lost, ticket.as_ref(), key(0)));
            return Ok(Some(delivery));
        }
        if let Job::Summary { channel, customer, week } = &job {
            // An entry removed from the configuration posts nothing more.
            let Some(s) = self.config.summary(*channel, customer.as_deref()) else { return Ok(None) };
            let Ok(week) = week.parse::<Week>() else { return Ok(None) };
            let mut post = self.summary_for(s, week).await?;
            if delivery.late {
                let mut msg = late_note(s.language, c.due_at, s.zone);
                msg.append(post.msg);
                post.msg = msg;
            }
            delivery.actions.push(Action::Summary { channel: *channel, post: Box::new(post), key: key(0) });
            return Ok(Some(delivery));
        }
        let (Some(ticket), Some(customer)) = (ticket, customer) else { return Ok(None) };
        let (_, calendar) = self.sla(customer)?;
        let lang = customer.language;
        let thread = ticket.thread_id.unwrap_or(customer.support_channel);
        // A post in the ticket's thread (the support channel if it has none).
        let post_with =
            |msg: Msg, ping: Vec<Snowflake>, roles: Vec<Snowflake>, button: Option<Button>, index| Action::Post {
                channel: thread,
                msg,
                ping,
                roles,
                key: key(index),
                thread: ticket.thread_id.is_some(),
                button,
            };
        let post = |msg: Msg, ping: Vec<Snowflake>, index| post_with(msg, ping, vec![], None, index);
        match job {
            Job::Thread { members } => {
                if ticket.thread_id.is_none() || ticket.card_message_id.is_none() {
                    delivery.actions.push(Action::OpenThread {
                        parent: customer.support_channel,
                        name: ticket.thread_name(),
                        members,
                        card: Box::new(self.card(customer, &ticket)?),
                        key: key(0),
                    });
                }
            }
            Job::Card => delivery.actions.extend(self.card_edit(customer, &ticket)?),
            Job::CriticalOpened { by } => {
                if !ticket.is_unanswered() {
                    return Ok(None);
                }
                let tams = tams(customer);
                delivery.actions.push(post(critical_ping(lang, &ticket, calendar, &tams, Raised::Opened(by)), tams, 0));
            }
            Job::PhoneReminder => delivery.actions.push(post(phone_reminder(lang, customer), vec![], 0)),
            Job::Reclassified { from, to, by, reason } => {
                let (from, to, who, due) = (
                    i18n::severity(lang, from),
                    i18n::severity(lang, to),
                    Span::user(by),
                    when(ticket.due_at, calendar),
                );
                let msg = say!(
                    lang,
                    "Severity changed from {from} to {to} by {who}: {reason}. First response now due {due}.",
                    "{who} cambió la severidad de {from} a {to}: {reason}. La primera respuesta vence ahora {due}.",
                    from,
                    to,
                    who,
                    reason,
                    due
                );
                delivery.actions.push(post(msg, vec![], 0));
                if ticket.severity == Severity::Critical && ticket.is_unanswered() {
                    let tams = tams(customer);
                    let ping = critical_ping(lang, &ticket, calendar, &tams, Raised::Reclassified(by));
                    delivery.actions.push(post(ping, tams, 1));
                }
            }
            Job::Acknowledged { by, note } => {
                let acked = ticket.acked_at.unwrap_or(now);
                let (who, minutes) = (Span::user(by), (acked - ticket.opened_at).num_minutes());
                let mut msg = match acked <= ticket.due_at {
                    true => say!(
                        lang,
                        "Acknowledged by {who} after {minutes} min (within target).",
                        "{who} acusó recibo tras {minutes} min (dentro del objetivo).",
                        who,
                        minutes
                    ),
                    false => say!(
                        lang,
                        "Acknowledged by {who} after {minutes} min (after the target).",
                        "{who} acusó recibo tras {minutes} min (fuera del objetivo).",
                        who,
                        minutes
                    ),
                };
                if let Some(note) = note {
                    msg.push_text(&format!(" {note}"));
                }
                delivery.actions.push(post(msg, vec![], 0));
            }
            Job::Closed { by, resolution } => {
                let who = Span::user(by);
                let msg = match resolution {
                    Some(r) => say!(lang, "Closed by {who}: {r}", "Cerrado por {who}: {r}", who, r),
                    None => say!(lang, "Closed by {who}.", "Cerrado por {who}.", who),
                };
                delivery.actions.push(post(msg, vec![], 0));
            }
            Job::Reopened { by } => {
                let who = Span::user(by);
                delivery.actions.push(post(say!(lang, "Reopened by {who}.", "Reabierto por {who}.", who), vec![], 0));
            }
            Job::Step { trigger, past } => {
                // Answered or closed after the step was scheduled: only a
                // breach that came before the answer is still news.
                let breached_unanswered = trigger == Trigger::Breach && ticket.acked_at.is_none_or(|a| a > c.due_at);
                if !ticket.is_unanswered() && !breached_unanswered {
                    return Ok(None);
                }
                // A breach a change revealed is news, not a late notice.
                delivery.late &= past.is_none();
                let step = Due { trigger, at: c.due_at, late: delivery.late, past };
                delivery.actions = self.step_actions(customer, calendar, &ticket, step, c.id)?;
                if trigger == Trigger::Breach {
                    delivery.breach = Some(c.due_at);
                }
            }
            Job::Leave { user } => {
                if let Some(thread) = ticket.thread_id {
                    delivery.actions.push(Action::RemoveMember { thread, user });
                }
            }
            Job::SignatureOpened { by } => {
                let Some(request) = &ticket.signature else { return Ok(None) };
                let specialists: Vec<Snowflake> = self.config.signatures.specialist_role.into_iter().collect();
                let msg = signature_opened(lang, &ticket, request, by, &specialists);
                delivery.actions.push(post_with(msg, vec![], specialists, None, 0));
            }
            Job::StageChanged { to, release, note } => {
                let msg = stage_changed(lang, &ticket, to, release.as_deref(), note.as_deref());
                let button = (to == Stage::Released).then(|| Button::Confirm { ticket: ticket.number.clone(), lang });
                delivery.actions.push(post_with(msg, vec![ticket.opened_by], vec![], button, 0));
            }
            Job::Undeliverable { .. } | Job::Summary { .. } => {}
        }
        Ok(Some(delivery))
    }

    /// Records a job delivered: its thread, the breach it announced.
    pub async fn delivered(&self, delivery: &Delivery, receipt: Receipt) -> Result<(), AppError> {
        let breach = delivery.breach.map(|due_at| EventKind::Breached { due_at });
        let event = match (delivery.ticket_id, &breach) {
            (Some(ticket), Some(b @ EventKind::Breached { due_at })) => Some((ticket, *due_at, b)),
            _ => None,
        };
        let thread = delivery.ticket_id.zip(receipt.thread).map(|(t, (thread, card))| (t, thread, card));
        let now = self.now();
        let finish = Finish::Sent { late: delivery.late, event, thread, next: self.next_of(delivery) };
        if self.store.finish(delivery.id, now, &finish).await? {
            let ticket = delivery.ticket.as_ref().map(ToString::to_string).unwrap_or_default();
            tracing::info!(job = delivery.id, %ticket, what = delivery.what, late = delivery.late, "delivered");
            let m = &self.metrics;
            m.notifications_sent.inc();
            if delivery.late {
                m.notifications_late.inc();
            }
            if breach.is_some() {
                m.breaches.inc();
            }
            m.notification_lag_seconds.observe((now - delivery.due_at).to_std().unwrap_or_default().as_secs_f64());
        }
        Ok(())
    }

    /// A delivery that failed: tried again after a pause that doubles, or,
    /// when retrying cannot help or it has failed for too long, ended as
    /// failed with the reason and said where it can be read instead.
    pub async fn delivery_failed(&self, delivery: &Delivery, error: &DeliveryError) -> Result<(), AppError> {
        let now = self.now();
        let ticket = delivery.ticket.as_ref().map(ToString::to_string).unwrap_or_default();
        let failing_for = (now - delivery.failing_since.unwrap_or(now)).to_std().unwrap_or_default();
        let (action, problem, detail) = match error {
            DeliveryError::Transient(detail) if failing_for < self.give_up_after() => {
                let pause =
                    RETRY_FIRST.saturating_mul(1 << delivery.attempts.clamp(1, 16).saturating_sub(1)).min(RETRY_MAX);
                let retry_at = now + chrono::Duration::from_std(pause).unwrap_or_default();
                tracing::warn!(job = delivery.id, %ticket, what = delivery.what, error = %detail, retry_in = ?pause,
                               "delivery failed; it will be tried again");
                self.store.retry_later(delivery.id, now, retry_at, detail).await?;
                return Ok(());
            }
            DeliveryError::Transient(detail) => (0, Permanent::GaveUp, detail.clone()),
            DeliveryError::Permanent { action, problem, detail } => (*action, *problem, detail.clone()),
        };
        let reason = format!("{problem:?}: {detail}");
        let instead = self.instead(delivery, action).map(|job| (delivery.ticket_id, job.queued(now)));
        if self
            .store
            .finish(delivery.id, now, &Finish::Failed { reason: &reason, instead, next: self.next_of(delivery) })
            .await?
        {
            tracing::error!(job = delivery.id, %ticket, what = delivery.what, %reason, "delivery failed for good");
            self.metrics.notifications_failed.inc();
        }
        Ok(())
    }

    /// The job that follows a delivered (or failed) one: next week's summary.
    fn next_of(&self, delivery: &Delivery) -> Option<Once> {
        let Job::Summary { channel, customer, week } = &delivery.job else { return None };
        let s = self.config.summary(*channel, customer.as_deref())?;
        Some(summary_job(s, week.parse::<Week>().ok()?.next()))
    }

    /// What to post instead of a delivery whose `action` failed for good:
    /// in the customer's support channel, or the escalation channel when it
    /// was the support channel that failed (or the job was already a
    /// stand-in there).
    fn instead(&self, delivery: &Delivery, action: usize) -> Option<Job> {
        let escalation = self.config.discord.as_ref().and_then(|d| d.escalation_channel);
        let support =
            delivery.ticket.as_ref().and_then(|n| self.config.customer(n.customer.as_str())).map(|c| c.support_channel);
        let (failed_in, lost) = match delivery.actions.get(action)? {
            Action::OpenThread { parent, .. } => (*parent, Lost::Thread),
            Action::Post { channel, msg, .. } => (*channel, Lost::Post { msg: msg.clone() }),
            Action::EditCard { channel, .. } => (*channel, Lost::Card),
            Action::Summary { channel, post, .. } => (*channel, Lost::Post { msg: post.msg.clone() }),
            // A removal that cannot be done leaves nothing to say.
            Action::RemoveMember { .. } => return None,
        };
        let to = match &delivery.job {
            Job::Undeliverable { to, .. } if Some(*to) == escalation => return None,
            Job::Undeliverable { .. } => escalation?,
            _ if Some(failed_in) == support => escalation?,
            _ => support.or(escalation)?,
        };
        Some(Job::Undeliverable { to, failed_in, lost })
    }

    fn give_up_after(&self) -> Duration {
        self.config.discord.as_ref().map_or(crate::config::DEFAULT_GIVE_UP_AFTER, |d| d.give_up_after)
    }

    /// The notice of a job that could not be delivered where it should have been.
    fn undeliverable(
        &self,
        to: Snowflake,
        failed_in: Snowflake,
        lost: &Lost,
        ticket: Option<&Ticket>,
        key: PostKey,
    ) -> Action {
        let lang =
            ticket.and_then(|t| self.config.customer(t.number.customer.as_str())).map_or(Language::En, |c| c.language);
        let place = Span::channel(failed_in);
        let n = ticket.map(|t| t.number.to_string()).unwrap_or_default();
        let msg = match lost {
            Lost::Thread => say!(
                lang,
                "Could not create the thread of {n} in {place}: the bot lacks access there, or the channel is gone. \
                 Its posts come here meanwhile.",
                "No se pudo crear el hilo de {n} en {place}: el bot no tiene acceso o el canal ya no existe. \
                 Sus mensajes llegan aquí mientras tanto.",
                n,
                place
            ),
            Lost::Card => say!(
                lang,
                "Could not update the card of {n} in {place}: the bot lacks access there, or it is gone.",
                "No se pudo actualizar la ficha de {n} en {place}: el bot no tiene acceso o ya no existe.",
                n,
                place
            ),
            Lost::Post { msg } => say!(
                lang,
                "Could not post in {place} ({n}); the message was:\n{msg}",
                "No se pudo publicar en {place} ({n}); el mensaje era:\n{msg}",
                place,
                n,
                msg = msg.clone()
            ),
        };
        // The original's mentions are not repeated as pings.
        Action::Post { channel: to, msg, ping: vec![], roles: vec![], key, thread: false, button: None }
    }

    /// The card's edit, if the card has been posted.
    fn card_edit(&self, customer: &Customer, ticket: &Ticket) -> Result<Option<Action>, AppError> {
        let card = Box::new(self.card(customer, ticket)?);
        Ok(ticket.thread_id.zip(ticket.card_message_id).map(|(channel, message)| Action::EditCard {
            channel,
            message,
            card,
        }))
    }

    /// When the next job can be acted on, if any is pending.
    pub async fn next_due(&self) -> Result<Option<DateTime<Utc>>, AppError> {
        Ok(self.store.next_due(self.now()).await?)
    }

    /// Frees the claims a process that died left behind; only where this
    /// process is the database's one user (SQLite). Returns how many.
    pub async fn release_all_claims(&self) -> Result<u64, AppError> {
        Ok(self.store.release_all_claims().await?)
    }

    /// Sets the open-tickets gauges from the database (at each scrape).
    pub async fn refresh_open_tickets(&self) -> Result<(), AppError> {
        let counts = self.store.open_ticket_counts().await?;
        self.metrics.open_tickets.clear();
        for (customer, severity, n) in counts {
            let labels = crate::metrics::OpenLabels { customer, severity: severity.to_string() };
            self.metrics.open_tickets.get_or_create(&labels).set(n);
        }
        Ok(())
    }

    /// Woken whenever a change queued jobs or moved the next due instant.
    pub fn wake_handle(&self) -> Arc<tokio::sync::Notify> {
        self.wake.clone()
    }

    fn step_actions(
        &self,
        customer: &Customer,
        calendar: &Calendar,
        ticket: &Ticket,
        Due { trigger, at: due_at, late, past }: Due,
        id: i64,
    ) -> Result<Vec<Action>, AppError> {
        let (plan, _) = self.sla(customer)?;
        let policy = self.config.escalation(&plan.name).map_err(AppError::Config)?;
        // The configured step; one removed from the configuration since it
        // was scheduled still posts in the thread, pinging nobody.
        let fallback = Step { trigger, ping: vec![], post: vec![Destination::Thread] };
        let step = policy.steps(ticket.severity).iter().find(|s| s.trigger == trigger).unwrap_or(&fallback);
        let role = self.config.discord.as_ref().and_then(|d| d.escalation_role);
        let mut users = Vec::new();
        let mut roles = Vec::new();
        for r in &step.ping {
            match r {
                Recipient::Tam => users.push(customer.tam),
                Recipient::BackupTam => users.extend(customer.backup_tam),
                Recipient::Role => roles.extend(role),
            }
        }
        let lang = customer.language;
        let mut mentions = Msg::default();
        for span in users.iter().map(|u| Span::user(*u)).chain(roles.iter().map(|r| Span::role(*r))) {
            mentions.push(span);
            mentions.push_text(" ");
        }
        let (n, level, summary) =
            (Span::strong(&ticket.number), i18n::severity(lang, ticket.severity), &ticket.summary);
        let at = Span::time(due_at, Some(calendar.zone()), TimeStyle::Full);
        let mut text = match trigger {
            Trigger::Percent(p) => {
                let due = when(ticket.due_at, calendar);
                say!(
                    lang,
                    "{mentions}Reminder: {n} ({level}, {summary}) has used {p} % of its first-response time; response due {due}.",
                    "{mentions}Recordatorio: {n} ({level}, {summary}) ha consumido el {p} % de su tiempo de primera respuesta; vence {due}.",
                    mentions = &mentions,
                    n = &n,
                    level,
                    summary,
                    p,
                    due
                )
            }
            Trigger::Breach => match past {
                None => say!(
                    lang,
                    "{mentions}{n} ({level}, {summary}) BREACHED its first-response target: no qualified first response by {at}.",
                    "{mentions}{n} ({level}, {summary}) ha INCUMPLIDO su objetivo: sin primera respuesta cualificada a las {at}.",
                    mentions = &mentions,
                    n = &n,
                    level,
                    summary,
                    at = &at
                ),
                Some(Past::Reclassified) => say!(
                    lang,
                    "{mentions}{n} ({level}, {summary}) was reclassified past its deadline: its first-response target ({at}) is BREACHED.",
                    "{mentions}{n} ({level}, {summary}) se ha reclasificado pasado su plazo: su objetivo de primera respuesta ({at}) está INCUMPLIDO.",
                    mentions = &mentions,
                    n = &n,
                    level,
                    summary,
                    at = &at
                ),
                Some(Past::Reopened) => say!(
                    lang,
                    "{mentions}{n} ({level}, {summary}) was reopened past its deadline: its first-response target ({at}) is BREACHED.",
                    "{mentions}{n} ({level}, {summary}) se ha reabierto pasado su plazo: su objetivo de primera respuesta ({at}) está INCUMPLIDO.",
                    mentions = &mentions,
                    n = &n,
                    level,
                    summary,
                    at = &at
                ),
            },
        };
        if late {
            text.append(say!(
                lang,
                " (Sent late: it was due {at}, while the bot was unavailable.)",
                " (Enviado con retraso: vencía {at}, cuando el bot no estaba disponible.)",
                at
            ));
        }
        let mut actions = Vec::new();
        for (index, destination) in step.post.iter().enumerate() {
            let key = PostKey { job: id, index: u8::try_from(index).unwrap_or(u8::MAX) };
            let (channel, msg, thread) = match destination {
                Destination::Thread => {
                    (ticket.thread_id.unwrap_or(customer.support_channel), text.clone(), ticket.thread_id.is_some())
                }
                Destination::EscalationChannel => {
                    let Some(channel) = self.config.discord.as_ref().and_then(|d| d.escalation_channel) else {
                        continue;
                    };
                    let mut msg = text.clone();
                    if let Some(t) = ticket.thread_id {
                        msg.push_text(" ");
                        msg.push(Span::channel(t));
                    }
                    (channel, msg, false)
                }
            };
            actions.push(Action::Post {
                channel,
                msg,
                ping: users.clone(),
                roles: roles.clone(),
                key,
                thread,
                button: None,
            });
        }
        if ticket.is_unanswered() {
            actions.extend(self.card_edit(customer, ticket)?);
        }
        Ok(actions)
    }
}

/// An escalation step as it falls due.
struct Due {
    trigger: Trigger,
    at: DateTime<Utc>,
    late: bool,
    past: Option<Past>,
}

/// The customer's TAM and backup TAM.
pub(super) fn tams(customer: &Customer) -> Vec<Snowflake> {
    std::iter::once(customer.tam).chain(customer.backup_tam).collect()
}

/// How a ticket became critical, for its L1 ping.
#[derive(Debug, Clone, Copy)]
enum Raised {
    Opened(Snowflake),
    Reclassified(Snowflake),
}

/// The L1 ping in a ticket's thread: the TAMs, who made it critical, the deadline.
fn critical_ping(lang: Language, ticket: &Ticket, calendar: &Calendar, tams: &[Snowflake], raised: Raised) -> Msg {
    let who = Msg::join(tams.iter().map(|t| Msg::from(Span::user(*t))), " ");
    let (n, summary, due) = (Span::strong(&ticket.number), &ticket.summary, when(ticket.due_at, calendar));
    match raised {
        Raised::Opened(by) => say!(
            lang,
            "{who} {n} is Critical (L1), opened by {by}: {summary}. First response due {due}.",
            "{who} {n} es Crítico (L1), abierto por {by}: {summary}. Primera respuesta antes de {due}.",
            who,
            n,
            by = Span::user(by),
            summary,
            due
        ),
        Raised::Reclassified(by) => say!(
            lang,
            "{who} {n} was raised to Critical (L1) by {by}: {summary}. First response due {due}.",
            "{who} {by} ha elevado {n} a Crítico (L1): {summary}. Primera respuesta antes de {due}.",
            who,
            n,
            by = Span::user(by),
            summary,
            due
        ),
    }
}

/// The specialist group's news of a request, in its thread.
fn signature_opened(
    lang: Language,
    ticket: &Ticket,
    r: &SignatureRequest,
    by: Snowflake,
    specialists: &[Snowflake],
) -> Msg {
    let mut msg = Msg::default();
    for role in specialists {
        msg.push(Span::role(*role));
        msg.push_text(" ");
    }
    let (n, who, kind, hash_kind, hash) = (
        Span::strong(&ticket.number),
        Span::user(by),
        i18n::signature_kind(lang, r.kind),
        r.hash.kind().label(),
        r.hash.as_str(),
    );
    let (version, release) = (&r.product_version, &r.database_release);
    msg.append(say!(
        lang,
        "New signature change request {n} from {who}: {kind}, {hash_kind} {hash}, product {version}, databases {release}.",
        "Nueva solicitud de cambio de firma {n} de {who}: {kind}, {hash_kind} {hash}, producto {version}, bases de datos {release}.",
        n,
        who,
        kind,
        hash_kind,
        hash,
        version,
        release
    ));
    if let Some(detection) = &r.detection {
        msg.append(say!(lang, " Detected as {detection}.", " Detectado como {detection}.", detection));
    }
    if let Some(details) = &ticket.details {
        msg.push_text(&format!("\n{details}"));
    }
    msg
}

/// The requester's news of a stage change, in the request's thread. It
/// names only this request: no other customer or ticket, though a fix may
/// have released several.
fn stage_changed(lang: Language, ticket: &Ticket, to: Stage, release: Option<&str>, note: Option<&str>) -> Msg {
    let (who, n) = (Span::user(ticket.opened_by), Span::strong(&ticket.number));
    let release = release.unwrap_or_default();
    let mut msg = match to {
        Stage::Received => say!(lang, "{who} {n} is received.", "{who} {n} está recibida.", who, n),
        Stage::Analysing => say!(
            lang,
            "{who} The specialist group is analysing the file of {n}.",
            "{who} El grupo de especialistas está analizando el archivo de {n}.",
            who,
            n
        ),
        Stage::FixScheduled => say!(
            lang,
            "{who} A fix for {n} is scheduled in an accelerated database update.",
            "{who} La corrección de {n} está programada en una actualización acelerada de las bases de datos.",
            who,
            n
        ),
        Stage::Released => say!(
            lang,
            "{who} The fix for {n} is out in database release {release}. Update your antivirus databases, scan the file again, and confirm below that it is right now.",
            "{who} La corrección de {n} está publicada en la versión {release} de las bases de datos. Actualiza las bases del antivirus, vuelve a analizar el archivo y confirma abajo que ya es correcto.",
            who,
            n,
            release
        ),
        Stage::Confirmed => say!(
            lang,
            "{who} {n} is confirmed fixed. Thank you.",
            "{who} {n} queda confirmada como corregida. Gracias.",
            who,
            n
        ),
        Stage::Rejected => say!(lang, "{who} {n} was rejected.", "{who} {n} ha sido rechazada.", who, n),
    };
    if let Some(note) = note {
        let label = match (to, lang) {
            (Stage::Rejected, Language::En) => "Reason",
            (Stage::Rejected, Language::Es) => "Motivo",
            (_, Language::En) => "Note",
            (_, Language::Es) => "Nota",
        };
        msg.push_text(&format!("\n{label}: {note}"));
    }
    msg
}

/// The reminder to phone the priority line outside working hours.
pub(super) fn phone_reminder(lang: Language, customer: &Customer) -> Msg {
    let name = &customer.name;
    match &customer.phone {
        Some(phone) => say!(
            lang,
            "It is outside {name}'s working hours: please also phone the priority line at {phone}.",
            "Es fuera del horario laboral de {name}: llama también a la línea prioritaria, al {phone}.",
            name,
            phone
        ),
        None => say!(
            lang,
            "It is outside {name}'s working hours: please also phone the priority line.",
            "Es fuera del horario laboral de {name}: llama también a la línea prioritaria.",
            name
        ),
    }
}
