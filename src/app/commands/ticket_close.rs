//! `/ticket close number [resolution]`.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{Args, Cx, Declared, Outcome, UsageError};
use crate::app::application::{App, AppError};
use crate::app::declare::{text, ticket_number, Access, Spec, TICKET};
use crate::app::jobs::Job;
use crate::app::msg::{say, Local, Msg, Span};
use crate::app::posts::{Facts, Post, ThreadPost};
use crate::app::tickets::refused;
use crate::domain::customer::Snowflake;
use crate::domain::text::{Clean, DETAILS_MAX};
use crate::domain::ticket::TicketRef;
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
        text(
            Local::new("resolution", "resolución"),
            Local::new("How it was solved", "Cómo se resolvió"),
            DETAILS_MAX,
            false,
        ),
    ],
};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TicketClose {
    pub number: TicketRef,
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
        let note = Closed { by: cx.inv.user, resolution, unanswered_since: None };
        // After the closing post, the thread is put away: a server has 1,000 active threads.
        let jobs = [Job::Card.into(), note.into(), Job::Archive { archived: true }.into()];
        cx.commit(app, &changed, event, Reschedule::Cancel, &jobs).await?;
        let n = &ticket.number;
        let reopen = super::ticket_reopen::SPEC.mention(lang, &[("number", &n.to_string())]);
        let msg = say!(lang, "{n} is closed. {reopen} reopens it.", "{n} está cerrado. {reopen} lo reabre.", n, reopen);
        Ok(Outcome::done(lang, msg))
    }
}

/// The closing post: who closed it and how it was solved, or, when the
/// bot closed it, that the customer left a wait unanswered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Closed {
    pub by: Snowflake,
    pub resolution: Option<String>,
    /// Closed by the bot: the customer left the wait that began then
    /// unanswered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unanswered_since: Option<DateTime<Utc>>,
}

impl ThreadPost for Closed {
    fn posts(&self, f: &Facts) -> Vec<Post> {
        vec![match self.unanswered_since {
            None => closed(f, self.by, self.resolution.as_deref()),
            Some(since) => closed_unanswered(f, since),
        }]
    }
}

fn closed(f: &Facts, by: Snowflake, resolution: Option<&str>) -> Post {
    let (lang, who) = (f.lang(), Span::user(by));
    let msg = match resolution {
        Some(r) => say!(lang, "Closed by {who}: {r}", "Cerrado por {who}: {r}", who, r),
        None => say!(lang, "Closed by {who}.", "Cerrado por {who}.", who),
    };
    match super::ticket_rate::question(f) {
        Some((question, buttons)) => Post { buttons, ..Post::thread(Msg::join([msg, question], "\n"), vec![]) },
        None => Post::thread(msg, vec![]),
    }
}

/// A ticket closed by the bot: the customer did not answer its wait.
fn closed_unanswered(f: &Facts, since: DateTime<Utc>) -> Post {
    let (lang, opener) = (f.lang(), Span::user(f.ticket.opened_by));
    let (n, since) = (Span::strong(&f.ticket.number), f.when(since));
    let reopen = super::ticket_reopen::SPEC.mention(lang, &[("number", &f.ticket.number.to_string())]);
    let msg = say!(
        lang,
        "{opener} {n} is closed: no answer from the customer since {since}. If you still need help, {reopen} reopens it.",
        "{opener} {n} queda cerrado: sin respuesta del cliente desde {since}. Si aún necesitas ayuda, {reopen} lo reabre.",
        opener,
        n,
        since,
        reopen
    );
    Post::thread(msg, vec![f.ticket.opened_by])
}
