//! `/ticket update [number] note` (staff), or any message a staff member
//! writes in an answered ticket's thread: a progress update for the
//! customer. The note is posted in the thread for the opener, and the next
//! update is due a full interval of the severity's update clock later.

use serde::{Deserialize, Serialize};

use super::{Args, Cx, Declared, Outcome, UsageError};
use crate::app::application::{App, AppError};
use crate::app::declare::{text, ticket_number, Access, Spec, TICKET};
use crate::app::jobs::Job;
use crate::app::msg::{say, Local, Span};
use crate::app::posts::{when, Facts, Post, ThreadPost};
use crate::app::tickets::refused;
use crate::domain::customer::Snowflake;
use crate::domain::text::{Clean, DETAILS_MAX};
use crate::domain::ticket::TicketRef;
use crate::storage::{Reschedule, StepClock};

pub static SPEC: Spec = Spec {
    group: Some(&TICKET),
    name: Local::new("update", "actualizar"),
    description: Local::new(
        "Post a progress update for the customer (staff)",
        "Publicar novedades para el cliente (soporte)",
    ),
    help: Local::new(
        "post a progress update in the ticket's thread for the opener (staff); restarts the update clock",
        "publicar novedades en el hilo del ticket para quien lo abrió (soporte); reinicia el reloj de actualizaciones",
    ),
    what: Local::new("post updates", "publicar actualizaciones"),
    access: Access::Staff,
    options: &[
        text(
            Local::new("note", "nota"),
            Local::new("What is new, for the customer", "Las novedades, para el cliente"),
            DETAILS_MAX,
            true,
        ),
        ticket_number(false),
    ],
};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TicketUpdate {
    pub number: Option<TicketRef>,
    /// None for an update by a message in the thread (the message says it).
    pub note: Option<Clean>,
}

impl Declared for TicketUpdate {
    fn parse(args: &Args) -> Result<Self, UsageError> {
        Ok(TicketUpdate { number: args.opt_ticket("number")?, note: Some(args.text("note")?) })
    }
}

impl TicketUpdate {
    pub(super) async fn apply(self, app: &App, cx: &Cx<'_>) -> Result<Outcome, AppError> {
        let (ticket, customer) = app.ticket_named_or_here(cx, self.number.as_ref(), &SPEC).await?;
        let (_, calendar) = app.sla(customer)?;
        let now = app.now();
        let next = app.next_update(customer, ticket.severity, now)?;
        let note = self.note.map(Clean::into_string);
        let by_message = note.is_none();
        let (changed, event) =
            ticket.update(note.clone(), by_message, next).map_err(|r| refused(&ticket, calendar, r))?;
        // The clock restarts from this update (it stays stopped while waiting).
        let reschedule = match ticket.is_waiting() {
            true => Reschedule::Keep,
            false => {
                let queue = app.update_steps(customer, ticket.severity, now, changed.update_due_at)?;
                Reschedule::Restart { clocks: vec![StepClock::Update], queue }
            }
        };
        cx.commit(app, &changed, event, reschedule, &[Job::Card.into(), Updated { by: cx.inv.user, note }.into()])
            .await?;
        let (lang, n) = (cx.lang, &ticket.number);
        let msg = match changed.update_due_at {
            Some(next) => {
                let next = when(next, calendar);
                say!(
                    lang,
                    "Update posted on {n}. The next one is due {next}.",
                    "Novedades publicadas en {n}. Las siguientes vencen {next}.",
                    n,
                    next
                )
            }
            None => say!(lang, "Update posted on {n}.", "Novedades publicadas en {n}.", n),
        };
        Ok(Outcome::done(lang, msg))
    }
}

/// The update's post: the note for the opener (an update by a message in
/// the thread posts nothing more: the message said it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Updated {
    pub by: Snowflake,
    pub note: Option<String>,
}

impl ThreadPost for Updated {
    fn posts(&self, f: &Facts) -> Vec<Post> {
        let Some(note) = &self.note else { return vec![] };
        let (lang, t, by) = (f.lang(), f.ticket, self.by);
        let (opener, n, who) = (Span::user(t.opened_by), Span::strong(&t.number), Span::user(by));
        let mut msg = say!(
            lang,
            "{opener} Update on {n} from {who}: {note}",
            "{opener} Novedades de {n}, de {who}: {note}",
            opener,
            n,
            who,
            note
        );
        if let Some(next) = t.update_due_at {
            let next = f.when(next);
            msg.append(say!(lang, "\nNext update due {next}.", "\nPróxima actualización antes de {next}.", next));
        }
        vec![Post::thread(msg, vec![t.opened_by])]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::jobs::Job;
    use crate::app::posts::testing::*;
    use crate::app::posts::Place;
    use crate::domain::customer::Language;
    use crate::domain::ticket::{EventKind, Ticket};

    #[test]
    fn an_update_is_for_the_opener_and_an_overdue_one_for_the_owner_and_the_tam() {
        let config = config();
        let tam = config.customer("ACME").unwrap().tam;
        let update = Updated { by: ENGINEER, note: Some("Fixed in the next build".into()) };
        let post = only(posts(&config, &answered(), &update, Language::En));
        assert_eq!((post.ping.as_slice(), post.to.as_slice()), (&[ALICE][..], &[Place::Thread][..]));
        assert!(post.msg.plain().starts_with(&format!("@{ALICE} Update on ACME-1 from @{ENGINEER}: Fixed in")));
        // An update by a message in the thread: the message said it.
        assert!(posts(&config, &answered(), &Updated { by: ENGINEER, note: None }, Language::En).is_empty());

        let due = answered().update_due_at.unwrap();
        let overdue = only(posts(&config, &answered(), &Job::UpdateOverdue { due }, Language::Es));
        assert_eq!(overdue.ping, [ENGINEER, tam]);
        assert_eq!(overdue.to, [Place::Thread, Place::EscalationChannel]);
        assert_eq!(overdue.record, Some(EventKind::UpdateOverdue { due_at: due }));
        assert!(overdue.msg.plain().contains("está VENCIDA"), "{:?}", overdue.msg);
        // Moot once an update moved the deadline, or the ticket waits.
        let updated = Ticket { update_due_at: Some(due + chrono::Duration::hours(8)), ..answered() };
        assert!(posts(&config, &updated, &Job::UpdateOverdue { due }, Language::Es).is_empty());
        let waiting = Ticket { update_due_at: None, waiting_since: Some(due), ..answered() };
        assert!(posts(&config, &waiting, &Job::UpdateReminder { due }, Language::Es).is_empty());
    }
}
