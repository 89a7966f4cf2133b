//! `/ticket note [number] text` (staff): a note in the ticket's thread for
//! the record, such as what the customer said on the phone. It is no
//! update (the update clock goes on) and pings nobody.

use serde::{Deserialize, Serialize};

use super::{Args, Cx, Declared, Outcome, UsageError};
use crate::app::application::{App, AppError};
use crate::app::declare::{text, ticket_number, Access, Spec, TICKET};
use crate::app::msg::{say, Local, Span};
use crate::app::posts::{Facts, Post, ThreadPost};
use crate::app::tickets::refused;
use crate::domain::customer::Snowflake;
use crate::domain::text::{Clean, DETAILS_MAX};
use crate::domain::ticket::{self, TicketRef, TicketState};

pub static SPEC: Spec = Spec {
    group: Some(&TICKET),
    name: Local::new("note", "nota"),
    description: Local::new(
        "Post a note in a ticket's thread (staff)",
        "Publicar una nota en el hilo de un ticket (soporte)",
    ),
    help: Local::new(
        "post a note in the ticket's thread for the record (staff); it is no update and pings nobody",
        "publicar una nota en el hilo del ticket para que conste (soporte); no es una actualización ni avisa a nadie",
    ),
    what: Local::new("post notes", "publicar notas"),
    access: Access::Staff,
    options: &[
        text(Local::new("text", "texto"), Local::new("The note", "La nota"), DETAILS_MAX, true),
        ticket_number(false),
    ],
};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TicketNote {
    pub number: Option<TicketRef>,
    pub text: Clean,
}

impl Declared for TicketNote {
    fn parse(args: &Args) -> Result<Self, UsageError> {
        Ok(TicketNote { number: args.opt_ticket("number")?, text: args.text("text")? })
    }
}

impl TicketNote {
    pub(super) async fn apply(self, app: &App, cx: &Cx<'_>) -> Result<Outcome, AppError> {
        let (ticket, customer) = app.ticket_named_or_here(cx, self.number.as_ref(), &SPEC).await?;
        if ticket.state == TicketState::Closed {
            let (_, calendar) = app.sla(customer)?;
            return Err(refused(&ticket, calendar, ticket::Refusal::ClosedNoFollowUp));
        }
        cx.queue(app, &ticket, &[Noted { by: cx.inv.user, text: self.text.into_string() }.into()]).await?;
        let (lang, n) = (cx.lang, &ticket.number);
        Ok(Outcome::done(lang, say!(lang, "Note posted on {n}.", "Nota publicada en {n}.", n)))
    }
}

/// The note, in the thread.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Noted {
    pub by: Snowflake,
    pub text: String,
}

impl ThreadPost for Noted {
    fn posts(&self, f: &Facts) -> Vec<Post> {
        let (lang, n, who, text) = (f.lang(), Span::strong(&f.ticket.number), Span::user(self.by), &self.text);
        let msg = say!(lang, "Note on {n} from {who}: {text}", "Nota de {who} sobre {n}: {text}", n, who, text);
        vec![Post::thread(msg, vec![])]
    }
}
