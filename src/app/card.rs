//! The ticket card: what a ticket's embed shows, computed from the ticket and
//! the time. Adapters render it; the countdown itself is a Discord timestamp,
//! so the card changes only when its status does.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use super::msg::Local;
use super::words;
use crate::domain::calendar::Calendar;
use crate::domain::customer::{Language, Snowflake};
use crate::domain::signature::Stage;
use crate::domain::sla::{Clock, ResponseTarget};
use crate::domain::ticket::{Ticket, TicketState};

/// What a card shows of a ticket's life after its opening.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FollowUp {
    Owner(Snowflake),
    NextUpdate(DateTime<Utc>),
    WaitingSince(DateTime<Utc>),
    /// Taken by phone, logged by this staff member.
    ByPhone(Snowflake),
}

impl FollowUp {
    pub fn label(self, lang: Language) -> &'static str {
        match self {
            FollowUp::Owner(_) => Local::new("Owner", "Responsable"),
            FollowUp::NextUpdate(_) => Local::new("Next update due", "Próxima actualización antes de"),
            FollowUp::WaitingSince(_) => Local::new("Waiting on the customer since", "Esperando al cliente desde"),
            FollowUp::ByPhone(_) => Local::new("Taken by phone, logged by", "Recibido por teléfono, registrado por"),
        }
        .get(lang)
    }
}

/// The card's colour and status line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CardStatus {
    /// Under half of the target used.
    Green,
    /// Half the target used.
    Amber,
    /// 80 % of the target used.
    Red,
    Breached,
    Acknowledged,
    /// Answered, and its update is overdue.
    UpdateOverdue,
    /// Answered, and waiting on the customer.
    Waiting,
    Closed,
}

impl CardStatus {
    /// The status line, in `lang`.
    pub fn label(self, lang: Language) -> &'static str {
        match self {
            CardStatus::Green => Local::new("waiting for first response", "esperando la primera respuesta"),
            CardStatus::Amber => Local::new(
                "waiting: half the response time used",
                "esperando: consumida la mitad del tiempo de respuesta",
            ),
            CardStatus::Red => Local::new("waiting: response due soon", "esperando: la respuesta vence pronto"),
            CardStatus::Breached => Local::new("response target BREACHED", "objetivo de respuesta INCUMPLIDO"),
            CardStatus::Acknowledged => Local::new("acknowledged", "con acuse de recibo"),
            CardStatus::UpdateOverdue => {
                Local::new("acknowledged: update OVERDUE", "con acuse de recibo: actualización VENCIDA")
            }
            CardStatus::Waiting => Local::new("waiting on the customer", "esperando al cliente"),
            CardStatus::Closed => Local::new("closed", "cerrado"),
        }
        .get(lang)
    }

    /// Embed colour (RGB).
    pub fn colour(self) -> u32 {
        match self {
            CardStatus::Green => 0x2e_cc_71,
            CardStatus::Amber => 0xf1_c4_0f,
            CardStatus::Red => 0xe6_7e_22,
            CardStatus::Breached => 0xe7_4c_3c,
            CardStatus::Acknowledged => 0x34_98_db,
            CardStatus::UpdateOverdue => 0xe6_7e_22,
            CardStatus::Waiting => 0x9b_59_b6,
            CardStatus::Closed => 0x95_a5_a6,
        }
    }
}

/// A ticket's first response, measured on the ticket's own clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FirstResponse {
    pub by: Snowflake,
    /// Elapsed from the opening.
    pub elapsed: std::time::Duration,
    /// Counted on the ticket's clock: working time for a business target,
    /// elapsed time for a 24x7 one.
    pub counted: std::time::Duration,
    pub business: bool,
    pub target: std::time::Duration,
    pub within: bool,
}

