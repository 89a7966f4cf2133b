//! What the ticket commands share: storing a change with its event, its
//! jobs and its effect on the escalation schedule.

use super::access::Cx;
use super::{refuse, App, AppError, Invocation, Job, Msg, Outcome, Refusal};
use crate::domain::calendar::Calendar;
use crate::domain::ticket::{self, EventKind, Ticket};
use crate::storage::{Queued, Reschedule, TicketChange};

impl App {
    /// The numbers of the tickets this person may act on here that start with
    /// what they typed (`ACME-4` or just `4`), at most 25: for autocomplete.
    /// `None` when another instance took the event and answers it.
    pub async fn ticket_numbers(&self, inv: &Invocation, typed: &str) -> Option<Vec<String>> {
        let numbers = self.visible_numbers(inv, typed).await;
        let outcome = self.answer_once(inv, Outcome::done(Self::lang(inv, None), Msg::default())).await;
        (!outcome.skipped()).then_some(numbers)
    }

    async fn visible_numbers(&self, inv: &Invocation, typed: &str) -> Vec<String> {
        let Ok(actor) = self.actor(inv).await else { return Vec::new() };
        let lang = Self::lang(inv, actor.customer());
        let cx = Cx { inv, actor, lang, claim: None, claimed: Default::default() };
        let Ok(customer) = self.customer_here(&cx).await else { return Vec::new() };
        let Ok(tickets) = self.store.tickets(customer.key.as_str(), true).await else { return Vec::new() };
        let typed = typed.trim().to_uppercase();
        tickets
            .iter()
            .map(|t| t.number.to_string())
            .filter(|n| n.starts_with(&typed) || n.rsplit('-').next().is_some_and(|seq| seq.starts_with(&typed)))
            .take(25)
            .collect()
    }

    /// Stores a change with its event, the jobs it queues (its card update
    /// and posts) and its effect on the escalation steps; a concurrent change
    /// wins and this one is refused with a way forward.
    pub(super) async fn commit(
        &self,
        cx: &Cx<'_>,
        changed: &Ticket,
        event: EventKind,
        reschedule: Reschedule,
        jobs: &[Job],
    ) -> Result<(), AppError> {
        self.commit_all(cx, &[Change { ticket: changed, events: vec![event], reschedule, jobs: jobs.to_vec() }]).await
    }

    /// Stores changes of several tickets in one transaction (all, or none
    /// when one of them changed meanwhile).
    pub(super) async fn commit_all(&self, cx: &Cx<'_>, changes: &[Change<'_>]) -> Result<(), AppError> {
        let now = self.now();
        let queued: Vec<Vec<Queued>> = changes.iter().map(|c| c.jobs.iter().map(|j| j.queued(now)).collect()).collect();
        let stored: Vec<TicketChange> = changes
            .iter()
            .zip(&queued)
            .map(|(c, effects)| TicketChange {
                ticket: c.ticket,
                at: now,
                actor: cx.inv.user,
                events: &c.events,
                reschedule: &c.reschedule,
                effects,
            })
            .collect();
        if !self.store.update_tickets(&stored, cx.claim()).await? {
            let number = changes.first().map(|c| c.ticket.number.clone());
            return match number {
                Some(number) => refuse(Refusal::Conflict { number }),
                None => Ok(()),
            };
        }
        cx.committed();
        self.wake.notify_one();
        for c in changes {
            let events: Vec<&str> = c.events.iter().map(EventKind::name).collect();
            tracing::info!(ticket = %c.ticket.number, ?events, "ticket changed");
        }
        Ok(())
    }
}

/// One ticket's change: the changed ticket, what happened, its steps and
/// the jobs it queues.
pub(super) struct Change<'a> {
    pub ticket: &'a Ticket,
    pub events: Vec<EventKind>,
    pub reschedule: Reschedule,
    pub jobs: Vec<Job>,
}

/// The ticket state machine's refusal, for the reader.
pub(super) fn refused(ticket: &Ticket, calendar: &Calendar, refusal: ticket::Refusal) -> AppError {
    AppError::Refused(Refusal::Ticket { number: ticket.number.clone(), refusal, zone: calendar.zone() })
}
