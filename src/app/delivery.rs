//! The outbox's delivery lifecycle, one job at a time. The scheduler claims
//! due jobs, each under a lease of its own; the application resolves a job
//! into [`Action`]s on concrete channels (posts worded by `posts.rs` in the
//! customer's language at that moment); the adapter carries them out,
//! asking before each action that creates something whether the job is
//! still this instance's, while the lease is renewed; then the application
//! records the job sent (with the thread it created, or the breach it
//! announced), retries it later, or ends it as failed and says so where it
//! can be read. A job that fails to resolve is retried on its own, and a
//! job this version does not know is left for an instance that does.

use std::collections::HashMap;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::application::{App, AppError};
use super::commands::{Closed, CommandPost};
use super::jobs::{
    Action, Deliver, Delivery, DeliveryError, Effect, Job, Lease, Lost, Permanent, PostKey, Receipt, Urgency,
};
use super::msg::{say, Msg, Span};
use super::posts::{Facts, Place, ThreadPost};
use super::summary::{late_note, summary_job};
use super::tickets::Change;
use super::transcript::TRANSCRIPT_PATIENCE;
use super::words;
use crate::domain::customer::Snowflake;
use crate::domain::customer::{Customer, Language};
use crate::domain::summary::Week;
use crate::domain::ticket::{EventKind, Ticket, TicketNumber};
use crate::storage::{Claimed, Escalate, Finish, GroupMessage, Line, Once, Reschedule, Shown};

/// The bot, as the actor of what it does by itself (recording a breach,
/// closing an unanswered wait).
pub const BOT: Snowflake = Snowflake(0);

/// How long a claim holds before another instance may take the job, unless
/// its holder renews it: an instance that dies holds its jobs at most this
/// long (on SQLite, its successor takes them back at start).
pub const LEASE: Duration = Duration::from_secs(30);

/// While a delivery runs, its lease is renewed this often.
const RENEW_EVERY: Duration = Duration::from_secs(10);

/// The longest a delivery may take: the scheduler abandons one that runs
/// longer (a try whose outcome is then unknown, retried later).
pub const DELIVERY_BUDGET: Duration = Duration::from_secs(90);

/// After a failed try, the pause before the next: doubling from this.
pub const RETRY_FIRST: Duration = Duration::from_secs(5);
/// … up to this.
pub const RETRY_MAX: Duration = Duration::from_secs(300);

/// A job of a kind this version does not know waits this long for an
/// instance that does (a rolling upgrade), each time it is met.
pub const UNKNOWN_PAUSE: Duration = Duration::from_secs(30);

/// A claimed job and its ticket as the claim found it, ready to deliver.
/// It counts in `deliveries_in_flight` from its claim until it is dropped.
#[derive(Debug)]
pub struct Due {
    row: Claimed,
    ticket: Option<Ticket>,
    _in_flight: InFlight,
}

/// One job in `deliveries_in_flight`, while it lives.
#[derive(Debug)]
struct InFlight(prometheus_client::metrics::gauge::Gauge);

impl InFlight {
    fn new(gauge: &prometheus_client::metrics::gauge::Gauge) -> InFlight {
        gauge.inc();
        InFlight(gauge.clone())
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.dec();
    }
}

/// How one job's turn ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Done {
    Sent {
        late: bool,
    },
    /// It failed: it will be tried again, or it ended as failed.
    Failed,
    /// Nothing left to do (moot), or not this instance's to do (another
    /// took it over, or this version does not know it).
    Left,
}

/// A job's hold, checked against the database.
struct Held<'a> {
    app: &'a App,
    row: &'a Claimed,
}

#[async_trait]
impl Lease for Held<'_> {
    async fn held(&self) -> bool {
        match self.app.store.holds(self.row, self.app.now()).await {
            Ok(held) => held,
            Err(e) => {
                // Unsure: better to stop than to create something twice.
                tracing::warn!(job = self.row.id, error = %e, "cannot tell whether the job is still this instance's");
                false
            }
        }
    }
}

