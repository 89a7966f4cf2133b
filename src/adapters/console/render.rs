//! Messages and cards as console text: people by their console names,
//! channels by name, instants in the customer's time zone with the zone
//! named (as a Discord client shows them in its reader's), and relative
//! times in the reader's language.

use chrono::{DateTime, Datelike, Utc};
use chrono_tz::Tz;

use crate::app::commands::Local;
use crate::app::words;
use crate::app::{Card, FollowUp, Msg, Span, TimeStyle};
use crate::domain::customer::{Language, Snowflake};

/// What the console knows to name people and places.
pub trait Names {
    fn user(&self, id: Snowflake) -> String;
    fn role(&self, id: Snowflake) -> String;
    fn place(&self, id: Snowflake) -> String;
}

/// A message as the console shows it to a reader of `lang` at `now`.
pub fn msg(m: &Msg, names: &dyn Names, lang: Language, now: DateTime<Utc>) -> String {
    let mut out = String::new();
    for span in m.spans() {
        match span {
            Span::Text { text } | Span::Strong { text } | Span::Command { text } => out.push_str(text),
            Span::User { id } => out.push_str(&names.user(*id)),
            Span::Role { id } => out.push_str(&names.role(*id)),
            Span::Channel { id } => out.push_str(&names.place(*id)),
            Span::Time { at, zone, style } => out.push_str(&time(*at, *zone, *style, lang, now)),
        }
    }
    out
}

/// `lun 2026-11-30 10:07 CET (dentro de 29 min)`.
pub fn time(at: DateTime<Utc>, zone: Option<Tz>, style: TimeStyle, lang: Language, now: DateTime<Utc>) -> String {
    let full = || {
        let local = at.with_timezone(&zone.unwrap_or(Tz::UTC));
        format!("{} {}", words::weekday(lang, local.weekday()), local.format("%Y-%m-%d %H:%M %Z"))
    };
    match style {
        TimeStyle::Full => full(),
        TimeStyle::Relative => relative(at, now, lang),
        TimeStyle::FullRelative => format!("{} ({})", full(), relative(at, now, lang)),
    }
}

/// `in 29 min`, `3 h 05 min ago`, `dentro de 2 d`.
pub fn relative(t: DateTime<Utc>, now: DateTime<Utc>, lang: Language) -> String {
    words::relative(lang, t - now)
}

/// The ticket card, boxed, all in the customer's language (its weekdays and
/// relative times too), its times in the customer's zone.
pub fn card(card: &Card, names: &dyn Names, now: DateTime<Utc>) -> String {
    let (t, lang) = (&card.ticket, card.language);
    let at = |instant| time(instant, Some(card.zone), TimeStyle::FullRelative, lang, now);
    let opened_by = Local::new("opened by", "abierto por").get(lang);
    let mut lines = vec![
        format!("  ┌─ {} · {} · {}", t.number, words::severity(lang, t.severity), card.status.label(lang)),
        format!("  │  {}", t.summary),
        format!("  │  {} · {opened_by} {} · {}", card.customer_name, names.user(t.opened_by), at(t.opened_at)),
    ];
    for (label, value) in card.request_facts() {
        lines.push(format!("  │  {label}: {value}"));
    }
    if let Some(track) = card.stage_line(|current| format!("[{current}]")) {
        lines.push(format!("  │  {track}"));
    }
    for fact in card.follow_up() {
        let value = match fact {
            FollowUp::Owner(user) | FollowUp::ByPhone(user) => names.user(user),
            FollowUp::NextUpdate(t) | FollowUp::WaitingSince(t) => at(t),
        };
        lines.push(format!("  │  {}: {value}", fact.label(lang)));
    }
    lines.push(match card.response {
        Some(r) => match lang {
            Language::En => format!("  └─ acknowledged by {} {}", names.user(r.by), r.words(lang)),
            Language::Es => format!("  └─ acuse de recibo de {} {}", names.user(r.by), r.words(lang)),
        },
        _ if t.signature.is_some() => match lang {
            Language::En => format!("  └─ first response (analysing) due {}", at(t.due_at)),
            Language::Es => format!("  └─ primera respuesta (en análisis) antes de {}", at(t.due_at)),
        },
        _ => match lang {
            Language::En => format!("  └─ first response due {}   [Acknowledge]", at(t.due_at)),
            Language::Es => format!("  └─ primera respuesta antes de {}   [Acusar recibo]", at(t.due_at)),
        },
    });
    lines.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_local_to_the_zone_and_relative_in_the_readers_language() {
        let at: DateTime<Utc> = "2026-11-30T09:00:00Z".parse().unwrap();
        let now = at - chrono::Duration::minutes(29);
        let madrid = Some(Tz::Europe__Madrid);
        assert_eq!(
            time(at, madrid, TimeStyle::FullRelative, Language::En, now),
            "Mon 2026-11-30 10:00 CET (in 29 min)"
        );
        assert_eq!(
            time(at, madrid, TimeStyle::FullRelative, Language::Es, now),
            "lun 2026-11-30 10:00 CET (dentro de 29 min)"
        );
        assert_eq!(time(at, None, TimeStyle::Full, Language::En, now), "Mon 2026-11-30 09:00 UTC");
        let summer: DateTime<Utc> = "2026-07-01T09:00:00Z".parse().unwrap();
        assert_eq!(time(summer, madrid, TimeStyle::Full, Language::En, now), "Wed 2026-07-01 11:00 CEST");
        assert_eq!(relative(now, at, Language::Es), "hace 29 min");
        assert_eq!(relative(at + chrono::Duration::days(3), at, Language::En), "in 3 d");
    }
}
