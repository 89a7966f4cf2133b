//! `/ticket wait [number] reason` (staff): the ticket waits on the customer
//! (more data needed). The reason is posted in the thread for the opener
//! and the update clock stops, until a contact of the customer writes in
//! the thread or someone runs `/ticket resume`. Unanswered, the opener is
//! reminded after `[followup].remind_after`, and the ticket closes after
//! `[followup].close_after`.

use serde::{Deserialize, Serialize};

use super::{Args, Cx, Declared, Outcome, UsageError};
use crate::app::application::{App, AppError};
use crate::app::declare::{text, ticket_number, Access, Spec, TICKET};
use crate::app::jobs::Job;
use crate::app::msg::{say, Local, Span};
use crate::app::posts::{Facts, Post, ThreadPost};
use crate::app::tickets::refused;
use crate::domain::customer::Snowflake;
use crate::domain::text::{Clean, DETAILS_MAX};
use crate::domain::ticket::TicketRef;
use crate::storage::{Reschedule, StepClock};

pub static SPEC: Spec = Spec {
    group: Some(&TICKET),
    name: Local::new("wait", "esperar"),
    description: Local::new("Wait on the customer for more data (staff)", "Esperar datos del cliente (soporte)"),
    help: Local::new(
        "put a ticket on hold for the customer, saying what is needed (staff); stops the update clock",
        "dejar un ticket a la espera del cliente, diciendo qué hace falta (soporte); detiene el reloj de actualizaciones",
    ),
    what: Local::new("put tickets on hold", "dejar tickets en espera"),
    access: Access::Staff,
    options: &[
        text(Local::new("reason", "motivo"), Local::new("What the customer should send", "Qué debe enviar el cliente"), DETAILS_MAX, true),
        ticket_number(false),
    ],
};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TicketWait {
    pub number: Option<TicketRef>,
    pub reason: Clean,
}

impl Declared for TicketWait {
    fn parse(args: &Args) -> Result<Self, UsageError> {
        Ok(TicketWait { number: args.opt_ticket("number")?, reason: args.text("reason")? })
    }
}

impl TicketWait {
    pub(super) async fn apply(self, app: &App, cx: &Cx<'_>) -> Result<Outcome, AppError> {
        let (ticket, customer) = app.ticket_named_or_here(cx, self.number.as_ref(), &SPEC).await?;
        let (_, calendar) = app.sla(customer)?;
        let now = app.now();
        let reason = self.reason.into_string();
        let (changed, event) = ticket.wait(now, reason.clone()).map_err(|r| refused(&ticket, calendar, r))?;
        let queue = app.wait_steps(now, &reason, ticket.severity);
        let reschedule = Reschedule::Restart { clocks: vec![StepClock::Update], queue };
        let jobs = [Job::Card.into(), Waiting { by: cx.inv.user, reason }.into()];
        cx.commit(app, &changed, event, reschedule, &jobs).await?;
        let (lang, n) = (cx.lang, &ticket.number);
        Ok(Outcome::done(
            lang,
            say!(
                lang,
                "{n} is waiting on the customer; its update clock is stopped until they answer in the thread.",
                "{n} espera al cliente; su reloj de actualizaciones se detiene hasta que responda en el hilo.",
                n
            ),
        ))
    }
}

/// The wait's post: what the customer should send, to the opener.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Waiting {
    pub by: Snowflake,
    pub reason: String,
}

impl ThreadPost for Waiting {
    fn posts(&self, f: &Facts) -> Vec<Post> {
        vec![waiting(f, self.by, &self.reason)]
    }
}

/// On hold for the customer: the reason, to the opener.
fn waiting(f: &Facts, by: Snowflake, reason: &str) -> Post {
    let (lang, t) = (f.lang(), f.ticket);
    let (opener, n, who) = (Span::user(t.opened_by), Span::strong(&t.number), Span::user(by));
    let msg = say!(
        lang,
        "{opener} {who} needs something from you to go on with {n}: {reason}\nAnswer here in the thread when you have it, or use {resume} if you no longer need to.",
        "{opener} {who} necesita algo de tu parte para seguir con {n}: {reason}\nResponde aquí en el hilo cuando lo tengas, o usa {resume} si ya no hace falta.",
        opener,
        who,
        n,
        reason,
        resume = super::ticket_resume::SPEC.mention(lang, &[])
    );
    Post::thread(msg, vec![t.opened_by])
}
