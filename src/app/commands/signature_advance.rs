//! `/signature advance number stage [release] [note]` (staff and the
//! specialist group): moves a request through its stages. Leaving
//! `received` is its qualified first response; `released` names the
//! database release, and releases every other open request of the same file,
//! of any customer, each told in its own thread; `rejected` gives a reason.

use crate::app::declare::{text, ticket_number, Access, Choice, Kind, Opt, Spec, SIGNATURE};
use super::{Args, Chosen, Declared, UsageError};
use super::Cx;
use crate::app::msg::{say, Local};
use crate::app::tickets::{refused, Change};
use crate::app::application::{App, AppError};
use crate::app::jobs::{Job};
use super::{Outcome};
use crate::app::words;
use crate::domain::signature::{Label, Stage};
use crate::domain::text::{Clean, DETAILS_MAX};
use crate::domain::ticket::{EventKind, Ticket, TicketNumber};
use crate::storage::{Release, Released, Reschedule};

pub static SPEC: Spec = Spec {
    group: Some(&SIGNATURE),
    name: Local::new("advance", "avanzar"),
    description: Local::new("Move a signature change request on (staff, specialists)", "Hacer avanzar una solicitud de cambio de firma (soporte, especialistas)"),
    help: Local::new(
        "move a request to its next stage (staff, specialists); released needs release:, rejected a note:",
        "llevar una solicitud a su siguiente etapa (soporte, especialistas); publicada necesita versión:, rechazada una nota:",
    ),
    what: Local::new("move signature change requests on", "hacer avanzar solicitudes de cambio de firma"),
    access: Access::StaffAndSpecialists,
    options: &[
        ticket_number(true),
        Opt {
            name: Local::new("stage", "etapa"),
            description: Local::new("Where the request goes", "A dónde pasa la solicitud"),
            kind: Kind::Choice(&[
                Choice { value: "analysing", name: Local::new("analysing", "en análisis") },
                Choice { value: "fix_scheduled", name: Local::new("fix scheduled", "corrección programada") },
                Choice { value: "released", name: Local::new("released", "publicada") },
                Choice { value: "confirmed", name: Local::new("confirmed", "confirmada") },
                Choice { value: "rejected", name: Local::new("rejected", "rechazada") },
            ]),
            required: true,
        },
        Opt {
            name: Local::new("release", "versión"),
            description: Local::new("The database release with the fix (for released)", "La versión de las bases con la corrección (para publicada)"),
            kind: Kind::Label,
            required: false,
        },
        text(Local::new("note", "nota"), Local::new("A note for the contact (the reason, to reject)", "Una nota para el contacto (el motivo, al rechazar)"), DETAILS_MAX, false),
    ],
};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdvanceSignature {
    pub number: TicketNumber,
    pub stage: Stage,
    pub release: Option<Label>,
    pub note: Option<Clean>,
}

impl Declared for AdvanceSignature {
    fn parse(args: &Args) -> Result<Self, UsageError> {
        Ok(AdvanceSignature {
            number: args.ticket("number")?,
            stage: args.choice("stage")?,
            release: args.opt_label("release")?,
            note: args.opt_text("note")?,
        })
    }
}

impl Chosen for Stage {
    fn chosen(value: &str) -> Option<Stage> {
        Stage::parse(value)
    }
}

impl AdvanceSignature {
    pub(super) async fn apply(self, app: &App, cx: &Cx<'_>) -> Result<Outcome, AppError> {
        let (ticket, customer) = app.visible_ticket(cx, &self.number).await?;
        let (_, calendar) = app.sla(customer)?;
        let note = self.note.map(Clean::into_string);
        let now = app.now();
        let (changed, events) = ticket
            .advance(self.stage, self.release.clone(), note.clone(), cx.inv.user, now)
            .map_err(|r| refused(&ticket, calendar, r))?;
        let release = self.release.as_ref().map(ToString::to_string);
        let changes = [change(&ticket, &changed, events, self.stage, release.clone(), note, now)];
        // One fix, every requester informed: the other open requests of the
        // same file, of any customer, are released too, decided inside the
        // transaction so that a request filed meanwhile is not missed.
        let by = cx.inv.user;
        let releasing = |other: &Ticket| -> Option<Released> {
            let fix = self.release.as_ref()?;
            let (released, events) = other.release_by_fix(fix, by, now)?;
            let c = change(other, &released, events, Stage::Released, release.clone(), None, now);
            let effects = c.jobs.iter().map(|j| j.queued(now)).collect();
            Some(Released { events: c.events, reschedule: c.reschedule, effects, ticket: released })
        };
        let fan_out = match (self.stage, &ticket.signature) {
            (Stage::Released, Some(request)) => Some((&request.hash, &releasing as &Release)),
            _ => None,
        };
        let others = cx.commit_releasing(app, &changes, fan_out).await?;
        let lang = cx.lang;
        let (n, stage) = (&ticket.number, words::stage(lang, self.stage));
        let mut msg = say!(lang, "{n} is now {stage}.", "{n} está ahora {stage}.", n, stage);
        if !others.is_empty() {
            let k = others.len();
            msg.append(say!(
                lang,
                " The same fix released {k} other open requests about this file; each requester is told in their own thread.",
                " La misma corrección publicó otras {k} solicitudes abiertas sobre este archivo; cada solicitante recibe el aviso en su propio hilo.",
                k
            ));
        }
        Ok(Outcome::done(lang, msg))
    }
}

/// A request's move as a stored change: its card and the requester's news,
/// and what it does to the escalation steps (answered, or cancelled when
/// it ends).
fn change<'a>(
    before: &Ticket,
    changed: &'a Ticket,
    events: Vec<EventKind>,
    to: Stage,
    release: Option<String>,
    note: Option<String>,
    now: chrono::DateTime<chrono::Utc>,
) -> Change<'a> {
    let reschedule = match (to.is_open(), before.is_unanswered()) {
        (false, _) => Reschedule::Cancel,
        (true, true) => Reschedule::Answered { at: now, then: vec![] },
        (true, false) => Reschedule::Keep,
    };
    let mut jobs = vec![Job::Card, Job::StageChanged { to, release, note }];
    if !to.is_open() {
        // Ended: its thread is put away after the post.
        jobs.push(Job::Archive { archived: true });
    }
    Change { ticket: changed, events, reschedule, jobs }
}
