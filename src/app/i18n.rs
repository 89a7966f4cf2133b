//! Replies and posts in English or Spanish. Each text is written once per
//! language, side by side where it is used (`say!`), so a change to one
//! language is seen next to the other. Who reads decides: a reply is in the
//! caller's language (their Discord locale), a post in a ticket's thread in
//! the customer's.

use crate::app::card::CardStatus;
use crate::domain::customer::Language;
use crate::domain::sla::Severity;
use crate::domain::text::TextError;
use crate::domain::ticket::{Refusal, TicketNumber};

/// `say!(lang, "English {x}", "Español {x}", args…)`: the text in `lang`.
macro_rules! say {
    ($lang:expr, $en:literal, $es:literal $(, $arg:expr)* $(,)?) => {
        match $lang {
            $crate::domain::customer::Language::En => format!($en $(, $arg)*),
            $crate::domain::customer::Language::Es => format!($es $(, $arg)*),
        }
    };
}
pub(crate) use say;

/// `L1 Critical` / `L1 Crítica`.
pub fn severity(lang: Language, s: Severity) -> String {
    match lang {
        Language::En => s.to_string(),
        Language::Es => {
            let name = match s {
                Severity::Critical => "Crítica",
                Severity::High => "Alta",
                Severity::Medium => "Media",
                Severity::Low => "Baja",
            };
            format!("L{} {name}", s.level())
        }
    }
}

pub fn status(lang: Language, s: CardStatus) -> &'static str {
    match (lang, s) {
        (Language::En, _) => s.label(),
        (Language::Es, CardStatus::Green) => "esperando la primera respuesta",
        (Language::Es, CardStatus::Amber) => "esperando: consumida la mitad del tiempo de respuesta",
        (Language::Es, CardStatus::Red) => "esperando: la respuesta vence pronto",
        (Language::Es, CardStatus::Breached) => "objetivo de respuesta INCUMPLIDO",
        (Language::Es, CardStatus::Acknowledged) => "con acuse de recibo",
        (Language::Es, CardStatus::Closed) => "cerrado",
    }
}

/// A field name as the user sees it in their locale's command options.
fn field(lang: Language, name: &str) -> &str {
    match (lang, name) {
        (Language::En, n) => n,
        (Language::Es, "summary") => "resumen",
        (Language::Es, "details") => "detalles",
        (Language::Es, "product") => "producto",
        (Language::Es, "reason") => "motivo",
        (Language::Es, "resolution") => "resolución",
        (Language::Es, "note") => "nota",
        (Language::Es, "name") => "nombre",
        (Language::Es, "email") => "correo",
        (Language::Es, "phone") => "teléfono",
        (Language::Es, n) => n,
    }
}

pub fn text_error(lang: Language, e: &TextError) -> String {
    match e {
        TextError::Empty { field: f } => {
            let f = field(lang, f);
            say!(lang, "{f} is empty: write a few words", "{f} está vacío: escribe unas palabras")
        }
        TextError::TooLong { field: f, count, max } => {
            let f = field(lang, f);
            say!(
                lang,
                "{f} is {count} characters long; the limit is {max}: shorten it",
                "{f} tiene {count} caracteres; el límite es {max}: acórtalo"
            )
        }
    }
}

/// Why the ticket state machine refused a change.
pub fn refusal(lang: Language, n: &TicketNumber, r: &Refusal) -> String {
    match r {
        Refusal::ClosedCannotAcknowledge => say!(
            lang,
            "{n} is closed: reopen it with /ticket reopen number:{n} first",
            "{n} está cerrado: reábrelo antes con /ticket reabrir número:{n}"
        ),
        Refusal::AlreadyAcknowledged { by, at } => {
            let at = at.format("%Y-%m-%d %H:%M");
            say!(
                lang,
                "{n} was already acknowledged by <@{by}> at {at} UTC",
                "<@{by}> ya acusó recibo de {n} a las {at} UTC"
            )
        }
        Refusal::ClosedCannotReclassify => say!(
            lang,
            "{n} is closed: reopen it before changing its severity",
            "{n} está cerrado: reábrelo antes de cambiar su severidad"
        ),
        Refusal::SameSeverity(s) => {
            let s = severity(lang, *s);
            say!(lang, "{n} is already {s}", "{n} ya es {s}")
        }
        Refusal::AlreadyClosed => say!(lang, "{n} is already closed", "{n} ya está cerrado"),
        Refusal::NotClosed(state) => {
            let state = state.as_str();
            say!(
                lang,
                "{n} is not closed ({state}), so there is nothing to reopen",
                "{n} no está cerrado ({state}): no hay nada que reabrir"
            )
        }
    }
}
