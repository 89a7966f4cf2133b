//! `/ticket reopen number`: a closed ticket is open again; if it never had
//! its first response, its escalation steps not yet sent come back.

use crate::app::declare::{ticket_number, Access, Spec, TICKET};
use super::{Args, Declared, UsageError};
use super::Cx;
use crate::app::msg::{say, Local};
use crate::app::tickets::refused;
use crate::app::application::{App, AppError};
use crate::app::jobs::{Job, Past};
use super::{Outcome};
use crate::domain::ticket::TicketNumber;
use crate::storage::{Reschedule, StepClock};

pub static SPEC: Spec = Spec {
    group: Some(&TICKET),
    name: Local::new("reopen", "reabrir"),
    description: Local::new("Reopen a closed ticket", "Reabrir un ticket cerrado"),
    help: Local::new("reopen a closed ticket", "reabrir un ticket cerrado"),
    what: Local::new("reopen tickets", "reabrir tickets"),
    access: Access::ContactsAndStaff,
    options: &[ticket_number(true)],
};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TicketReopen {
    pub number: TicketNumber,
}

impl Declared for TicketReopen {
    fn parse(args: &Args) -> Result<Self, UsageError> {
        Ok(TicketReopen { number: args.ticket("number")? })
    }
}

impl TicketReopen {
    pub(super) async fn apply(self, app: &App, cx: &Cx<'_>) -> Result<Outcome, AppError> {
        let lang = cx.lang;
        let (ticket, customer) = app.visible_ticket(cx, &self.number).await?;
        let (_, calendar) = app.sla(customer)?;
        let now = app.now();
        // Answered before: its update clock starts again from now.
        let next = app.next_update(customer, ticket.severity, now)?;
        let (changed, event) = ticket.reopen(next).map_err(|r| refused(&ticket, calendar, r))?;
        let reschedule = match changed.is_unanswered() {
            true => Reschedule::Replace(app.schedule(
                customer,
                changed.severity,
                (changed.opened_at, changed.due_at),
                now,
                Some(Past::Reopened),
            )?),
            false => Reschedule::Restart {
                clocks: vec![StepClock::Update],
                queue: app.update_steps(customer, changed.severity, now, changed.update_due_at)?,
            },
        };
        // The thread comes back before anything is posted or edited in it.
        let jobs = [Job::Archive { archived: false }, Job::Card, Job::Reopened { by: cx.inv.user }];
        cx.commit(app, &changed, event, reschedule, &jobs).await?;
        let n = &ticket.number;
        Ok(Outcome::done(lang, say!(lang, "{n} is open again.", "{n} vuelve a estar abierto.", n)))
    }
}
