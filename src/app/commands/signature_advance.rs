//! `/signature advance number stage [release] [note]` (staff and the
//! specialist group): moves a request through its stages. Leaving
//! `received` is its qualified first response; `released` names the
//! database release, and releases every other open request of the same file,
//! of any customer, each told in its own thread; `rejected` gives a reason.

use serde::{Deserialize, Serialize};

use super::{Args, Chosen, Cx, Declared, Outcome, UsageError};
use crate::app::application::{App, AppError};
use crate::app::declare::{text, ticket_number, Access, Choice, Kind, Opt, Spec, SIGNATURE};
use crate::app::jobs::{Button, Effect, Job};
use crate::app::msg::{say, Local, Span};
use crate::app::posts::{Facts, Post, ThreadPost};
use crate::app::tickets::{refused, Change};
use crate::app::words;
use crate::domain::signature::{Label, Stage};
use crate::domain::text::{Clean, DETAILS_MAX};
use crate::domain::ticket::{EventKind, Ticket, TicketRef};
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
    pub number: TicketRef,
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
            let effects = c.jobs.iter().map(|j| j.queued(now, Some(other.severity))).collect();
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
    let mut jobs: Vec<Effect> = vec![Job::Card.into(), StageChanged { to, release, note }.into()];
    if !to.is_open() {
        // Ended: its thread is put away after the post.
        jobs.push(Job::Archive { archived: true }.into());
    }
    Change { ticket: changed, events, reschedule, jobs }
}

/// A request's move to `to`: the requester's news, in its thread.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StageChanged {
    pub to: Stage,
    pub release: Option<String>,
    pub note: Option<String>,
}

impl ThreadPost for StageChanged {
    fn posts(&self, f: &Facts) -> Vec<Post> {
        vec![stage_changed(f, self.to, self.release.as_deref(), self.note.as_deref())]
    }
}

/// The requester's news of a stage change, in the request's thread. It
/// names only this request: no other customer or ticket, though a fix may
/// have released several.
fn stage_changed(f: &Facts, to: Stage, release: Option<&str>, note: Option<&str>) -> Post {
    let (lang, ticket) = (f.lang(), f.ticket);
    let (who, n) = (Span::user(ticket.opened_by), Span::strong(&ticket.number));
    let release = release.unwrap_or_default();
    let mut msg = match to {
        Stage::Received => say!(lang, "{who} {n} is received.", "{who} {n} está recibida.", who, n),
        Stage::Analysing => say!(
            lang,
            "{who} The specialist group is analysing the file of {n}.",
            "{who} El grupo de especialistas está analizando el archivo de {n}.",
            who,
            n
        ),
        Stage::FixScheduled => say!(
            lang,
            "{who} A fix for {n} is scheduled in an accelerated database update.",
            "{who} La corrección de {n} está programada en una actualización acelerada de las bases de datos.",
            who,
            n
        ),
        Stage::Released => say!(
            lang,
            "{who} The fix for {n} is out in database release {release}. Update your antivirus databases, scan the file again, and confirm below that it is right now.",
            "{who} La corrección de {n} está publicada en la versión {release} de las bases de datos. Actualiza las bases del antivirus, vuelve a analizar el archivo y confirma abajo que ya es correcto.",
            who,
            n,
            release
        ),
        Stage::Confirmed => say!(
            lang,
            "{who} {n} is confirmed fixed. Thank you.",
            "{who} {n} queda confirmada como corregida. Gracias.",
            who,
            n
        ),
        Stage::Rejected => say!(lang, "{who} {n} was rejected.", "{who} {n} ha sido rechazada.", who, n),
    };
    if let Some(note) = note {
        let label = match to {
            Stage::Rejected => Local::new("Reason", "Motivo"),
            _ => Local::new("Note", "Nota"),
        };
        msg.push_text(&format!("\n{}: {note}", label.get(lang)));
    }
    let buttons = (to == Stage::Released).then(|| Button::Confirm { ticket: ticket.number.clone(), lang });
    Post { buttons: buttons.into_iter().collect(), ..Post::thread(msg, vec![ticket.opened_by]) }
}