/// The line a transcript is posted with: the ticket, its customer and
/// summary, and what the record holds.
fn transcript_line(t: &super::transcript::Transcript) -> Msg {
    let (lang, n) = (t.lang, Span::strong(&t.ticket.number));
    let (customer, summary) = (&t.customer, &t.ticket.summary);
    let messages = t.messages.len();
    let files = t.messages.iter().map(|m| m.files.len()).sum::<usize>();
    say!(
        lang,
        "Transcript of {n} · {customer} · {summary} (messages: {messages}, files: {files})",
        "Transcripción de {n} · {customer} · {summary} (mensajes: {messages}, archivos: {files})",
        n,
        customer,
        summary,
        messages,
        files
    )
}

/// What a failure needs of its job.
#[derive(Clone, Copy)]
struct Failing<'a> {
    row: &'a Claimed,
    /// Why it failed for good, when it did.
    problem: Option<Permanent>,
    ticket: Option<&'a TicketNumber>,
    what: &'a str,
    /// The job, unless it is a command's post.
    job: Option<&'a Job>,
    /// The actions it was to carry out, if it got that far.
    actions: &'a [Action],
}

/// A job as the outbox stores it: one of the outbox's own, or a command's
/// post.
enum Stored {
    Job(Job),
    Post(CommandPost),
}

impl Stored {
    fn job(&self) -> Option<&Job> {
        match self {
            Stored::Job(job) => Some(job),
            Stored::Post(_) => None,
        }
    }

    /// Its posts, worded from the ticket's facts now.
    fn posts(&self, f: &Facts) -> Vec<super::posts::Post> {
        match self {
            Stored::Job(job) => job.posts(f),
            Stored::Post(post) => post.posts(f),
        }
    }
}

impl App {
    /// Claims the jobs due now (at most `limit`, earliest first, one per
    /// ticket at a time), each under a lease of this instance, with their
    /// tickets (read in one query).
    pub async fn claim_due(&self, limit: usize) -> Result<Vec<Due>, AppError> {
        self.claim_due_up_to(limit, None).await
    }

    /// [`App::claim_due`], of an urgency up to `most` only (the
    /// scheduler keeps a few deliveries' room for what is urgent).
    pub async fn claim_due_up_to(&self, limit: usize, most: Option<Urgency>) -> Result<Vec<Due>, AppError> {
        let now = self.now();
        let lease = chrono::Duration::from_std(LEASE).unwrap_or_default();
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        // The class's least urgent rank.
        let most = most.map(|u| u.rank(Some(crate::domain::sla::Severity::Low)));
        let claimed = self.store.claim_due(now, now + lease, (limit, most), &self.instance).await?;
        let ids: Vec<i64> = claimed.iter().filter_map(|c| c.ticket_id).collect();
        let mut tickets: HashMap<i64, Ticket> = self.store.tickets_by_ids(&ids).await?;
        Ok(claimed
            .into_iter()
            .map(|row| Due {
                ticket: row.ticket_id.and_then(|id| tickets.remove(&id)),
                row,
                _in_flight: InFlight::new(&self.metrics.deliveries_in_flight),
            })
            .collect())
    }

    /// Delivers one claimed job through `out` and records how it went.
    /// Never fails: what goes wrong is retried later (the database, say), or
    /// ends the job as failed, and is logged.
    pub async fn deliver_due(&self, due: Due, out: &dyn Deliver) -> Done {
        let Due { row, ticket, _in_flight } = due;
        match self.deliver_row(&row, ticket, out).await {
            Ok(done) => done,
            Err(e) => {
                // Its lease runs out and the job is claimed again.
                tracing::error!(job = row.id, error = %e, "recording a delivery failed; it will be tried again");
                Done::Failed
            }
        }
    }

