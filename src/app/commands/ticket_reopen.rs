//! `/ticket reopen number`: a closed ticket is open again; if it never had
//! its first response, its escalation steps not yet sent come back.

use serde::{Deserialize, Serialize};

use super::{Args, Cx, Declared, Outcome, UsageError};
use crate::app::application::{App, AppError};
use crate::app::declare::{ticket_number, Access, Spec, TICKET};
use crate::app::jobs::{Job, Past};
use crate::app::msg::{say, Local, Span};
use crate::app::posts::{Facts, Post, ThreadPost};
use crate::app::tickets::refused;
use crate::domain::customer::Snowflake;
use crate::domain::ticket::TicketRef;
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
    pub number: TicketRef,
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
        let jobs = [Job::Archive { archived: false }.into(), Job::Card.into(), Reopened { by: cx.inv.user }.into()];
        cx.commit(app, &changed, event, reschedule, &jobs).await?;
        let n = &ticket.number;
        Ok(Outcome::done(lang, say!(lang, "{n} is open again.", "{n} vuelve a estar abierto.", n)))
    }
}

/// The reopening's post.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reopened {
    pub by: Snowflake,
}

impl ThreadPost for Reopened {
    fn posts(&self, f: &Facts) -> Vec<Post> {
        let who = Span::user(self.by);
        vec![Post::thread(say!(f.lang(), "Reopened by {who}.", "Reabierto por {who}.", who), vec![])]
    }
}
