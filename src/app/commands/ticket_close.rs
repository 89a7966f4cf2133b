//! `/ticket close number [resolution]`.

use super::declare::{text, ticket_number, Access, Local, Spec, TICKET};
use super::{Args, Declared, UsageError};
use crate::app::access::Cx;
use crate::app::msg::{say, Span};
use crate::app::tickets::refused;
use crate::app::{App, AppError, Effect, Outcome, Place};
use crate::domain::text::{Clean, DETAILS_MAX};
use crate::domain::ticket::TicketNumber;
use crate::storage::Reschedule;

pub static SPEC: Spec = Spec {
    group: Some(&TICKET),
    name: Local::new("close", "cerrar"),
    description: Local::new("Close a ticket", "Cerrar un ticket"),
    help: Local::new("close a ticket, saying how it was solved", "cerrar un ticket, diciendo cómo se resolvió"),
    what: Local::new("close tickets", "cerrar tickets"),
    access: Access::ContactsAndStaff,
    options: &[
        ticket_number(true),
        text(Local::new("resolution", "resolución"), Local::new("How it was solved", "Cómo se resolvió"), DETAILS_MAX, false),
    ],
};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TicketClose {
    pub number: TicketNumber,
    pub resolution: Option<Clean>,
}

impl Declared for TicketClose {
    fn parse(args: &Args) -> Result<Self, UsageError> {
        Ok(TicketClose { number: args.ticket("number")?, resolution: args.opt_text("resolution")? })
    }
}

impl TicketClose {
    pub(crate) async fn apply(self, app: &App, cx: &Cx<'_>) -> Result<Outcome, AppError> {
        let lang = cx.lang;
        let (ticket, customer) = app.visible_ticket(cx, &self.number).await?;
        let (_, calendar) = app.sla(customer)?;
        let resolution = self.resolution.map(Clean::into_string);
        let (changed, event) =
            ticket.close(app.now(), resolution.clone()).map_err(|r| refused(&ticket, calendar, r))?;
        let card = app.commit(cx, customer, changed, event, Reschedule::Cancel).await?;
        let by = Span::user(cx.inv.user);
        let post = match resolution {
            Some(r) => say!(customer.language, "Closed by {by}: {r}", "Cerrado por {by}: {r}", by, r),
            None => say!(customer.language, "Closed by {by}.", "Cerrado por {by}.", by),
        };
        let n = &ticket.number;
        let msg = say!(
            lang,
            "{n} is closed. /ticket reopen number:{n} reopens it.",
            "{n} está cerrado. /ticket reabrir número:{n} lo reabre.",
            n
        );
        let effects = vec![card, Effect::post(Place::Ticket(n.clone()), post, vec![])];
        Ok(Outcome::with_effects(lang, msg, effects))
    }
}
