//! The words of the domain's things in English and Spanish, side by side:
//! severities, ticket states, signature request stages and kinds, weekdays
//! and durations. Who reads decides the language: a reply is in the
//! caller's (their Discord locale), a post in a ticket's thread in the
//! customer's.

use std::time::Duration;

use chrono::Weekday;

use super::msg::Local;
use crate::domain::customer::Language;
use crate::domain::signature::{SignatureKind, Stage};
use crate::domain::sla::Severity;
use crate::domain::ticket::TicketState;

/// `L1 Critical` / `L1 Crítica`.
pub fn severity(lang: Language, s: Severity) -> String {
    let name = match s {
        Severity::Critical => Local::new("Critical", "Crítica"),
        Severity::High => Local::new("High", "Alta"),
        Severity::Medium => Local::new("Medium", "Media"),
        Severity::Low => Local::new("Low", "Baja"),
    };
    format!("L{} {}", s.level(), name.get(lang))
}

/// A signature change request's stage inside a sentence.
pub fn stage(lang: Language, s: Stage) -> &'static str {
    match s {
        Stage::Received => Local::new("received", "recibida"),
        Stage::Analysing => Local::new("analysing", "en análisis"),
        Stage::FixScheduled => Local::new("fix scheduled", "corrección programada"),
        Stage::Released => Local::new("released", "publicada"),
        Stage::Confirmed => Local::new("confirmed", "confirmada"),
        Stage::Rejected => Local::new("rejected", "rechazada"),
    }
    .get(lang)
}

/// How lists mark a signature change request.
pub fn request_marker(lang: Language) -> &'static str {
    Local::new("signature request", "solicitud de firma").get(lang)
}

/// What a request reports: `false positive` / `falso positivo`.
pub fn signature_kind(lang: Language, k: SignatureKind) -> &'static str {
    match k {
        SignatureKind::FalsePositive => Local::new("false positive", "falso positivo"),
        SignatureKind::FalseNegative => Local::new("false negative", "falso negativo"),
    }
    .get(lang)
}

/// A ticket's state inside a sentence.
pub fn state(lang: Language, s: TicketState) -> &'static str {
    match s {
        TicketState::Open => Local::new("open", "abierto"),
        TicketState::Acknowledged => Local::new("acknowledged", "con acuse de recibo"),
        TicketState::Closed => Local::new("closed", "cerrado"),
        TicketState::Reopened => Local::new("reopened", "reabierto"),
    }
    .get(lang)
}

/// `Mon` / `lun`.
pub fn weekday(lang: Language, day: Weekday) -> &'static str {
    const NAMES: [Local; 7] = [
        Local::new("Mon", "lun"),
        Local::new("Tue", "mar"),
        Local::new("Wed", "mié"),
        Local::new("Thu", "jue"),
        Local::new("Fri", "vie"),
        Local::new("Sat", "sáb"),
        Local::new("Sun", "dom"),
    ];
    NAMES[day.num_days_from_monday() as usize].get(lang)
}

/// `45 s`, `15 min`, `2 h 5 min`, `3 d 4 h` (the same in both languages).
pub fn duration(d: Duration) -> String {
    let s = d.as_secs();
    match s {
        0..60 => format!("{s} s"),
        60..7200 => format!("{} min", s / 60),
        7200..172_800 => format!("{} h {} min", s / 3600, s % 3600 / 60),
        _ => format!("{} d {} h", s / 86_400, s % 86_400 / 3600),
    }
}
