//! `/ticket resume [number]` (the contact, staff), or the first message a
//! contact of the customer writes in a waiting ticket's thread: the wait on
//! the customer ends, and the next update is due a full interval later.

use serde::{Deserialize, Serialize};

use super::{Actor, Args, Cx, Declared, Outcome, UsageError};
use crate::app::application::{App, AppError};
use crate::app::declare::{ticket_number, Access, Spec, TICKET};
use crate::app::jobs::Job;
use crate::app::msg::{say, Local, Msg, Span};
use crate::app::posts::{Facts, Post, ThreadPost};
use crate::app::tickets::refused;
use crate::domain::customer::Snowflake;
use crate::domain::ticket::TicketRef;
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
    pub number: Option<TicketRef>,
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
        let jobs = [Job::Card.into(), Resumed { by: cx.inv.user, by_customer }.into()];
        cx.commit(app, &changed, event, reschedule, &jobs).await?;
        let (lang, n) = (cx.lang, &ticket.number);
        Ok(Outcome::done(lang, say!(lang, "{n} is no longer waiting.", "{n} ya no está en espera.", n)))
    }
}

/// The end of a wait's post: the customer answered, or `by` resumed the
/// ticket; the owner hears of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Resumed {
    pub by: Snowflake,
    pub by_customer: bool,
}

impl ThreadPost for Resumed {
    fn posts(&self, f: &Facts) -> Vec<Post> {
        vec![resumed(f, self.by, self.by_customer)]
    }
}

/// The wait is over; the owner hears of it.
fn resumed(f: &Facts, by: Snowflake, by_customer: bool) -> Post {
    let (lang, t) = (f.lang(), f.ticket);
    let (n, who) = (Span::strong(&t.number), Span::user(by));
    let mut msg = match by_customer {
        true => say!(
            lang,
            "{who} answered: {n} is no longer waiting on the customer.",
            "{who} ha respondido: {n} ya no espera al cliente.",
            who,
            n
        ),
        false => say!(
            lang,
            "{who} resumed {n}: it is no longer waiting on the customer.",
            "{who} ha reanudado {n}: ya no espera al cliente.",
            who,
            n
        ),
    };
    if let Some(next) = t.update_due_at {
        let next = f.when(next);
        msg.append(say!(lang, " Next update due {next}.", " Próxima actualización antes de {next}.", next));
    }
    // The owner is told, by name: Discord notifies only the people a
    // message mentions.
    match t.owner.filter(|owner| *owner != by) {
        Some(owner) => {
            let mut told = Msg::from(Span::user(owner));
            told.push_text(" ");
            told.append(msg);
            Post::thread(told, vec![owner])
        }
        None => Post::thread(msg, vec![]),
    }
}
