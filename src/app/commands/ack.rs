//! `/ack [note]` in a ticket's thread, the card's Acknowledge button, or the
//! first message of support staff there: the qualified first response. It
//! stops the response clock and records who answered and when.

use crate::app::declare::{text, Access, Spec};
use super::{Args, Declared, UsageError};
use super::Cx;
use crate::app::msg::{say, Local};
use crate::app::tickets::refused;
use crate::app::application::{App, AppError};
use crate::app::jobs::{Job};
use super::{Outcome};
use crate::domain::text::{Clean, DETAILS_MAX};
use crate::metrics::SeverityLabel;
use crate::storage::Reschedule;

pub static SPEC: Spec = Spec {
    group: None,
    name: Local::new("ack", "acuse"),
    description: Local::new("Acknowledge this thread's ticket (staff)", "Acusar recibo del ticket de este hilo (soporte)"),
    help: Local::new(
        "acknowledge the ticket of this thread (staff): its qualified first response",
        "acusar recibo del ticket de este hilo (soporte): su primera respuesta cualificada",
    ),
    what: Local::new("acknowledge a ticket", "acusar recibo de un ticket"),
    access: Access::Staff,
    options: &[text(Local::new("note", "nota"), Local::new("A note for the contact", "Una nota para el contacto"), DETAILS_MAX, false)],
};

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Ack {
    pub note: Option<Clean>,
}

impl Declared for Ack {
    fn parse(args: &Args) -> Result<Self, UsageError> {
        Ok(Ack { note: args.opt_text("note")? })
    }
}

impl Ack {
    pub(super) async fn apply(self, app: &App, cx: &Cx<'_>) -> Result<Outcome, AppError> {
        let lang = cx.lang;
        let (ticket, customer) = app.ticket_of_thread(cx, &SPEC).await?;
        let (_, calendar) = app.sla(customer)?;
        let now = app.now();
        let note = self.note.map(Clean::into_string);
        // The update clock starts with the first response.
        let next = app.next_update(customer, ticket.severity, now)?;
        let (changed, event) =
            ticket.acknowledge(cx.inv.user, now, note.clone(), next).map_err(|r| refused(&ticket, calendar, r))?;
        let mut jobs = vec![Job::Card, Job::Acknowledged { by: cx.inv.user, note }];
        if ticket.owner.is_none() {
            // The acknowledger owns it now: in its thread to stay.
            jobs.push(Job::Join { user: cx.inv.user });
        }
        let then = app.update_steps(customer, ticket.severity, now, next)?;
        cx.commit(app, &changed, event, Reschedule::Answered { at: now, then }, &jobs).await?;
        let response = (now - ticket.opened_at).to_std().unwrap_or_default();
        app.metrics
            .first_response_seconds
            .get_or_create(&SeverityLabel::of(ticket.severity))
            .observe(response.as_secs_f64());
        let n = &ticket.number;
        let msg = say!(lang, "You acknowledged {n}.", "Has acusado recibo de {n}.", n);
        Ok(Outcome::done(lang, msg))
    }
}
