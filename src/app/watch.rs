//! The watcher's half of the application layer: due escalation steps become
//! posts and card updates, and a sent step is recorded (a breach as an event
//! at its deadline). The loop that drives it is `crate::scheduler`.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};

use super::i18n;
use super::msg::{say, Msg, Span, TimeStyle};
use super::{when, App, AppError, Effect, Place, PostKey};
use crate::domain::customer::Customer;
use crate::domain::escalation::{Destination, Recipient, Step, Trigger};
use crate::domain::ticket::{EventKind, Ticket, TicketNumber};

/// How long a claim holds before another instance may take the notification
/// (longer than a delivery with all its retries).
pub const LEASE: Duration = Duration::from_secs(30);

/// A claimed notification and what to post for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Due {
    pub id: i64,
    pub ticket_id: i64,
    pub ticket: TicketNumber,
    pub trigger: Trigger,
    pub due_at: DateTime<Utc>,
    pub late: bool,
    pub effects: Vec<Effect>,
}

impl App {
    /// Claims the notifications due now (at most `limit`, earliest first) and
    /// says what each posts. Steps made moot meanwhile are dropped here.
    pub async fn claim_due(&self, limit: i64) -> Result<Vec<Due>, AppError> {
        let now = self.now();
        let lease = chrono::Duration::from_std(LEASE).unwrap_or_default();
        let mut due = Vec::new();
        for c in self.store.claim_due(now, now + lease, limit).await? {
            let ticket = self.store.ticket_by_id(c.ticket_id).await?;
            let customer = ticket.as_ref().and_then(|t| self.config.customer(t.number.customer.as_str()));
            let (Some(ticket), Some(customer)) = (ticket, customer) else {
                self.store.drop_notification(c.id).await?;
                continue;
            };
            let Ok(trigger) = Trigger::parse(&c.step) else {
                tracing::warn!(ticket = %ticket.number, step = %c.step, "a stored step no version knows; dropped");
                self.store.drop_notification(c.id).await?;
                continue;
            };
            // Answered or closed after the claim's schedule was written: only
            // a breach that came before the answer is still news.
            let breached_unanswered = trigger == Trigger::Breach && ticket.acked_at.is_none_or(|a| a > c.due_at);
            if !ticket.is_unanswered() && !breached_unanswered {
                self.store.drop_notification(c.id).await?;
                continue;
            }
            let late = (now - c.due_at).to_std().is_ok_and(|d| d > self.config.late_after);
            let effects = self.step_effects(customer, &ticket, trigger, c.due_at, late, c.id)?;
            due.push(Due {
                id: c.id,
                ticket_id: c.ticket_id,
                ticket: ticket.number,
                trigger,
                due_at: c.due_at,
                late,
                effects,
            });
        }
        Ok(due)
    }

    /// Records a notification as sent; a breach becomes an event at its deadline.
    pub async fn notification_sent(&self, due: &Due) -> Result<(), AppError> {
        let breach = EventKind::Breached { due_at: due.due_at };
        let breached = due.trigger == Trigger::Breach;
        let event = breached.then_some((due.ticket_id, due.due_at, &breach));
        let now = self.now();
        if self.store.mark_sent(due.id, now, due.late, event).await? {
            tracing::info!(ticket = %due.ticket, step = %due.trigger.name(), late = due.late, "notification sent");
            let m = &self.metrics;
            m.notifications_sent.inc();
            if due.late {
                m.notifications_late.inc();
            }
            if breached {
                m.breaches.inc();
            }
            m.notification_lag_seconds.observe((now - due.due_at).to_std().unwrap_or_default().as_secs_f64());
        }
        Ok(())
    }

    /// Gives a notification whose delivery failed back to the schedule.
    pub async fn notification_failed(&self, due: &Due) -> Result<(), AppError> {
        tracing::warn!(ticket = %due.ticket, step = %due.trigger.name(), "notification not delivered; it will be retried");
        Ok(self.store.release(due.id).await?)
    }

    /// Frees the claims a process that died left behind; only where this
    /// process is the database's one user (SQLite). Returns how many.
    pub async fn release_all_claims(&self) -> Result<u64, AppError> {
        Ok(self.store.release_all_claims().await?)
    }

    /// When the next notification falls due, if any is pending.
    pub async fn next_due(&self) -> Result<Option<DateTime<Utc>>, AppError> {
        Ok(self.store.next_due().await?)
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

    /// Woken whenever a ticket change may have moved the next due instant.
    pub fn wake_handle(&self) -> Arc<tokio::sync::Notify> {
        self.wake.clone()
    }

    fn step_effects(
        &self,
        customer: &Customer,
        ticket: &Ticket,
        trigger: Trigger,
        due_at: DateTime<Utc>,
        late: bool,
        id: i64,
    ) -> Result<Vec<Effect>, AppError> {
        let (plan, calendar) = self.sla(customer)?;
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
                    n = n.clone(),
                    level,
                    summary,
                    p,
                    due
                )
            }
            Trigger::Breach => {
                say!(
                    lang,
                    "{mentions}{n} ({level}, {summary}) BREACHED its first-response target: no qualified first response by {at}.",
                    "{mentions}{n} ({level}, {summary}) ha INCUMPLIDO su objetivo: sin primera respuesta cualificada a las {at}.",
                    mentions = &mentions,
                    n = n.clone(),
                    level,
                    summary,
                    at = at.clone()
                )
            }
        };
        if late {
            text.append(say!(
                lang,
                " (Sent late: it was due {at}, while the bot was unavailable.)",
                " (Enviado con retraso: vencía {at}, cuando el bot no estaba disponible.)",
                at
            ));
        }
        let mut effects = Vec::new();
        for (index, destination) in step.post.iter().enumerate() {
            let (place, msg) = match destination {
                Destination::Thread => (Place::Ticket(ticket.number.clone()), text.clone()),
                Destination::EscalationChannel => {
                    let Some(channel) = self.config.discord.as_ref().and_then(|d| d.escalation_channel) else {
                        continue;
                    };
                    let mut msg = text.clone();
                    if let Some(t) = ticket.thread_id {
                        msg.push_text(" ");
                        msg.push(Span::channel(t));
                    }
                    (Place::Channel(channel), msg)
                }
            };
            effects.push(Effect::Post {
                place,
                msg,
                ping: users.clone(),
                ping_roles: roles.clone(),
                // Stable across restarts: a resend is recognised, not reposted.
                key: Some(PostKey { notification: id, index }),
            });
        }
        if ticket.is_unanswered() {
            effects.push(Effect::UpdateCard { card: self.card(customer, ticket)? });
        }
        Ok(effects)
    }
}
