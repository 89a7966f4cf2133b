//! The outbox's delivery lifecycle. When a job falls due the scheduler
//! claims it; the application resolves it into [`Action`]s on concrete
//! channels (the posts worded by `posts.rs` in the customer's language at
//! that moment); the adapter carries them out and reports back; the
//! application records the job sent (with the thread it created, or the
//! breach it announced), retries it later, or ends it as failed and says so
//! where it can be read.

use std::time::Duration;

use chrono::{DateTime, Utc};

use super::application::{App, AppError};
use super::jobs::{Action, Delivery, DeliveryError, Job, Lost, Permanent, PostKey, Receipt};
use super::msg::Span;
use super::posts::{self, Facts, Place};
use super::summary::{late_note, summary_job};
use crate::domain::customer::{Customer, Language};
use crate::domain::summary::Week;
use crate::domain::ticket::Ticket;
use crate::storage::{Claimed, Finish, Once};

/// How long a claim holds before another instance may take the job; an
/// instance that dies holds its jobs at most this long (on SQLite, its
/// successor takes them back at start).
pub const LEASE: Duration = Duration::from_secs(120);

/// The longest a delivery may take: the scheduler abandons one that runs
/// longer (a try whose outcome is then unknown, retried later). The lease
/// is taken for the whole batch a claim returns, so a batch of slow
/// deliveries may outlive it.
pub const DELIVERY_BUDGET: Duration = Duration::from_secs(90);

/// After a failed try, the pause before the next: doubling from this.
pub const RETRY_FIRST: Duration = Duration::from_secs(5);
/// … up to this.
pub const RETRY_MAX: Duration = Duration::from_secs(300);

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
            what: Job::kind_of(&c.job).unwrap_or_default(),
            due_at: c.due_at,
            late,
            actions: Vec::new(),
            ticket_id: c.ticket_id,
            record: None,
            attempts: c.attempts,
            failing_since: c.failing_since,
            job: job.clone(),
        };
        let key = |index: usize| PostKey { job: c.id, index: u8::try_from(index).unwrap_or(u8::MAX) };
        match &job {
            Job::Undeliverable { to, failed_in, lost } => {
                let lang = customer.map_or(Language::En, |c| c.language);
                let msg = posts::undeliverable(lang, delivery.ticket.as_ref(), *failed_in, lost);
                // The original's mentions are not repeated as pings.
                let (channel, ping, roles) = (*to, vec![], vec![]);
                delivery.actions.push(Action::Post {
                    channel,
                    msg,
                    ping,
                    roles,
                    key: key(0),
                    thread: false,
                    button: None,
                });
                return Ok(Some(delivery));
            }
            Job::Summary { channel, customer, week } => {
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
            _ => {}
        }
        let (Some(ticket), Some(customer)) = (ticket, customer) else { return Ok(None) };
        let (plan, calendar) = self.sla(customer)?;
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
            Job::Leave { user } => {
                if let Some(thread) = ticket.thread_id {
                    delivery.actions.push(Action::RemoveMember { thread, user });
                }
            }
            job => {
                let discord = self.config.discord.as_ref();
                let facts = Facts {
                    ticket: &ticket,
                    customer,
                    calendar,
                    policy: self.config.escalation(&plan.name).map_err(AppError::Config)?,
                    escalation_role: discord.and_then(|d| d.escalation_role),
                    specialist_role: self.config.signatures.specialist_role,
                    due_at: c.due_at,
                    late,
                };
                let mut card = false;
                for post in posts::post(&job, &facts) {
                    // A breach a change revealed is news, not a late notice.
                    delivery.late &= !post.news;
                    delivery.record = delivery.record.or(post.record);
                    card |= post.card;
                    for place in &post.to {
                        let (channel, thread, mut msg) = match place {
                            Place::Thread => (
                                ticket.thread_id.unwrap_or(customer.support_channel),
                                ticket.thread_id.is_some(),
                                post.msg.clone(),
                            ),
                            Place::EscalationChannel => {
                                let Some(channel) = discord.and_then(|d| d.escalation_channel) else { continue };
                                (channel, false, post.msg.clone())
                            }
                        };
                        if let (Place::EscalationChannel, Some(t)) = (place, ticket.thread_id) {
                            msg.push_text(" ");
                            msg.push(Span::channel(t));
                        }
                        delivery.actions.push(Action::Post {
                            channel,
                            msg,
                            ping: post.ping.clone(),
                            roles: post.roles.clone(),
                            key: key(delivery.actions.len()),
                            thread,
                            button: post.button.clone(),
                        });
                    }
                }
                if delivery.actions.is_empty() {
                    return Ok(None);
                }
                if card {
                    delivery.actions.extend(self.card_edit(customer, &ticket)?);
                }
            }
        }
        Ok(Some(delivery))
    }

    /// Records a job delivered: its thread, the breach it announced.
    pub async fn delivered(&self, delivery: &Delivery, receipt: Receipt) -> Result<(), AppError> {
        let event = delivery.ticket_id.zip(delivery.record.as_ref()).map(|(ticket, e)| (ticket, delivery.due_at, e));
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
            if matches!(delivery.record, Some(crate::domain::ticket::EventKind::Breached { .. })) {
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

    fn give_up_after(&self) -> Duration {
        self.config.discord.as_ref().map_or(crate::config::DEFAULT_GIVE_UP_AFTER, |d| d.give_up_after)
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
}
