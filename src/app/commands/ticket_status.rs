//! `/ticket status [number]`: a ticket's card, ephemeral. In a ticket's
//! thread the number may be left out.

use super::Cx;
use super::{Args, Declared, UsageError};
use super::{Outcome, Reply};
use crate::app::application::{App, AppError};
use crate::app::declare::{ticket_number, Access, Spec, TICKET};
use crate::app::msg::{say, Local};
use crate::app::words;
use crate::domain::ticket::TicketRef;

pub static SPEC: Spec = Spec {
    group: Some(&TICKET),
    name: Local::new("status", "estado"),
    description: Local::new("A ticket's card", "La ficha de un ticket"),
    help: Local::new(
        "a ticket's card; in a ticket's thread the number may be left out",
        "la ficha de un ticket; en el hilo de un ticket el número puede omitirse",
    ),
    what: Local::new("see tickets", "ver tickets"),
    access: Access::ContactsAndStaff,
    options: &[ticket_number(false)],
};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TicketStatus {
    pub number: Option<TicketRef>,
}

impl Declared for TicketStatus {
    fn parse(args: &Args) -> Result<Self, UsageError> {
        Ok(TicketStatus { number: args.opt_ticket("number")? })
    }
}

impl TicketStatus {
    pub(super) async fn apply(self, app: &App, cx: &Cx<'_>) -> Result<Outcome, AppError> {
        let (ticket, customer) = app.ticket_named_or_here(cx, self.number.as_ref(), &SPEC).await?;
        let lang = cx.lang;
        let card = app.card(customer, &ticket)?;
        let (n, level, status) = (&ticket.number, words::severity(lang, ticket.severity), card.status_line(lang));
        let msg = say!(lang, "{n} · {level} · {status}", "{n} · {level} · {status}", n, level, status);
        Ok(Outcome {
            lang,
            reply: Reply::Done {
                msg,
                card: Some(Box::new(card)),
                summary: None,
                personal: false,
                button: None,
                document: None,
            },
        })
    }
}
