//! `/ticket close number [resolution]`.

use crate::app::declare::{text, ticket_number, Access, Spec, TICKET};
use super::{Args, Declared, UsageError};
use super::Cx;
use crate::app::msg::{say, Local};
use crate::app::tickets::refused;
use crate::app::application::{App, AppError};
use crate::app::jobs::{Job};
use super::{Outcome};
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
    pub(super) async fn apply(self, app: &App, cx: &Cx<'_>) -> Result<Outcome, AppError> {
        let lang = cx.lang;
        let (ticket, customer) = app.visible_ticket(cx, &self.number).await?;
        let (_, calendar) = app.sla(customer)?;
        let resolution = self.resolution.map(Clean::into_string);
        let (changed, event) =
            ticket.close(app.now(), resolution.clone()).map_err(|r| refused(&ticket, calendar, r))?;
        let note = Job::Closed { by: cx.inv.user, resolution, unanswered_since: None };
        // After the closing post, the thread is put away: a server has 1,000 active threads.
        let jobs = [Job::Card, note, Job::Archive { archived: true }];
        cx.commit(app, &changed, event, Reschedule::Cancel, &jobs).await?;
        let n = &ticket.number;
        let reopen = super::ticket_reopen::SPEC.mention(lang, &[("number", &n.to_string())]);
        let msg = say!(lang, "{n} is closed. {reopen} reopens it.", "{n} está cerrado. {reopen} lo reabre.", n, reopen);
        Ok(Outcome::done(lang, msg))
    }
}
