//! `/ticket open`: a registered contact opens a ticket in their support
//! channel; without a severity, the classification rules decide.

use crate::app::declare::{short, text, Access, Kind, Opt, Spec, TICKET};
use super::{Args, Declared, UsageError};
use crate::app::posts::{phone_reminder, when};
use super::Cx;
use crate::app::msg::{say, Local, Msg, Span};
use crate::app::application::{refuse, App, AppError};
use crate::app::jobs::{Job};
use super::{Outcome};
use crate::app::refusal::Refusal;
use crate::app::words;
use crate::domain::classify::Decision;
use crate::domain::customer::Language;
use crate::domain::sla::Severity;
use crate::domain::text::{Clean, DETAILS_MAX, SUMMARY_MAX};
use crate::domain::ticket::{EventKind, TicketKind};
use crate::storage::{NewTicket, Queued};

pub static SPEC: Spec = Spec {
    group: Some(&TICKET),
    name: Local::new("open", "abrir"),
    description: Local::new("Open a ticket (registered contacts)", "Abrir un ticket (contactos registrados)"),
    help: Local::new(
        "open a ticket (contacts); without a severity the bot classifies it",
        "abrir un ticket (contactos); sin severidad, el bot la clasifica",
    ),
    what: Local::new("open tickets", "abrir tickets"),
    access: Access::Contacts,
    options: &[
        text(
            Local::new("summary", "resumen"),
            Local::new("What is wrong, in one line", "Qué ocurre, en una línea"),
            SUMMARY_MAX,
            true,
        ),
        Opt {
            name: Local::new("severity", "severidad"),
            description: Local::new("Leave out to let the bot classify", "Omítela y el bot la clasifica"),
            kind: Kind::Severity,
            required: false,
        },
        short(Local::new("product", "producto"), Local::new("The product concerned", "El producto afectado")),
        text(Local::new("details", "detalles"), Local::new("More about it", "Más detalles"), DETAILS_MAX, false),
    ],
};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TicketOpen {
    pub summary: Clean,
    pub severity: Option<Severity>,
    pub product: Option<Clean>,
    pub details: Option<Clean>,
}

impl Declared for TicketOpen {
    fn parse(args: &Args) -> Result<Self, UsageError> {
        Ok(TicketOpen {
            summary: args.text("summary")?,
            severity: args.opt_severity("severity")?,
            product: args.opt_text("product")?,
            details: args.opt_text("details")?,
        })
    }
}

impl TicketOpen {
    pub(super) async fn apply(self, app: &App, cx: &Cx<'_>) -> Result<Outcome, AppError> {
        let (customer, contact) = cx.contact()?;
        let lang = cx.lang;
        if cx.inv.channel != customer.support_channel {
            return refuse(Refusal::WrongChannel { support_channel: customer.support_channel });
        }
        let (severity, decision) = match self.severity {
            Some(s) => (s, Decision::Given),
            None => {
                let text = format!("{}\n{}", self.summary, self.details.as_ref().map_or("", Clean::as_str));
                // The customer's language, and the contact's own if it differs.
                let mut languages = vec![customer.language];
                languages.extend(cx.inv.language.filter(|l| *l != customer.language));
                app.config.classifier.classify(&text, &languages)
            }
        };
        let (plan, calendar) = app.sla(customer)?;
        let now = app.now();
        let due_at = plan.targets.get(severity).due(calendar, now)?;
        let classified_by = match &decision {
            Decision::Rule { name, .. } => Some(name.clone()),
            _ => None,
        };
        let tams = customer.tams();
        let mut jobs = vec![Job::Thread { members: std::iter::once(contact.user).chain(tams.iter().copied()).collect() }];
        if severity == Severity::Critical {
            jobs.push(Job::CriticalOpened { by: contact.user });
        }
        let outside_hours = severity <= Severity::High && !calendar.is_working(now)?;
        if outside_hours {
            jobs.push(Job::PhoneReminder);
        }
        let mut outbox: Vec<Queued> = jobs.iter().map(|j| j.queued(now)).collect();
        outbox.extend(app.schedule(customer, severity, (now, due_at), now, None)?);
        let new = NewTicket {
            customer: customer.key.clone(),
            opened_by: contact.user,
            severity,
            kind: TicketKind::Incident,
            summary: self.summary.into_string(),
            details: self.details.map(Clean::into_string),
            product: self.product.map(Clean::into_string),
            opened_at: now,
            due_at,
            outbox,
            signature: None,
        };
        let event = EventKind::Opened { severity: severity.level(), due_at, classified_by };
        let ticket = app.store.open_ticket(&new, &event, cx.claim()).await?;
        cx.committed();
        app.wake.notify_one();
        tracing::info!(ticket = %ticket.number, severity = severity.level(), "ticket opened");

        let (number, level, how, due) =
            (Span::strong(&ticket.number), words::severity(lang, severity), explain(lang, &decision), when(due_at, calendar));
        let mut msg = say!(
            lang,
            "Opened {number}: {level} ({how}). First response due {due}.",
            "Abierto {number}: {level} ({how}). Primera respuesta antes de {due}.",
            number,
            level,
            how,
            due
        );
        if outside_hours {
            msg.push_text("\n");
            msg.append(phone_reminder(lang, customer));
        }
        Ok(Outcome::done(lang, msg))
    }
}

/// How the severity was decided, for the reply.
fn explain(lang: Language, decision: &Decision) -> Msg {
    match decision {
        Decision::Given => say!(lang, "severity as you chose it", "severidad elegida por ti"),
        Decision::Rule { name, matched } => say!(
            lang,
            "classified by rule \"{name}\", which matched \"{matched}\"",
            "clasificado por la regla \"{name}\", que encontró \"{matched}\"",
            name,
            matched
        ),
        Decision::Default => {
            let severity = super::ticket_severity::SPEC.mention(lang, &[]);
            say!(
                lang,
                "no classification rule matched, so the default level 3 applies; use {severity} to change it",
                "ninguna regla de clasificación encajó, así que se aplica el nivel 3 por defecto; cámbialo con {severity}",
                severity
            )
        }
    }
}
