//! `/ticket severity number level reason`: reclassify a ticket. The deadline
//! is recomputed from the opening instant; the change is audited and
//! announced in the ticket's thread.

use serde::{Deserialize, Serialize};

use super::{Args, Cx, Declared, Outcome, UsageError};
use crate::app::application::{App, AppError};
use crate::app::declare::{short, ticket_number, Access, Kind, Opt, Spec, TICKET};
use crate::app::jobs::{Job, Past, Urgency};
use crate::app::msg::{say, Local, Span};
use crate::app::posts::{critical_ping, when, Facts, Post, Raised, ThreadPost};
use crate::app::tickets::refused;
use crate::app::words;
use crate::domain::customer::Snowflake;
use crate::domain::sla::Severity;
use crate::domain::text::Clean;
use crate::domain::ticket::TicketRef;
use crate::storage::{Reschedule, StepClock};

pub static SPEC: Spec = Spec {
    group: Some(&TICKET),
    name: Local::new("severity", "severidad"),
    description: Local::new("Change a ticket's severity", "Cambiar la severidad de un ticket"),
    help: Local::new(
        "reclassify a ticket, level 1 to 4; the deadline counts from the opening",
        "reclasificar un ticket, nivel 1 a 4; el plazo cuenta desde la apertura",
    ),
    what: Local::new("change a ticket's severity", "cambiar la severidad de un ticket"),
    access: Access::ContactsAndStaff,
    options: &[
        ticket_number(true),
        Opt {
            name: Local::new("level", "nivel"),
            description: Local::new("The new severity", "La nueva severidad"),
            kind: Kind::Severity,
            required: true,
        },
        Opt { required: true, ..short(Local::new("reason", "motivo"), Local::new("Why", "Por qué")) },
    ],
};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TicketSeverity {
    pub number: TicketRef,
    pub level: Severity,
    pub reason: Clean,
}

impl Declared for TicketSeverity {
    fn parse(args: &Args) -> Result<Self, UsageError> {
        Ok(TicketSeverity {
            number: args.ticket("number")?,
            level: args.severity("level")?,
            reason: args.text("reason")?,
        })
    }
}

impl TicketSeverity {
    pub(super) async fn apply(self, app: &App, cx: &Cx<'_>) -> Result<Outcome, AppError> {
        let lang = cx.lang;
        let (ticket, customer) = app.visible_ticket(cx, &self.number).await?;
        let (plan, calendar) = app.sla(customer)?;
        let level = self.level;
        // SPEC: the deadline is recomputed from the original opening time.
        let due_at = plan.targets.get(level).due(calendar, ticket.opened_at)?;
        let reason = self.reason.into_string();
        let now = app.now();
        // An answered ticket's update clock: the running cycle keeps its
        // deadline if the new level has an update clock too; one starts now
        // if only the new level has one; it stops if the new level has none.
        let has_clock = plan.targets.get(level).update().is_some();
        let next = match (ticket.update_due_at, has_clock) {
            (_, false) => None,
            (Some(running), true) => Some(running),
            (None, true) => app.next_update(customer, level, now)?,
        };
        let (changed, event) =
            ticket.reclassify(level, due_at, reason.clone(), next).map_err(|r| refused(&ticket, calendar, r))?;
        let reschedule = match changed.is_unanswered() {
            true => Reschedule::Replace(app.schedule(
                customer,
                level,
                (ticket.opened_at, due_at),
                now,
                Some(Past::Reclassified),
            )?),
            false if changed.update_due_at != ticket.update_due_at => Reschedule::Restart {
                clocks: vec![StepClock::Update],
                queue: app.update_steps(customer, level, now, changed.update_due_at)?,
            },
            false => Reschedule::Keep,
        };
        let note = Reclassified { from: ticket.severity, to: level, by: cx.inv.user, reason };
        cx.commit(app, &changed, event, reschedule, &[Job::Card.into(), note.into()]).await?;
        let (n, level, due) = (Span::strong(&ticket.number), words::severity(lang, level), when(due_at, calendar));
        let msg = say!(
            lang,
            "{n} is now {level}; first response due {due}.",
            "{n} es ahora {level}; la primera respuesta vence {due}.",
            n,
            level,
            due
        );
        Ok(Outcome::done(lang, msg))
    }
}

/// The reclassification's post, and the L1 ping if it made the ticket
/// critical.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reclassified {
    pub from: Severity,
    pub to: Severity,
    pub by: Snowflake,
    pub reason: String,
}

impl ThreadPost for Reclassified {
    fn posts(&self, f: &Facts) -> Vec<Post> {
        reclassified(f, self.from, self.to, self.by, &self.reason)
    }

    /// Raised to L1, it pings the TAMs.
    fn urgency(&self) -> Urgency {
        match self.to {
            Severity::Critical => Urgency::Ping,
            _ => Urgency::Post,
        }
    }
}

/// A reclassification, and the L1 ping if it made the ticket critical.
fn reclassified(f: &Facts, from: Severity, to: Severity, by: Snowflake, reason: &str) -> Vec<Post> {
    let lang = f.lang();
    let (from, to, who, due) =
        (words::severity(lang, from), words::severity(lang, to), Span::user(by), f.when(f.ticket.due_at));
    let msg = say!(
        lang,
        "Severity changed from {from} to {to} by {who}: {reason}. First response now due {due}.",
        "{who} cambió la severidad de {from} a {to}: {reason}. La primera respuesta vence ahora {due}.",
        from,
        to,
        who,
        reason,
        due
    );
    let mut posts = vec![Post::thread(msg, vec![])];
    if f.ticket.severity == Severity::Critical && f.ticket.is_unanswered() {
        posts.push(critical_ping(f, Raised::Reclassified(by)));
    }
    posts
}
