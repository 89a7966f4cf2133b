//! `/ticket open`: a registered contact opens a ticket in their support
//! channel; without a severity, the classification rules decide. Staff who
//! took the call log a ticket phoned in with `contact:@them`: the ticket is
//! the contact's, on the same clock, marked as taken by phone.

use serde::{Deserialize, Serialize};

use super::{Actor, Args, Cx, Declared, Outcome, UsageError};
use crate::app::application::{refuse, App, AppError};
use crate::app::declare::{short, text, Access, Kind, Opt, Spec, TICKET};
use crate::app::jobs::{Effect, Job, Urgency};
use crate::app::msg::{say, Local, Msg, Span};
use crate::app::posts::{critical_ping, when, Facts, Post, Raised, ThreadPost};
use crate::app::refusal::Refusal;
use crate::app::words;
use crate::domain::classify::Decision;
use crate::domain::customer::{Customer, Language, Snowflake};
use crate::domain::sla::Severity;
use crate::domain::text::{Clean, DETAILS_MAX, SUMMARY_MAX};
use crate::domain::ticket::NewTicket;
use crate::storage::Queued;

pub static SPEC: Spec = Spec {
    group: Some(&TICKET),
    name: Local::new("open", "abrir"),
    description: Local::new("Open a ticket (registered contacts)", "Abrir un ticket (contactos registrados)"),
    help: Local::new(
        "open a ticket (contacts); without a severity the bot classifies it",
        "abrir un ticket (contactos); sin severidad, el bot la clasifica",
    ),
    what: Local::new("open tickets", "abrir tickets"),
    access: Access::ContactsAndStaff,
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
        Opt {
            name: Local::new("contact", "contacto"),
            description: Local::new(
                "Staff: the contact who phoned it in (a ticket taken by phone)",
                "Soporte: el contacto que llamó (un ticket recibido por teléfono)",
            ),
            kind: Kind::User,
            required: false,
        },
    ],
};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TicketOpen {
    pub summary: Clean,
    pub severity: Option<Severity>,
    pub product: Option<Clean>,
    pub details: Option<Clean>,
    /// Taken by phone for this contact (staff only).
    pub contact: Option<Snowflake>,
}

impl Declared for TicketOpen {
    fn parse(args: &Args) -> Result<Self, UsageError> {
        Ok(TicketOpen {
            summary: args.text("summary")?,
            severity: args.opt_severity("severity")?,
            product: args.opt_text("product")?,
            details: args.opt_text("details")?,
            contact: args.opt_user("contact")?,
        })
    }
}

impl TicketOpen {
    pub(super) async fn apply(self, app: &App, cx: &Cx<'_>) -> Result<Outcome, AppError> {
        let lang = cx.lang;
        let (customer, opener, logged_by) = match (&cx.actor, self.contact) {
            (Actor::Contact { customer, contact }, None) => (*customer, contact.user, None),
            (Actor::Contact { .. }, Some(_)) => return refuse(Refusal::PhoneTicketsByStaff),
            (_, None) => return refuse(Refusal::PhoneTicketNeedsContact { command: &SPEC }),
            (_, Some(user)) => {
                let customer = app.customer_here(cx).await?;
                match app.store.active_contact(user).await? {
                    Some(c) if c.customer == customer.key.as_str() => (customer, user, Some(cx.inv.user)),
                    Some(c) => {
                        let other =
                            app.config.customer(&c.customer).map_or(customer.support_channel, |o| o.support_channel);
                        return refuse(Refusal::PhoneContactOfAnother { user, channel: other });
                    }
                    None => return refuse(Refusal::PhoneNotAContact { user, customer: customer.name.clone() }),
                }
            }
        };
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
        // The contact and the TAMs follow it in its thread (and whoever took the call).
        let mut members: Vec<Snowflake> = std::iter::once(opener).chain(customer.tams()).collect();
        members.extend(logged_by.filter(|l| !members.contains(l)));
        let mut posts: Vec<Effect> = Vec::new();
        if severity == Severity::Critical {
            posts.push(CriticalOpened { by: opener }.into());
        }
        // Phoned in already: no reminder to phone.
        let outside_hours = logged_by.is_none() && severity <= Severity::High && !calendar.is_working(now)?;
        if outside_hours {
            posts.push(PhoneReminder {}.into());
        }
        let jobs = Job::opening(members, posts);
        let mut outbox: Vec<Queued> = jobs.iter().map(|j| j.queued(now, Some(severity))).collect();
        outbox.extend(app.schedule(customer, severity, (now, due_at), now, None)?);
        let new = NewTicket {
            customer: customer.key.clone(),
            opened_by: opener,
            severity,
            summary: self.summary.into_string(),
            details: self.details.map(Clean::into_string),
            product: self.product.map(Clean::into_string),
            opened_at: now,
            due_at,
            classified_by,
            signature: None,
            logged_by,
        };
        let ticket = cx.write(async |claim| app.store.open_ticket(&new, &outbox, claim).await).await?;
        app.queued_jobs();
        tracing::info!(ticket = %ticket.number, severity = severity.level(), "ticket opened");

        let (number, level, how, due) = (
            Span::strong(&ticket.number),
            words::severity(lang, severity),
            explain(lang, &decision),
            when(due_at, calendar),
        );
        let mut msg = match logged_by {
            None => say!(
                lang,
                "Opened {number}: {level} ({how}). First response due {due}.",
                "Abierto {number}: {level} ({how}). Primera respuesta antes de {due}.",
                number,
                level,
                how,
                due
            ),
            Some(_) => {
                let contact = Span::user(opener);
                say!(
                    lang,
                    "Opened {number} for {contact}, taken by phone: {level} ({how}). First response due {due}.",
                    "Abierto {number} para {contact}, recibido por teléfono: {level} ({how}). Primera respuesta antes de {due}.",
                    number,
                    contact,
                    level,
                    how,
                    due
                )
            }
        };
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

/// An L1 opened: the TAMs are pinged in its thread, unless it was
/// answered meanwhile.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CriticalOpened {
    pub by: Snowflake,
}

impl ThreadPost for CriticalOpened {
    fn posts(&self, f: &Facts) -> Vec<Post> {
        f.ticket.is_unanswered().then(|| critical_ping(f, Raised::Opened(self.by))).into_iter().collect()
    }

    fn urgency(&self) -> Urgency {
        Urgency::Ping
    }
}

/// Opened outside working hours: phone the priority line too.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PhoneReminder {}

impl ThreadPost for PhoneReminder {
    fn posts(&self, f: &Facts) -> Vec<Post> {
        vec![Post::thread(phone_reminder(f.lang(), f.customer), vec![])]
    }
}

/// The reminder to phone the priority line outside working hours (also in
/// the contact's reply).
pub fn phone_reminder(lang: Language, customer: &Customer) -> Msg {
    let name = &customer.name;
    match &customer.phone {
        Some(phone) => say!(
            lang,
            "It is outside {name}'s working hours: please also phone the priority line at {phone}.",
            "Es fuera del horario laboral de {name}: llama también a la línea prioritaria, al {phone}.",
            name,
            phone
        ),
        None => say!(
            lang,
            "It is outside {name}'s working hours: please also phone the priority line.",
            "Es fuera del horario laboral de {name}: llama también a la línea prioritaria.",
            name
        ),
    }
}
