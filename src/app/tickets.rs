//! What the ticket commands share: storing a change with its event and its
//! effect on the escalation schedule, and the posts several of them make.

use super::access::Cx;
use super::msg::{say, Msg, Span};
use super::{refuse, when, App, AppError, Effect, Invocation, Place, Refusal};
use crate::domain::calendar::Calendar;
use crate::domain::customer::{Customer, Language, Snowflake};
use crate::domain::ticket::{self, EventKind, Ticket};
use crate::storage::Reschedule;

impl App {
    /// The numbers of the tickets this person may act on here that start with
    /// what they typed (`ACME-4` or just `4`), at most 25: for autocomplete.
    pub async fn ticket_numbers(&self, inv: &Invocation, typed: &str) -> Vec<String> {
        let Ok(actor) = self.actor(inv).await else { return Vec::new() };
        let lang = Self::lang(inv, actor.customer());
        let cx = Cx { inv, actor, lang };
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

    /// Stores a change with its event and its effect on the escalation
    /// schedule; a concurrent change wins and this one is refused with a way
    /// forward. Returns the card update the change makes.
    pub(super) async fn commit(
        &self,
        cx: &Cx<'_>,
        customer: &Customer,
        mut changed: Ticket,
        event: EventKind,
        reschedule: Reschedule,
    ) -> Result<Effect, AppError> {
        if !self.store.update_ticket(&changed, self.now(), cx.inv.user, &event, &reschedule).await? {
            return refuse(Refusal::Conflict { number: changed.number });
        }
        changed.version += 1;
        self.wake.notify_one();
        tracing::info!(ticket = %changed.number, event = event.name(), "ticket changed");
        Ok(Effect::UpdateCard { card: self.card(customer, &changed)? })
    }
}

/// The ticket state machine's refusal, for the reader.
pub(super) fn refused(ticket: &Ticket, calendar: &Calendar, refusal: ticket::Refusal) -> AppError {
    AppError::Refused(Refusal::Ticket { number: ticket.number.clone(), refusal, zone: calendar.zone() })
}

/// The customer's TAM and backup TAM.
pub(super) fn tams(customer: &Customer) -> Vec<Snowflake> {
    std::iter::once(customer.tam).chain(customer.backup_tam).collect()
}

/// The L1 ping in a ticket's thread: the TAMs, who raised it, the deadline.
/// `by` opened the ticket, or `raised_by` made it critical later.
pub(super) fn critical_ping(
    lang: Language,
    ticket: &Ticket,
    calendar: &Calendar,
    tams: &[Snowflake],
    raised: Raised,
) -> Effect {
    let who = Msg::join(tams.iter().map(|t| Msg::from(Span::user(*t))), " ");
    let (n, summary, due) = (Span::strong(&ticket.number), &ticket.summary, when(ticket.due_at, calendar));
    let msg = match raised {
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
    };
    Effect::post(Place::Ticket(ticket.number.clone()), msg, tams.to_vec())
}

/// How a ticket became critical, for its L1 ping.
#[derive(Debug, Clone, Copy)]
pub(super) enum Raised {
    Opened(Snowflake),
    Reclassified(Snowflake),
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