    async fn deliver_row(&self, row: &Claimed, ticket: Option<Ticket>, out: &dyn Deliver) -> Result<Done, AppError> {
        let now = self.now();
        let what = Job::kind_of(&row.job).unwrap_or_else(|| "unreadable".to_owned());
        let number = ticket.as_ref().map(|t| t.number.clone());
        let parsed = match serde_json::from_str::<Job>(&row.job) {
            Ok(Job::Unknown) => serde_json::from_str::<CommandPost>(&row.job).map(Stored::Post),
            other => other.map(Stored::Job),
        };
        let stored = match parsed {
            Ok(Stored::Post(CommandPost::Unknown)) => return self.unknown(row, number.as_ref(), &what).await,
            Ok(stored) => stored,
            Err(e) => {
                // A kind this version knows, in a shape it does not: the
                // usual retries, then failed.
                tracing::error!(job = row.id, %what, error = %e, "an outbox row that cannot be read");
                let failing =
                    Failing { row, problem: None, ticket: number.as_ref(), what: &what, job: None, actions: &[] };
                return self.failed(&failing, &DeliveryError::Transient(format!("unreadable job: {e}"))).await;
            }
        };
        let job = stored.job();
        let failing = |actions| Failing { row, problem: None, ticket: number.as_ref(), what: &what, job, actions };
        if let (Some(Job::WaitClose { since }), Some(ticket)) = (job, &ticket) {
            return self.close_unanswered(row, ticket, *since).await;
        }
        if let (Some(Job::Transcript), Some(ticket)) = (job, &ticket) {
            if self.transcript_waits(row, ticket).await? {
                return Ok(Done::Left);
            }
        }
        let delivery = match self.resolve(row, &stored, ticket, now).await {
            Ok(Some(delivery)) => delivery,
            Ok(None) => {
                self.store.finish(row.id, now, &Finish::Dropped).await?;
                return Ok(Done::Left);
            }
            Err(e) => {
                tracing::error!(job = row.id, %what, error = %e, "a job could not be resolved");
                let transient = DeliveryError::Transient(format!("resolving the job failed: {e}"));
                return self.failed(&failing(&[]), &transient).await;
            }
        };
        let held = Held { app: self, row };
        let renewing = async {
            loop {
                self.sleep_until(self.now() + chrono::Duration::from_std(RENEW_EVERY).unwrap_or_default()).await;
                let until = self.now() + chrono::Duration::from_std(LEASE).unwrap_or_default();
                match self.store.renew(row, until).await {
                    Ok(true) => {}
                    // Taken over: the delivery finds out before it creates anything.
                    Ok(false) => std::future::pending::<()>().await,
                    Err(e) => tracing::warn!(job = row.id, error = %e, "cannot renew the job's lease"),
                }
            }
        };
        let delivered = tokio::select! {
            result = tokio::time::timeout(DELIVERY_BUDGET, out.deliver(&delivery, &held)) => match result {
                Ok(result) => result,
                Err(_) => Err(DeliveryError::Transient(format!("abandoned after {DELIVERY_BUDGET:?}"))),
            },
            () = renewing => unreachable!("renewing never ends"),
        };
        match delivered {
            Ok(receipt) => self.delivered(&delivery, receipt).await,
            Err(DeliveryError::Taken) => {
                tracing::warn!(job = row.id, %what, "another instance took the job over; leaving it to that one");
                Ok(Done::Left)
            }
            Err(e) => self.failed(&failing(&delivery.actions), &e).await,
        }
    }

    /// Whether a closed ticket's transcript waits for files still being
    /// downloaded (looked at again shortly), for at most
    /// [`TRANSCRIPT_PATIENCE`] after it fell due.
    async fn transcript_waits(&self, row: &Claimed, ticket: &Ticket) -> Result<bool, AppError> {
        let now = self.now();
        let patience = chrono::Duration::from_std(TRANSCRIPT_PATIENCE).unwrap_or_default();
        if now - row.due_at >= patience {
            return Ok(false);
        }
        let pending = self.store.pending_files(ticket.id).await?;
        if pending == 0 {
            return Ok(false);
        }
        let again = (now + chrono::Duration::seconds(15)).min(row.due_at + patience);
        let waiting = format!("waiting for {pending} file(s) to be kept");
        self.store.retry_later(row.id, now, again, &waiting).await?;
        tracing::info!(ticket = %ticket.number, pending, "the transcript waits for its files");
        Ok(true)
    }

