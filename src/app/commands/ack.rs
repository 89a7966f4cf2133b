//! `/ack [note]` in a ticket's thread, the card's Acknowledge button, or the
//! first message of support staff there: the qualified first response. It
//! stops the response clock and records who answered and when.

use serde::{Deserialize, Serialize};

use super::{Args, Cx, Declared, Outcome, UsageError};
use crate::app::application::{App, AppError};
use crate::app::card::FirstResponse;
use crate::app::declare::{text, Access, Spec};
use crate::app::jobs::{Effect, Job};
use crate::app::msg::{say, Local, Span};
use crate::app::posts::{Facts, Post, ThreadPost};
use crate::app::tickets::refused;
use crate::domain::customer::Snowflake;
use crate::domain::text::{Clean, DETAILS_MAX};
use crate::metrics::SeverityLabel;
use crate::storage::Reschedule;

pub static SPEC: Spec = Spec {
    group: None,
    name: Local::new("ack", "acuse"),
    description: Local::new(
        "Acknowledge this thread's ticket (staff)",
        "Acusar recibo del ticket de este hilo (soporte)",
    ),
    help: Local::new(
        "acknowledge the ticket of this thread (staff): its qualified first response",
        "acusar recibo del ticket de este hilo (soporte): su primera respuesta cualificada",
    ),
    what: Local::new("acknowledge a ticket", "acusar recibo de un ticket"),
    access: Access::Staff,
    options: &[text(
        Local::new("note", "nota"),
        Local::new("A note for the contact", "Una nota para el contacto"),
        DETAILS_MAX,
        false,
    )],
};

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Ack {
    pub note: Option<Clean>,
}

impl Declared for Ack {
    fn parse(args: &Args) -> Result<Self, UsageError> {
        Ok(Ack { note: args.opt_text("note")? })
    }
}

impl Ack {
    pub(super) async fn apply(self, app: &App, cx: &Cx<'_>) -> Result<Outcome, AppError> {
        let lang = cx.lang;
        let (ticket, customer) = app.ticket_of_thread(cx, &SPEC).await?;
        let (_, calendar) = app.sla(customer)?;
        let now = app.now();
        let note = self.note.map(Clean::into_string);
        // The update clock starts with the first response.
        let next = app.next_update(customer, ticket.severity, now)?;
        let (changed, event) =
            ticket.acknowledge(cx.inv.user, now, note.clone(), next).map_err(|r| refused(&ticket, calendar, r))?;
        let mut jobs: Vec<Effect> = vec![Job::Card.into(), Acknowledged { by: cx.inv.user, note }.into()];
        if ticket.owner.is_none() {
            // The acknowledger owns it now: in its thread to stay.
            jobs.push(Job::Join { user: cx.inv.user }.into());
        }
        let then = app.update_steps(customer, ticket.severity, now, next)?;
        cx.commit(app, &changed, event, Reschedule::Answered { at: now, then }, &jobs).await?;
        let response = (now - ticket.opened_at).to_std().unwrap_or_default();
        app.metrics
            .first_response_seconds
            .get_or_create(&SeverityLabel::of(ticket.severity))
            .observe(response.as_secs_f64());
        let n = &ticket.number;
        let msg = say!(lang, "You acknowledged {n}.", "Has acusado recibo de {n}.", n);
        Ok(Outcome::done(lang, msg))
    }
}

/// The acknowledgement's post: the first response, measured on the
/// ticket's own clock, and the note.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Acknowledged {
    pub by: Snowflake,
    pub note: Option<String>,
}

impl ThreadPost for Acknowledged {
    fn posts(&self, f: &Facts) -> Vec<Post> {
        vec![acknowledged(f, self.by, self.note.as_deref())]
    }
}

/// The first response, measured on the ticket's own clock.
fn acknowledged(f: &Facts, by: Snowflake, note: Option<&str>) -> Post {
    let (lang, who) = (f.lang(), Span::user(by));
    let mut msg = match FirstResponse::of(f.ticket, f.target, f.calendar) {
        Some(r) => {
            let response = r.words(lang);
            say!(lang, "Acknowledged by {who} {response}.", "{who} acusó recibo {response}.", who, response)
        }
        None => say!(lang, "Acknowledged by {who}.", "{who} acusó recibo.", who),
    };
    if let Some(note) = note {
        msg.push_text(&format!(" {note}"));
    }
    Post::thread(msg, vec![])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::posts::testing::*;
    use crate::domain::customer::Language;
    use crate::domain::sla::Severity;
    use crate::domain::ticket::Ticket;

    #[test]
    fn a_business_clock_acknowledgement_is_told_in_working_time() {
        let config = config();
        let job = Acknowledged { by: ENGINEER, note: None };
        let es = only(posts(&config, &answered(), &job, Language::Es)).msg.plain();
        assert_eq!(
            es,
            format!(
                "@{ENGINEER} acusó recibo tras 1 h 16 min de tiempo laborable (16 h en total), \
                 dentro de las 8 horas laborables."
            )
        );
        let en = only(posts(&config, &answered(), &job, Language::En)).msg.plain();
        assert!(en.ends_with("after 1 h 16 min of working time (16 h elapsed), within the 8 working hours."), "{en}");
        // A 24x7 target is told in elapsed time alone.
        let critical = Ticket {
            severity: Severity::Critical,
            due_at: at("2026-12-01T17:46:00Z"),
            acked_at: Some(at("2026-12-01T17:28:00Z")),
            ..answered()
        };
        let en = only(posts(&config, &critical, &job, Language::En)).msg.plain();
        assert!(en.ends_with("after 12 min, within the 30 min target."), "{en}");
        let late = Ticket { acked_at: Some(at("2026-12-01T19:21:00Z")), ..critical };
        let es = only(posts(&config, &late, &job, Language::Es)).msg.plain();
        assert!(es.ends_with("tras 2 h 05 min, fuera del objetivo de 30 min."), "{es}");
    }
}
