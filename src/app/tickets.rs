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
        let now = self.now();
        let queued: Vec<Queued> = jobs.iter().map(|j| j.queued(now)).collect();
        let change = TicketChange {
            ticket: changed,
            at: now,
            actor: cx.inv.user,
            event: &event,
            reschedule: &reschedule,
            effects: &queued,
            claim: cx.claim(),
        };
        if !self.store.update_ticket(&change).await? {
            return refuse(Refusal::Conflict { number: changed.number.clone() });
        }
        cx.committed();
        self.wake.notify_one();
        tracing::info!(ticket = %changed.number, event = event.name(), "ticket changed");
        Ok(())
    }
}

/// The ticket state machine's refusal, for the reader.
pub(super) fn refused(ticket: &Ticket, calendar: &Calendar, refusal: ticket::Refusal) -> AppError {
    AppError::Refused(Refusal::Ticket { number: ticket.number.clone(), refusal, zone: calendar.zone() })
}