    /// A wait left unanswered for `[followup].close_after`: the bot closes
    /// the ticket (its closing post and the thread's archiving are jobs of
    /// their own), unless the wait ended meanwhile.
    async fn close_unanswered(&self, row: &Claimed, ticket: &Ticket, since: DateTime<Utc>) -> Result<Done, AppError> {
        let now = self.now();
        let Some((closed, event)) = ticket.close_unanswered(now, since) else {
            self.store.finish(row.id, now, &Finish::Dropped).await?;
            return Ok(Done::Left);
        };
        let jobs: Vec<Effect> = vec![
            Job::Card.into(),
            Closed { by: BOT, resolution: None, unanswered_since: Some(since) }.into(),
            Job::Archive { archived: true }.into(),
        ];
        let change = Change { ticket: &closed, events: vec![event], reschedule: Reschedule::Cancel, jobs };
        match self.commit_releasing(BOT, None, &[change], None).await {
            Ok(_) => {}
            // Changed meanwhile (an answer came): the job is tried again and finds out.
            Err(AppError::Refused(_)) => return Ok(Done::Left),
            Err(e) => return Err(e),
        }
        tracing::info!(ticket = %ticket.number, "closed: no answer from the customer");
        let finish = Finish::Sent { late: false, event: None, thread: None, next: None, escalate: None, shown: None };
        self.store.finish(row.id, now, &finish).await?;
        Ok(Done::Sent { late: false })
    }

    /// A job this version cannot read: left for an instance that can (a
    /// newer one, during a rolling upgrade), logged the first time this
    /// instance meets it; failed only when no instance took it for
    /// `[discord].give_up_after`.
    async fn unknown(&self, row: &Claimed, number: Option<&TicketNumber>, what: &str) -> Result<Done, AppError> {
        let now = self.now();
        let waiting_for = (now - row.failing_since.unwrap_or(now)).to_std().unwrap_or_default();
        if waiting_for >= self.give_up_after() {
            let failing = Failing { row, problem: None, ticket: number, what, job: None, actions: &[] };
            let error = DeliveryError::Transient(format!("no running version knows jobs of kind \"{what}\""));
            return self.failed(&failing, &error).await;
        }
        if self.seen_unknown.lock().unwrap_or_else(|p| p.into_inner()).insert(row.id) {
            tracing::warn!(job = row.id, kind = %what, "a job this version does not know; left for an instance that does");
            self.metrics.jobs_unknown.inc();
        }
        let retry_at = now + chrono::Duration::from_std(UNKNOWN_PAUSE).unwrap_or_default();
        self.store.retry_later(row.id, now, retry_at, &format!("unknown job kind \"{what}\"")).await?;
        Ok(Done::Left)
    }

