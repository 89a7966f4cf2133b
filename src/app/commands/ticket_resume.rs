//! `/ticket resume [number]` (the contact, staff), or the first message a
//! contact of the customer writes in a waiting ticket's thread: the wait on
//! the customer ends, and the next update is due a full interval later.

use super::{Actor, Args, Cx, Declared, Outcome, UsageError};
use crate::app::application::{App, AppError};
use crate::app::declare::{ticket_number, Access, Spec, TICKET};
use crate::app::jobs::Job;
use crate::app::msg::{say, Local};
use crate::app::tickets::refused;
use crate::domain::ticket::TicketNumber;
use crate::storage::{Reschedule, StepClock};

pub static SPEC: Spec = Spec {
    group: Some(&TICKET),
    name: Local::new("resume", "reanudar"),
    description: Local::new("End a ticket's wait on the customer", "Terminar la espera de un ticket"),
    help: Local::new(
        "end a ticket's wait on the customer (a message of the customer in its thread does too)",
        "terminar la espera de un ticket (también lo hace un mensaje del cliente en su hilo)",
    ),
    what: Local::new("resume tickets", "reanudar tickets"),
    access: Access::ContactsAndStaff,
    options: &[ticket_number(false)],
};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TicketResume {
    pub number: Option<TicketNumber>,
}

impl Declared for TicketResume {
    fn parse(args: &Args) -> Result<Self, UsageError> {
        Ok(TicketResume { number: args.opt_ticket("number")? })
    }
}

impl TicketResume {
    pub(super) async fn apply(self, app: &App, cx: &Cx<'_>) -> Result<Outcome, AppError> {
        let (ticket, customer) = app.ticket_named_or_here(cx, self.number.as_ref(), &SPEC).await?;
        let (_, calendar) = app.sla(customer)?;
        let now = app.now();
        let next = app.next_update(customer, ticket.severity, now)?;
        let by_customer = matches!(cx.actor, Actor::Contact { .. });
        let (changed, event) = ticket.resume(by_customer, next).map_err(|r| refused(&ticket, calendar, r))?;
        let queue = app.update_steps(customer, ticket.severity, now, changed.update_due_at)?;
        let reschedule = Reschedule::Restart { clocks: vec![StepClock::Wait], queue };
        let jobs = [Job::Card, Job::Resumed { by: cx.inv.user, by_customer }];
        cx.commit(app, &changed, event, reschedule, &jobs).await?;
        let (lang, n) = (cx.lang, &ticket.number);
        Ok(Outcome::done(lang, say!(lang, "{n} is no longer waiting.", "{n} ya no está en espera.", n)))
    }
}
