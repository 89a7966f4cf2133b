//! `/ticket assign number engineer` (staff): the engineer who owns a
//! ticket. The owner joins the ticket's thread, is named on its card, in
//! `/queue` and the lists, and update reminders ping them; a new owner is
//! announced in the thread.

use serde::{Deserialize, Serialize};

use super::{Args, Cx, Declared, Outcome, UsageError};
use crate::app::application::{refuse, App, AppError};
use crate::app::declare::{ticket_number, Access, Kind, Opt, Spec, TICKET};
use crate::app::jobs::Job;
use crate::app::msg::{say, Local, Span};
use crate::app::posts::{Facts, Post, ThreadPost};
use crate::app::refusal::Refusal;
use crate::app::tickets::refused;
use crate::domain::customer::Snowflake;
use crate::domain::ticket::TicketRef;
use crate::storage::Reschedule;

pub static SPEC: Spec = Spec {
    group: Some(&TICKET),
    name: Local::new("assign", "asignar"),
    description: Local::new(
        "Name the engineer who owns a ticket (staff)",
        "Nombrar al responsable de un ticket (soporte)",
    ),
    help: Local::new(
        "name the engineer who owns a ticket (staff): they join its thread and get its update reminders",
        "nombrar al responsable de un ticket (soporte): entra en su hilo y recibe sus recordatorios",
    ),
    what: Local::new("assign tickets", "asignar tickets"),
    access: Access::Staff,
    options: &[
        ticket_number(true),
        Opt {
            name: Local::new("engineer", "responsable"),
            description: Local::new("The support engineer who owns it", "El ingeniero de soporte responsable"),
            kind: Kind::User,
            required: true,
        },
    ],
};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TicketAssign {
    pub number: TicketRef,
    pub engineer: Snowflake,
}

impl Declared for TicketAssign {
    fn parse(args: &Args) -> Result<Self, UsageError> {
        Ok(TicketAssign { number: args.ticket("number")?, engineer: args.user("engineer")? })
    }
}

impl TicketAssign {
    pub(super) async fn apply(self, app: &App, cx: &Cx<'_>) -> Result<Outcome, AppError> {
        let (ticket, customer) = app.visible_ticket(cx, &self.number).await?;
        let to = self.engineer;
        // Staff by their role (the adapter knows it), or this customer's TAMs.
        let staff = cx.inv.named_staff.contains(&to) || customer.tams().contains(&to);
        if !staff {
            return refuse(Refusal::NotStaff { user: to });
        }
        let (_, calendar) = app.sla(customer)?;
        let (changed, event) = ticket.assign(to).map_err(|r| refused(&ticket, calendar, r))?;
        let jobs = [
            Job::Join { user: to }.into(),
            Job::Card.into(),
            Assigned { by: cx.inv.user, to, from: ticket.owner }.into(),
        ];
        cx.commit(app, &changed, event, Reschedule::Keep, &jobs).await?;
        let (lang, n, owner) = (cx.lang, &ticket.number, Span::user(to));
        Ok(Outcome::done(lang, say!(lang, "{owner} owns {n} now.", "{owner} se encarga ahora de {n}.", owner, n)))
    }
}

/// The new owner's post: `to` owns the ticket now (instead of `from`),
/// named by `by`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Assigned {
    pub by: Snowflake,
    pub to: Snowflake,
    pub from: Option<Snowflake>,
}

impl ThreadPost for Assigned {
    fn posts(&self, f: &Facts) -> Vec<Post> {
        vec![assigned(f, self.by, self.to, self.from)]
    }
}

/// A new owner, and who was one before.
fn assigned(f: &Facts, by: Snowflake, to: Snowflake, from: Option<Snowflake>) -> Post {
    let (lang, n, who, owner) = (f.lang(), Span::strong(&f.ticket.number), Span::user(by), Span::user(to));
    let msg = match from {
        None => say!(
            lang,
            "{owner} now owns {n}, assigned by {who}.",
            "{owner} se encarga ahora de {n}, asignado por {who}.",
            owner,
            n,
            who
        ),
        Some(before) => {
            let before = Span::user(before);
            say!(
                lang,
                "{owner} now owns {n} instead of {before}, assigned by {who}.",
                "{owner} se encarga ahora de {n} en lugar de {before}, asignado por {who}.",
                owner,
                n,
                before,
                who
            )
        }
    };
    Post::thread(msg, vec![to])
}
