//! `/ticket update [number] note` (staff), or any message a staff member
//! writes in an answered ticket's thread: a progress update for the
//! customer. The note is posted in the thread for the opener, and the next
//! update is due a full interval of the severity's update clock later.

use super::{Args, Cx, Declared, Outcome, UsageError};
use crate::app::application::{App, AppError};
use crate::app::declare::{text, ticket_number, Access, Spec, TICKET};
use crate::app::jobs::Job;
use crate::app::msg::{say, Local};
use crate::app::posts::when;
use crate::app::tickets::refused;
use crate::domain::text::{Clean, DETAILS_MAX};
use crate::domain::ticket::TicketNumber;
use crate::storage::{Reschedule, StepClock};

pub static SPEC: Spec = Spec {
    group: Some(&TICKET),
    name: Local::new("update", "actualizar"),
    description: Local::new("Post a progress update for the customer (staff)", "Publicar novedades para el cliente (soporte)"),
    help: Local::new(
        "post a progress update in the ticket's thread for the opener (staff); restarts the update clock",
        "publicar novedades en el hilo del ticket para quien lo abrió (soporte); reinicia el reloj de actualizaciones",
    ),
    what: Local::new("post updates", "publicar actualizaciones"),
    access: Access::Staff,
    options: &[
        text(Local::new("note", "nota"), Local::new("What is new, for the customer", "Las novedades, para el cliente"), DETAILS_MAX, true),
        ticket_number(false),
    ],
};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TicketUpdate {
    pub number: Option<TicketNumber>,
    /// None for an update by a message in the thread (the message says it).
    pub note: Option<Clean>,
}

impl Declared for TicketUpdate {
    fn parse(args: &Args) -> Result<Self, UsageError> {
        Ok(TicketUpdate { number: args.opt_ticket("number")?, note: Some(args.text("note")?) })
    }
}

impl TicketUpdate {
    pub(super) async fn apply(self, app: &App, cx: &Cx<'_>) -> Result<Outcome, AppError> {
        let (ticket, customer) = app.ticket_named_or_here(cx, self.number.as_ref(), &SPEC).await?;
        let (_, calendar) = app.sla(customer)?;
        let now = app.now();
        let next = app.next_update(customer, ticket.severity, now)?;
        let note = self.note.map(Clean::into_string);
        let by_message = note.is_none();
        let (changed, event) = ticket.update(note.clone(), by_message, next).map_err(|r| refused(&ticket, calendar, r))?;
        // The clock restarts from this update (it stays stopped while waiting).
        let reschedule = match ticket.is_waiting() {
            true => Reschedule::Keep,
            false => {
                let queue = app.update_steps(customer, ticket.severity, now, changed.update_due_at)?;
                Reschedule::Restart { clocks: vec![StepClock::Update], queue }
            }
        };
        cx.commit(app, &changed, event, reschedule, &[Job::Card, Job::Updated { by: cx.inv.user, note }]).await?;
        let (lang, n) = (cx.lang, &ticket.number);
        let msg = match changed.update_due_at {
            Some(next) => {
                let next = when(next, calendar);
                say!(
                    lang,
                    "Update posted on {n}. The next one is due {next}.",
                    "Novedades publicadas en {n}. Las siguientes vencen {next}.",
                    n,
                    next
                )
            }
            None => say!(lang, "Update posted on {n}.", "Novedades publicadas en {n}.", n),
        };
        Ok(Outcome::done(lang, msg))
    }
}