    /// The delivery of a claimed job (of `ticket`), or `None` if it has
    /// nothing left to do.
    async fn resolve(
        &self,
        c: &Claimed,
        stored: &Stored,
        ticket: Option<Ticket>,
        now: DateTime<Utc>,
    ) -> Result<Option<Delivery>, AppError> {
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
            urgency: c.urgency,
            job: stored.job().cloned(),
            lines: Vec::new(),
            group: None,
        };
        let key = |index: usize| PostKey { job: c.id, index: u8::try_from(index).unwrap_or(u8::MAX) };
        match stored.job() {
            Some(Job::Undeliverable { to, failed_in, lost }) => {
                let lang = customer.map_or(Language::En, |c| c.language);
                let msg = undeliverable(lang, delivery.ticket.as_ref(), *failed_in, lost);
                // The original's mentions are not repeated as pings.
                let (channel, ping, roles) = (*to, vec![], vec![]);
                delivery.actions.push(Action::Post {
                    channel,
                    msg,
                    lang,
                    ping,
                    roles,
                    key: key(0),
                    thread: false,
                    buttons: vec![],
                });
                return Ok(Some(delivery));
            }
            Some(Job::Summary { channel, customer, week }) => {
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
            Some(&Job::Escalation { group }) => {
                let Some(g) = self.store.escalation_group(group).await? else { return Ok(None) };
                let (msg, lang, ping, roles) = group_message(&g)?;
                delivery.group = Some((group, g.lines.len()));
                let (channel, message) = (g.channel, g.message);
                delivery.actions.push(Action::Escalation { channel, message, msg, lang, ping, roles, group });
                return Ok(Some(delivery));
            }
            _ => {}
        }
        let (Some(ticket), Some(customer)) = (ticket, customer) else {
            tracing::warn!(
                job = c.id,
                what = delivery.what,
                "a job of a ticket that no longer exists, or of a customer no longer configured; dropped"
            );
            return Ok(None);
        };
        let (plan, calendar) = self.sla(customer)?;
        match stored.job() {
            Some(Job::Thread { members, with_card }) => {
                let card = match with_card {
                    true => Some(Box::new(self.card(customer, &ticket)?)),
                    false => None,
                };
                if ticket.thread_id.is_none() || (card.is_some() && ticket.card_message_id.is_none()) {
                    delivery.actions.push(Action::OpenThread {
                        parent: customer.support_channel,
                        name: ticket.thread_name(),
                        members: members.clone(),
                        card,
                        key: key(0),
                    });
                }
            }
            Some(Job::Card) => match (ticket.thread_id, ticket.card_message_id) {
                (Some(thread), None) => {
                    let card = Box::new(self.card(customer, &ticket)?);
                    delivery.actions.push(Action::PostCard { thread, card, key: key(0) });
                }
                _ => delivery.actions.extend(self.card_edit(customer, &ticket)?),
            },
            Some(Job::Members { users }) => {
                if let Some(thread) = ticket.thread_id {
                    delivery.actions.extend(users.iter().map(|&user| Action::AddMember { thread, user }));
                }
            }
            Some(&Job::Leave { user }) => {
                if let Some(thread) = ticket.thread_id {
                    delivery.actions.push(Action::RemoveMember { thread, user });
                }
            }
            Some(&Job::Join { user }) => {
                if let Some(thread) = ticket.thread_id {
                    delivery.actions.push(Action::AddMember { thread, user });
                }
            }
            Some(&Job::Archive { archived }) => {
                if let Some(thread) = ticket.thread_id {
                    delivery.actions.push(Action::ArchiveThread { thread, archived });
                }
            }
            Some(Job::Transcript) => {
                // Transcripts turned off since the closing: none.
                let Some(t) = self.config.transcripts else { return Ok(None) };
                let Some(transcript) = self.transcript(&ticket.number).await? else { return Ok(None) };
                let msg = transcript_line(&transcript);
                let document = transcript.document();
                delivery.actions.push(Action::Transcript { channel: t.channel, msg, document, key: key(0) });
            }
            _ => {
                let discord = self.config.discord.as_ref();
                let facts = Facts {
                    ticket: &ticket,
                    customer,
                    calendar,
                    target: plan.targets.get(ticket.severity),
                    policy: self.config.escalation(&plan.name).map_err(AppError::Config)?,
                    escalation_role: discord.and_then(|d| d.escalation_role),
                    specialist_role: self.config.signatures.specialist_role,
                    due_at: c.due_at,
                    late,
                    close_at: ticket.waiting_since.zip(self.config.followup.close_after).and_then(|(since, after)| {
                        chrono::Duration::from_std(after).ok().and_then(|d| since.checked_add_signed(d))
                    }),
                    satisfaction: self.config.satisfaction.enabled,
                };
                let mut card = false;
                for post in stored.posts(&facts) {
                    // A breach a change revealed is news, not a late notice.
                    delivery.late &= !post.news;
                    delivery.record = delivery.record.or(post.record.clone());
                    card |= post.card;
                    for place in &post.to {
                        let (channel, thread, msg) = match place {
                            Place::Thread => (
                                ticket.thread_id.unwrap_or(customer.support_channel),
                                ticket.thread_id.is_some(),
                                post.msg.clone(),
                            ),
                            // A line of the channel's grouped message.
                            Place::EscalationChannel => {
                                let Some(channel) = discord.and_then(|d| d.escalation_channel) else { continue };
                                let line = EscalationLine {
                                    msg: escalation_line(&ticket, customer, &post),
                                    lang: customer.language,
                                };
                                delivery.lines.push(Line {
                                    channel,
                                    due_at: c.due_at,
                                    line: serde_json::to_string(&line).map_err(|e| AppError::Config(e.to_string()))?,
                                    length: line.msg.max_len(),
                                    ping: post.ping.clone(),
                                    roles: post.roles.clone(),
                                });
                                continue;
                            }
                        };
                        delivery.actions.push(Action::Post {
                            channel,
                            msg,
                            lang: customer.language,
                            ping: post.ping.clone(),
                            roles: post.roles.clone(),
                            key: key(delivery.actions.len()),
                            thread,
                            buttons: post.buttons.clone(),
                        });
                    }
                }
                if delivery.actions.is_empty() && delivery.lines.is_empty() {
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
    async fn delivered(&self, delivery: &Delivery, receipt: Receipt) -> Result<Done, AppError> {
        let event = delivery.ticket_id.zip(delivery.record.as_ref()).map(|(ticket, e)| (ticket, delivery.due_at, e));
        let made = receipt.thread.is_some() || receipt.card.is_some();
        let thread = delivery.ticket_id.filter(|_| made).map(|t| (t, receipt.thread, receipt.card));
        let now = self.now();
        let next = self.next_of(delivery.job.as_ref());
        let group_job = |group| Job::Escalation { group }.queued(now, None);
        let escalate = (!delivery.lines.is_empty()).then(|| Escalate {
            job: delivery.id,
            ticket: delivery.ticket_id,
            lines: &delivery.lines,
            window: chrono::Duration::from_std(self.config.group_window).unwrap_or_default(),
            group_job: &group_job,
        });
        let shown = delivery.group.zip(receipt.message).map(|((group, lines), message)| Shown {
            group,
            message,
            lines,
            group_job: &group_job,
        });
        let finish = Finish::Sent { late: delivery.late, event, thread, next, escalate, shown };
        if self.store.finish(delivery.id, now, &finish).await? {
            let ticket = delivery.ticket.as_ref().map(ToString::to_string).unwrap_or_default();
            tracing::info!(job = delivery.id, %ticket, what = delivery.what, late = delivery.late, "delivered");
            let m = &self.metrics;
            m.notifications_sent.inc();
            if delivery.late {
                m.notifications_late.inc();
            }
            match delivery.record {
                Some(EventKind::Breached { .. }) => m.breaches.inc(),
                Some(EventKind::UpdateOverdue { .. }) => m.updates_overdue.inc(),
                _ => 0,
            };
            m.notification_lag_seconds.observe((now - delivery.due_at).to_std().unwrap_or_default().as_secs_f64());
        }
        Ok(Done::Sent { late: delivery.late })
    }

    /// A job that failed: tried again after a pause that doubles, or, when
    /// retrying cannot help or it has failed for too long, ended as failed
    /// with the reason and said where it can be read instead.
    async fn failed(&self, f: &Failing<'_>, error: &DeliveryError) -> Result<Done, AppError> {
        let (now, row, what) = (self.now(), f.row, f.what);
        let ticket = f.ticket.map(ToString::to_string).unwrap_or_default();
        let failing_for = (now - row.failing_since.unwrap_or(now)).to_std().unwrap_or_default();
        let (action, problem, detail) = match error {
            DeliveryError::Transient(detail) if failing_for < self.give_up_after() => {
                let pause = RETRY_FIRST.saturating_mul(1 << row.attempts.clamp(1, 16).saturating_sub(1)).min(RETRY_MAX);
                let retry_at = now + chrono::Duration::from_std(pause).unwrap_or_default();
                tracing::warn!(job = row.id, %ticket, what, error = %detail, retry_in = ?pause,
                               "delivery failed; it will be tried again");
                self.store.retry_later(row.id, now, retry_at, detail).await?;
                return Ok(Done::Failed);
            }
            DeliveryError::Transient(detail) => (None, Permanent::GaveUp, detail.clone()),
            DeliveryError::Permanent { action, problem, detail } => (Some(*action), *problem, detail.clone()),
            DeliveryError::Taken => return Ok(Done::Left),
        };
        let reason = format!("{problem:?}: {detail}");
        let f = &Failing { problem: Some(problem), ..*f };
        let instead = self.instead(f, action).map(|job| (row.ticket_id, job.queued(now, None)));
        let next = self.next_of(f.job);
        if self.store.finish(row.id, now, &Finish::Failed { reason: &reason, instead, next }).await? {
            tracing::error!(job = row.id, %ticket, what, %reason, "delivery failed for good");
            self.metrics.notifications_failed.inc();
        }
        Ok(Done::Failed)
    }

    fn give_up_after(&self) -> Duration {
        self.config.discord.as_ref().map_or(crate::config::DEFAULT_GIVE_UP_AFTER, |d| d.give_up_after)
    }

    /// The job that follows a delivered (or failed) one: next week's summary.
    fn next_of(&self, job: Option<&Job>) -> Option<Once> {
        let Some(Job::Summary { channel, customer, week }) = job else { return None };
        let s = self.config.summary(*channel, customer.as_deref())?;
        Some(summary_job(s, week.parse::<Week>().ok()?.next()))
    }

    /// What to post instead of a job whose `action` failed for good (none:
    /// it failed before it had any): in the customer's support channel, or
    /// the escalation channel when it was the support channel that failed
    /// (or the job was already a stand-in there); a thread refused for the
    /// server's limit of active threads is said in the support channel.
    fn instead(&self, f: &Failing, action: Option<usize>) -> Option<Job> {
        let escalation = self.config.discord.as_ref().and_then(|d| d.escalation_channel);
        let support = f.ticket.and_then(|n| self.config.customer(n.customer.as_str())).map(|c| c.support_channel);
        let (failed_in, lost) = match action.map(|i| f.actions.get(i)) {
            None => (None, Lost::Job { what: f.what.to_owned() }),
            Some(None) => return None,
            Some(Some(action)) => match action {
                Action::OpenThread { parent, .. } if f.problem == Some(Permanent::ThreadLimit) => {
                    (Some(*parent), Lost::ThreadLimit)
                }
                Action::OpenThread { parent, .. } => (Some(*parent), Lost::Thread),
                Action::Post { channel, msg, .. } => (Some(*channel), Lost::Post { msg: msg.clone() }),
                Action::EditCard { channel, .. } => (Some(*channel), Lost::Card),
                Action::PostCard { thread, .. } => (Some(*thread), Lost::Card),
                Action::Escalation { channel, msg, .. } => (Some(*channel), Lost::Post { msg: msg.clone() }),
                Action::Summary { channel, post, .. } => (Some(*channel), Lost::Post { msg: post.msg.clone() }),
                Action::Transcript { channel, msg, .. } => (Some(*channel), Lost::Post { msg: msg.clone() }),
                // Membership and archiving that cannot be done leave nothing to say.
                Action::RemoveMember { .. } | Action::AddMember { .. } | Action::ArchiveThread { .. } => return None,
            },
        };
        let to = match f.job {
            Some(Job::Undeliverable { to, .. }) if Some(*to) == escalation => return None,
            Some(Job::Undeliverable { .. }) => escalation?,
            // The support channel works; only its threads are full.
            _ if lost == Lost::ThreadLimit => support.or(escalation)?,
            _ if failed_in.is_some() && failed_in == support => escalation?,
            _ => support.or(escalation)?,
        };
        Some(Job::Undeliverable { to, failed_in: failed_in.unwrap_or(to), lost })
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

/// The notice of a job that could not be delivered where it should have
/// been, said elsewhere (of `ticket`, if it has one).
fn undeliverable(lang: Language, ticket: Option<&TicketNumber>, failed_in: Snowflake, lost: &Lost) -> Msg {
    let place = Span::channel(failed_in);
    let n = ticket.map(ToString::to_string).unwrap_or_default();
    match lost {
        Lost::Thread => say!(
            lang,
            "Could not create the thread of {n} in {place}: the bot lacks access there, or the channel is gone. \
             Its posts come here meanwhile.",
            "No se pudo crear el hilo de {n} en {place}: el bot no tiene acceso o el canal ya no existe. \
             Sus mensajes llegan aquí mientras tanto.",
            n,
            place
        ),
        Lost::ThreadLimit => say!(
            lang,
            "Could not create the thread of {n} in {place}: the server has as many active threads as Discord allows \
             (1,000). Closing tickets archives theirs; meanwhile its posts come here.",
            "No se pudo crear el hilo de {n} en {place}: el servidor tiene tantos hilos activos como permite Discord \
             (1000). Al cerrar tickets se archivan los suyos; mientras tanto sus mensajes llegan aquí.",
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
        Lost::Job { what } if ticket.is_none() => say!(
            lang,
            "A notification ({what}) could not be delivered: it failed on our side and was logged.",
            "No se pudo entregar un aviso ({what}): falló por nuestra parte y quedó registrado.",
            what
        ),
        Lost::Job { what } => say!(
            lang,
            "A notification of {n} ({what}) could not be delivered: it failed on our side and was logged.",
            "No se pudo entregar un aviso de {n} ({what}): falló por nuestra parte y quedó registrado.",
            n,
            what
        ),
        Lost::Post { msg } => say!(
            lang,
            "Could not post in {place} ({n}); the message was:\n{msg}",
            "No se pudo publicar en {place} ({n}); el mensaje era:\n{msg}",
            place,
            n,
            msg = msg.clone()
        ),
    }
}

/// A notice's line in the escalation channel: the ticket, its customer, its
/// severity, what happened, its thread, and whom it pings.
fn escalation_line(ticket: &Ticket, customer: &Customer, post: &super::posts::Post) -> Msg {
    let lang = customer.language;
    let mut line = Msg::from(Span::text("• "));
    line.push(Span::strong(&ticket.number));
    line.push_text(&format!(" · {} · {} · ", customer.name, words::severity(lang, ticket.severity)));
    line.append(post.what.clone().unwrap_or_else(|| post.msg.clone()));
    if let Some(thread) = ticket.thread_id {
        line.push_text(" · ");
        line.push(Span::channel(thread));
    }
    for user in &post.ping {
        line.push_text(" ");
        line.push(Span::user(*user));
    }
    line
}

/// A notice's line in the escalation channel, as stored: worded in its
/// customer's language, like the ticket's own post.
#[derive(serde::Serialize, serde::Deserialize)]
struct EscalationLine {
    msg: Msg,
    lang: Language,
}

/// An escalation group's message: the roles its lines ping, once, then
/// each line; the language of its first line (in which an adapter writes
/// its times); and everyone it may notify.
fn group_message(g: &GroupMessage) -> Result<(Msg, Language, Vec<Snowflake>, Vec<Snowflake>), AppError> {
    let (mut ping, mut roles) = (Vec::new(), Vec::new());
    let mut lines = Vec::new();
    let mut lang = None;
    for (line, users, rs) in &g.lines {
        let line: EscalationLine =
            serde_json::from_str(line).map_err(|e| AppError::Config(format!("an escalation line: {e}")))?;
        lang = lang.or(Some(line.lang));
        lines.push(line.msg);
        ping.extend(users.iter().filter(|u| !ping.contains(*u)).copied().collect::<Vec<_>>());
        roles.extend(rs.iter().filter(|r| !roles.contains(*r)).copied().collect::<Vec<_>>());
    }
    let mut msg = Msg::join(roles.iter().map(|r| Msg::from(Span::role(*r))), " ");
    if !msg.is_empty() {
        msg.push_text("\n");
    }
    msg.append(Msg::join(lines, "\n"));
    Ok((msg, lang.unwrap_or_default(), ping, roles))
}
