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
        let (changed, event) =
            ticket.acknowledge(cx.inv.user, now, note.clone()).map_err(|r| refused(&ticket, calendar, r))?;
        let note = Job::Acknowledged { by: cx.inv.user, note };
        cx.commit(app, &changed, event, Reschedule::Answered(now), &[Job::Card, note]).await?;
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

impl App {
    /// A message a person wrote in a thread. When it is the first message of
    /// support staff in an unanswered ticket's thread, it acknowledges the
    /// ticket (deployments choose whether it counts); otherwise nothing happens.
    pub async fn thread_message(&self, inv: &super::Invocation) -> Option<Outcome> {
        // Most messages in a busy server are nobody's acknowledgement: they
        // cost no database query.
        if !inv.is_staff && self.config.tam_of(inv.user).next().is_none() {
            return None;
        }
        if !matches!(self.actor(inv).await, Ok(super::Actor::Staff)) {
            return None;
        }
        let ticket = self.store.ticket_by_thread(inv.channel).await.ok()??;
        if !ticket.awaits_acknowledgement() {
            return None;
        }
        Some(self.handle(inv, Ack::default().into()).await)
    }
}