impl FirstResponse {
    /// The first response of `ticket` on `target`'s clock, if it has had one.
    pub fn of(ticket: &Ticket, target: &ResponseTarget, calendar: &Calendar) -> Option<FirstResponse> {
        let (at, by) = ticket.acked_at.zip(ticket.acked_by)?;
        let elapsed = (at - ticket.opened_at).to_std().unwrap_or_default();
        Some(FirstResponse {
            by,
            elapsed,
            counted: target.elapsed(calendar, ticket.opened_at, at).unwrap_or(elapsed),
            business: target.clock() == Clock::Business,
            target: target.response(),
            within: at <= ticket.due_at,
        })
    }

    /// `after 12 min, within the 30 min target`; on a business clock
    /// `after 5 h of working time (20 h elapsed), within the 8 working hours`.
    pub fn words(&self, lang: Language) -> String {
        let (counted, elapsed) = (words::duration(self.counted), words::duration(self.elapsed));
        let after = match (self.business, counted == elapsed, lang) {
            (false, _, Language::En) => format!("after {counted}"),
            (false, _, Language::Es) => format!("tras {counted}"),
            (true, true, Language::En) => format!("after {counted} of working time"),
            (true, true, Language::Es) => format!("tras {counted} de tiempo laborable"),
            (true, false, Language::En) => format!("after {counted} of working time ({elapsed} elapsed)"),
            (true, false, Language::Es) => format!("tras {counted} de tiempo laborable ({elapsed} en total)"),
        };
        let target = words::duration(self.target);
        let hours = self.target.as_secs().is_multiple_of(3600).then_some(self.target.as_secs() / 3600);
        let against = match (self.business, hours, self.within, lang) {
            (false, _, true, Language::En) => format!("within the {target} target"),
            (false, _, false, Language::En) => format!("past the {target} target"),
            (false, _, true, Language::Es) => format!("dentro del objetivo de {target}"),
            (false, _, false, Language::Es) => format!("fuera del objetivo de {target}"),
            (true, Some(1), true, Language::En) => "within the 1 working hour".to_owned(),
            (true, Some(1), false, Language::En) => "past the 1 working hour".to_owned(),
            (true, Some(1), true, Language::Es) => "dentro de la hora laborable".to_owned(),
            (true, Some(1), false, Language::Es) => "fuera de la hora laborable".to_owned(),
            (true, Some(h), true, Language::En) => format!("within the {h} working hours"),
            (true, Some(h), false, Language::En) => format!("past the {h} working hours"),
            (true, Some(h), true, Language::Es) => format!("dentro de las {h} horas laborables"),
            (true, Some(h), false, Language::Es) => format!("fuera de las {h} horas laborables"),
            (true, None, true, Language::En) => format!("within the {target} of working time"),
            (true, None, false, Language::En) => format!("past the {target} of working time"),
            (true, None, true, Language::Es) => format!("dentro de los {target} de tiempo laborable"),
            (true, None, false, Language::Es) => format!("fuera de los {target} de tiempo laborable"),
        };
        format!("{after}, {against}")
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Card {
    pub ticket: Ticket,
    pub status: CardStatus,
    /// Its first response, if it has had one.
    pub response: Option<FirstResponse>,
    pub customer_name: String,
    /// The customer's language: the card is read by the contact and the TAM.
    pub language: Language,
    /// The customer's time zone, for readers whose client does not localise times.
    pub zone: Tz,
}

impl Card {
    pub fn new(
        ticket: &Ticket,
        customer_name: &str,
        language: Language,
        target: &ResponseTarget,
        calendar: &Calendar,
        now: DateTime<Utc>,
    ) -> Card {
        Card {
            ticket: ticket.clone(),
            status: status(ticket, target, calendar, now),
            response: FirstResponse::of(ticket, target, calendar),
            customer_name: customer_name.to_owned(),
            language,
            zone: calendar.zone(),
        }
    }

    /// A signature change request's facts, labelled in the card's language:
    /// what it reports, the file, the databases, the detection, the fix.
    pub fn request_facts(&self) -> Vec<(&'static str, String)> {
        let (Some(r), lang) = (&self.ticket.signature, self.language) else { return vec![] };
        let mut facts = vec![
            (Local::new("Request", "Solicitud").get(lang), words::signature_kind(lang, r.kind).to_owned()),
            (Local::new("File", "Archivo").get(lang), format!("{} {}", r.hash.kind().label(), r.hash)),
            (Local::new("Product", "Producto").get(lang), r.product_version.to_string()),
            (Local::new("Reported databases", "Bases indicadas").get(lang), r.database_release.to_string()),
        ];
        if let Some(detection) = &r.detection {
            facts.push((Local::new("Detection", "Detección").get(lang), detection.to_string()));
        }
        if let Some(fix) = &r.fixed_in {
            facts.push((Local::new("Fixed in", "Corregida en").get(lang), fix.to_string()));
        }
        facts
    }

    /// A request's stages in order, each named in the card's language and
    /// marked when current; `rejected` appears only when it is the stage.
    pub fn stage_track(&self) -> Vec<(&'static str, bool)> {
        let Some(current) = self.ticket.signature.as_ref().map(|r| r.stage) else { return vec![] };
        let shown = |s: &Stage| *s != Stage::Rejected || current == Stage::Rejected;
        Stage::TRACK
            .iter()
            .chain([Stage::Rejected].iter())
            .filter(|s| shown(s))
            .map(|s| (words::stage(self.language, *s), *s == current))
            .collect()
    }

    /// The stage track as one line, `received › <current> › …`, the
    /// current stage written by `mark`; `None` for an incident.
    pub fn stage_line(&self, mark: impl Fn(&str) -> String) -> Option<String> {
        let track = self.stage_track();
        let names: Vec<String> =
            track.iter().map(|(name, current)| if *current { mark(name) } else { (*name).to_owned() }).collect();
        (!names.is_empty()).then(|| names.join(" › "))
    }

    /// The ticket's status in lists, in `lang`: the card's status, and for a
    /// signature change request its stage (`signature request analysing`).
    pub fn status_line(&self, lang: Language) -> String {
        let Some(request) = &self.ticket.signature else { return self.status.label(lang).to_owned() };
        let (what, stage) = (words::request_marker(lang), words::stage(lang, request.stage));
        match self.status {
            CardStatus::Green | CardStatus::Amber | CardStatus::Red | CardStatus::Breached => {
                format!("{what} {stage} · {}", self.status.label(lang))
            }
            _ => format!("{what} {stage}"),
        }
    }

    /// Its owner, when its next update is due, since when it waits on the
    /// customer, and who logged it if it came by phone.
    pub fn follow_up(&self) -> Vec<FollowUp> {
        let t = &self.ticket;
        let open = t.state != TicketState::Closed;
        [
            t.owner.map(FollowUp::Owner),
            t.update_due_at.filter(|_| open).map(FollowUp::NextUpdate),
            t.waiting_since.filter(|_| open).map(FollowUp::WaitingSince),
            t.logged_by.map(FollowUp::ByPhone),
        ]
        .into_iter()
        .flatten()
        .collect()
    }
}

fn status(ticket: &Ticket, target: &ResponseTarget, calendar: &Calendar, now: DateTime<Utc>) -> CardStatus {
    if ticket.state == TicketState::Closed {
        return CardStatus::Closed;
    }
    if ticket.is_waiting() {
        return CardStatus::Waiting;
    }
    if ticket.acked_at.is_some() {
        return match ticket.update_due_at {
            Some(due) if now >= due => CardStatus::UpdateOverdue,
            _ => CardStatus::Acknowledged,
        };
    }
    if now >= ticket.due_at {
        return CardStatus::Breached;
    }
    let reached = |pct| target.at_percent(calendar, ticket.opened_at, pct).is_ok_and(|t| now >= t);
    if reached(80) {
        CardStatus::Red
    } else if reached(50) {
        CardStatus::Amber
    } else {
        CardStatus::Green
    }
}
