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

/// A span of time as people read it, the same in both languages: `45 s`,
/// `15 min`, `2 h 05 min`, `20 h`, `3 d 4 h`, `3 d`; never thousands of
/// minutes. Rounded down to its last unit.
pub fn duration(d: Duration) -> String {
    let s = d.as_secs();
    let (days, hours, minutes) = (s / 86_400, s % 86_400 / 3600, s % 3600 / 60);
    match (days, hours, minutes) {
        (0, 0, 0) => format!("{s} s"),
        (0, 0, m) => format!("{m} min"),
        (0, h, 0) => format!("{h} h"),
        (0, h, m) => format!("{h} h {m:02} min"),
        (d, 0, _) => format!("{d} d"),
        (d, h, _) => format!("{d} d {h} h"),
    }
}

/// An instant relative to now: `in 29 min`, `3 h 05 min ago`, `dentro de
/// 2 d`, `hace 20 h`; `now` / `ahora` within a minute.
pub fn relative(lang: Language, from_now: chrono::Duration) -> String {
    let span = from_now.abs().to_std().unwrap_or_default();
    if span < Duration::from_secs(60) {
        return Local::new("now", "ahora").get(lang).to_owned();
    }
    let span = duration(span);
    match (from_now > chrono::Duration::zero(), lang) {
        (true, Language::En) => format!("in {span}"),
        (true, Language::Es) => format!("dentro de {span}"),
        (false, Language::En) => format!("{span} ago"),
        (false, Language::Es) => format!("hace {span}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_as_people_write_them() {
        let cases = [
            (45, "45 s"),
            (60, "1 min"),
            (59 * 60 + 59, "59 min"),
            (3600, "1 h"),
            (2 * 3600 + 5 * 60, "2 h 05 min"),
            (20 * 3600, "20 h"),
            (72_000 + 59, "20 h"),
            (86_400, "1 d"),
            (3 * 86_400 + 4 * 3600 + 59 * 60, "3 d 4 h"),
            (1200 * 60, "20 h"),
        ];
        for (secs, words) in cases {
            assert_eq!(duration(Duration::from_secs(secs)), words, "{secs} s");
        }
    }

    #[test]
    fn relative_times_in_both_languages() {
        let min = |m: i64| chrono::Duration::minutes(m);
        assert_eq!(relative(Language::En, min(29)), "in 29 min");
        assert_eq!(relative(Language::Es, min(-20 * 60)), "hace 20 h");
        assert_eq!(relative(Language::Es, min(3 * 24 * 60)), "dentro de 3 d");
        assert_eq!(relative(Language::En, min(-185)), "3 h 05 min ago");
        assert_eq!(relative(Language::Es, chrono::Duration::seconds(20)), "ahora");
    }
}
